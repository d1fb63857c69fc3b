"""Queries on minimaluser.tbl_outbox: emails written with the change that causes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from asyncpg import Record

from sql.pool import PooledDatabase
from sql.query import execute, fetch_all, fetch_one, fetch_val


@dataclass(frozen=True)
class Message:
    id: int
    message_id: UUID
    event: str
    recipient: str
    context: dict[str, Any]
    secret: bytes | None
    attempts: int
    created_at: datetime
    sent_at: datetime | None


def _message(row: Record) -> Message:
    context = row["obx_context"]
    return Message(
        id=row["obx_id"],
        message_id=row["obx_message_id"],
        event=row["obx_event"],
        recipient=row["obx_recipient"],
        context=json.loads(context) if isinstance(context, str) else dict(context),
        secret=row["obx_secret"],
        attempts=row["obx_attempts"],
        created_at=row["obx_created_at"],
        sent_at=row["obx_sent_at"],
    )


async def add(
    db: PooledDatabase, event: str, recipient: str, context: dict[str, Any], secret: bytes | None
) -> int:
    message_id: int = await fetch_val(
        db,
        "insert into minimaluser.tbl_outbox (obx_event, obx_recipient, obx_context, obx_secret)"
        " values (:event, :recipient, cast(:context as jsonb), :secret) returning obx_id",
        {"event": event, "recipient": recipient, "context": json.dumps(context), "secret": secret},
    )
    return message_id


async def claim_due(db: PooledDatabase, limit: int) -> list[Message]:
    """Due messages, locked for this transaction; other workers skip them."""
    rows = await fetch_all(
        db,
        "select obx_id, obx_message_id, obx_event, obx_recipient, obx_context, obx_secret,"
        " obx_attempts, obx_created_at, obx_sent_at from minimaluser.tbl_outbox"
        " where obx_sent_at is null and obx_due_at <= now()"
        " order by obx_due_at, obx_id limit :limit for update skip locked",
        {"limit": limit},
    )
    return [_message(r) for r in rows]


async def mark_sent(db: PooledDatabase, outbox_id: int, kept: bool) -> None:
    """Delivered: the secret is wiped, unless the message is kept for /dev/outbox."""
    await execute(
        db,
        "update minimaluser.tbl_outbox set obx_sent_at = now(), obx_kept = :kept,"
        " obx_secret = case when :kept then obx_secret end, obx_last_error = null"
        " where obx_id = :outbox_id",
        {"outbox_id": outbox_id, "kept": kept},
    )


async def mark_failed(db: PooledDatabase, outbox_id: int, delay_seconds: float, error: str) -> None:
    await execute(
        db,
        "update minimaluser.tbl_outbox set obx_attempts = obx_attempts + 1,"
        " obx_due_at = now() + make_interval(secs => :delay), obx_last_error = :error"
        " where obx_id = :outbox_id",
        {"outbox_id": outbox_id, "delay": delay_seconds, "error": error[:500]},
    )


async def kept(db: PooledDatabase, limit: int = 100) -> list[Message]:
    rows = await fetch_all(
        db,
        "select obx_id, obx_message_id, obx_event, obx_recipient, obx_context, obx_secret,"
        " obx_attempts, obx_created_at, obx_sent_at from minimaluser.tbl_outbox"
        " where obx_kept order by obx_id desc limit :limit",
        {"limit": limit},
    )
    return [_message(r) for r in rows]


async def one_kept(db: PooledDatabase, outbox_id: int) -> Message | None:
    row = await fetch_one(
        db,
        "select obx_id, obx_message_id, obx_event, obx_recipient, obx_context, obx_secret,"
        " obx_attempts, obx_created_at, obx_sent_at from minimaluser.tbl_outbox"
        " where obx_kept and obx_id = :outbox_id",
        {"outbox_id": outbox_id},
    )
    return _message(row) if row else None


async def prune_sent(db: PooledDatabase, days: int) -> None:
    """Delivered messages are kept a while for support, then go; kept dev mail goes too."""
    await execute(
        db,
        "delete from minimaluser.tbl_outbox"
        " where obx_sent_at < now() - make_interval(days => :days)",
        {"days": days},
    )
