"""Queries on minimaluser.tbl_totp and tbl_totp_setup: the authenticator app of an account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sql.pool import PooledDatabase
from sql.query import delete_in_batches, execute, fetch_one, fetch_val


@dataclass(frozen=True)
class Totp:
    secret: bytes
    last_step: int
    enabled_at: datetime


async def of_user(db: PooledDatabase, user_id: int) -> Totp | None:
    row = await fetch_one(
        db,
        "select tot_secret, tot_last_step, tot_enabled_at from minimaluser.tbl_totp"
        " where aut_id = :user_id",
        {"user_id": user_id},
    )
    return (
        Totp(bytes(row["tot_secret"]), row["tot_last_step"], row["tot_enabled_at"]) if row else None
    )


async def pending_setup(
    db: PooledDatabase, user_id: int, fresh: bytes, now: datetime, lasts: timedelta
) -> bytes:
    """The sealed secret of the account's setup: the one still waiting, or `fresh` when none is
    (or it expired). Concurrent reloads agree on one."""
    value = await fetch_val(
        db,
        "insert into minimaluser.tbl_totp_setup as s (aut_id, tsu_secret, tsu_expires)"
        " values (:user_id, :fresh, :expires)"
        " on conflict (aut_id) do update set"
        " tsu_secret = case when s.tsu_expires > :now then s.tsu_secret"
        " else excluded.tsu_secret end,"
        " tsu_expires = case when s.tsu_expires > :now then s.tsu_expires"
        " else excluded.tsu_expires end"
        " returning tsu_secret",
        {"user_id": user_id, "fresh": fresh, "now": now, "expires": now + lasts},
    )
    return bytes(value)


async def setup_of(db: PooledDatabase, user_id: int, now: datetime) -> bytes | None:
    value = await fetch_val(
        db,
        "select tsu_secret from minimaluser.tbl_totp_setup"
        " where aut_id = :user_id and tsu_expires > :now",
        {"user_id": user_id, "now": now},
    )
    return bytes(value) if value is not None else None


async def enable(db: PooledDatabase, user_id: int, secret: bytes, step: int, now: datetime) -> bool:
    """Turn the setup's secret on, its first code spent; False when one is on already."""
    await drop_setup(db, user_id)
    row = await fetch_one(
        db,
        "insert into minimaluser.tbl_totp (aut_id, tot_secret, tot_last_step, tot_enabled_at)"
        " values (:user_id, :secret, :step, :now) on conflict (aut_id) do nothing"
        " returning aut_id",
        {"user_id": user_id, "secret": secret, "step": step, "now": now},
    )
    return row is not None


async def spend_step(db: PooledDatabase, user_id: int, step: int) -> bool:
    """Accept a code of time step `step` once: False for that step or an earlier one again."""
    row = await fetch_one(
        db,
        "update minimaluser.tbl_totp set tot_last_step = :step"
        " where aut_id = :user_id and tot_last_step < :step returning aut_id",
        {"user_id": user_id, "step": step},
    )
    return row is not None


async def reseal(db: PooledDatabase, user_id: int, secret: bytes) -> None:
    """The same secret, sealed with SECRET_KEY after it was read with an older key."""
    await execute(
        db,
        "update minimaluser.tbl_totp set tot_secret = :secret where aut_id = :user_id",
        {"user_id": user_id, "secret": secret},
    )


async def remove(db: PooledDatabase, user_id: int) -> bool:
    row = await fetch_one(
        db,
        "delete from minimaluser.tbl_totp where aut_id = :user_id returning aut_id",
        {"user_id": user_id},
    )
    await drop_setup(db, user_id)
    return row is not None


async def drop_setup(db: PooledDatabase, user_id: int) -> None:
    await execute(
        db, "delete from minimaluser.tbl_totp_setup where aut_id = :user_id", {"user_id": user_id}
    )


async def prune_setups(db: PooledDatabase, now: datetime) -> int:
    return await delete_in_batches(
        db, "minimaluser.tbl_totp_setup", "tsu_expires", "tsu_expires < :now", {"now": now}
    )
