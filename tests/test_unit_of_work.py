"""The unit of work: rows, emails and tile jobs commit together; only then do they go out."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from services.keyring import Keyring
from services.tiles import LocalTileStore
from services.tilework import TileWorker
from services.work import UnitOfWork
from sql import users
from sql.pool import PooledDatabase
from sql.query import fetch_all, fetch_val

SECRET = "unit-of-work-secret-key-of-more-than-32-bytes"


class Wakes:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


def unit(db: PooledDatabase, tmp_path: Path, wakes: Wakes) -> UnitOfWork:
    worker = TileWorker(db, LocalTileStore(tmp_path), retry_cap=1.0)
    return UnitOfWork(db, Keyring(SECRET), wakes, worker)


async def outbox_secrets(db: PooledDatabase, recipient: str) -> list[bytes | None]:
    rows = await fetch_all(
        db,
        "select obx_secret from minimaluser.tbl_outbox where obx_recipient = :recipient",
        {"recipient": recipient},
    )
    return [row["obx_secret"] for row in rows]


async def test_a_rolled_back_change_queues_no_email_and_no_tile(
    db: PooledDatabase, tmp_path: Path
) -> None:
    wakes, recipient, name = Wakes(), f"{uuid.uuid4().hex}@example.com", "tile-rolled-back.svg"
    with pytest.raises(RuntimeError):
        async with unit(db, tmp_path, wakes) as work:
            await users.create(db, recipient, "hash", f"nick-{uuid.uuid4().hex[:8]}", name, "en")
            await work.email("goodbye", recipient, {"nickname": "n"}, {"key": "clear-key"})
            await work.tile("put", name, "<svg/>")
            raise RuntimeError("the change fails")
    assert await users.by_email(db, recipient) is None
    assert await outbox_secrets(db, recipient) == []
    jobs = "select count(*) from minimaluser.tbl_tile_job where tjb_name = :name"
    assert await fetch_val(db, jobs, {"name": name}) == 0
    assert wakes.count == 0
    assert not (tmp_path / name).exists()


async def test_a_committed_change_wakes_the_mailer_once_and_stores_its_tile(
    db: PooledDatabase, tmp_path: Path
) -> None:
    wakes, recipient, name = Wakes(), f"{uuid.uuid4().hex}@example.com", "tile-committed.svg"
    async with unit(db, tmp_path, wakes) as work:
        await work.email("goodbye", recipient, {"nickname": "n"}, {"key": "clear-key"})
        await work.email("goodbye", recipient, {"nickname": "n"})
        await work.tile("put", name, "<svg/>")
        assert wakes.count == 0, "nothing goes out before the commit"
    assert wakes.count == 1
    secrets = await outbox_secrets(db, recipient)
    assert len(secrets) == 2 and b"clear-key" not in b"".join(s or b"" for s in secrets)
    assert (tmp_path / name).read_bytes() == b"<svg/>"
