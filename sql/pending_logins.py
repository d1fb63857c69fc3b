"""Queries on minimaluser.tbl_pending_login: logins past their key, waiting for a code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from asyncpg import Record

from sql.pool import PooledDatabase
from sql.query import delete_in_batches, execute, fetch_one, fetch_val

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Pending:
    id: UUID
    user_id: int
    remember: bool
    attempts: int


def _pending(row: Record | None) -> Pending | None:
    if row is None:
        return None
    return Pending(row["pnd_id"], row["aut_id"], row["pnd_remember"], row["pnd_attempts"])


async def create(db: PooledDatabase, user_id: int, remember: bool, expires: datetime) -> UUID:
    value = await fetch_val(
        db,
        "insert into minimaluser.tbl_pending_login (aut_id, pnd_remember, pnd_expires)"
        " values (:user_id, :remember, :expires) returning pnd_id",
        {"user_id": user_id, "remember": remember, "expires": expires},
    )
    return UUID(str(value))


async def live(db: PooledDatabase, pending_id: UUID, now: datetime) -> Pending | None:
    row = await fetch_one(
        db,
        "select pnd_id, aut_id, pnd_remember, pnd_attempts from minimaluser.tbl_pending_login"
        " where pnd_id = :id and pnd_expires > :now and pnd_attempts < :max",
        {"id": pending_id, "now": now, "max": MAX_ATTEMPTS},
    )
    return _pending(row)


async def spend_attempt(db: PooledDatabase, pending_id: UUID, now: datetime) -> Pending | None:
    """Count one code tried, atomically; None once the login expired or is out of attempts."""
    row = await fetch_one(
        db,
        "update minimaluser.tbl_pending_login set pnd_attempts = pnd_attempts + 1"
        " where pnd_id = :id and pnd_expires > :now and pnd_attempts < :max"
        " returning pnd_id, aut_id, pnd_remember, pnd_attempts",
        {"id": pending_id, "now": now, "max": MAX_ATTEMPTS},
    )
    return _pending(row)


async def take(db: PooledDatabase, pending_id: UUID, now: datetime) -> Pending | None:
    """End the pending login (it passed): once, while it lasts; None when it is gone."""
    row = await fetch_one(
        db,
        "delete from minimaluser.tbl_pending_login where pnd_id = :id and pnd_expires > :now"
        " returning pnd_id, aut_id, pnd_remember, pnd_attempts",
        {"id": pending_id, "now": now},
    )
    return _pending(row)


async def forget_user(db: PooledDatabase, user_id: int) -> None:
    await execute(
        db,
        "delete from minimaluser.tbl_pending_login where aut_id = :user_id",
        {"user_id": user_id},
    )


async def prune(db: PooledDatabase, now: datetime) -> int:
    return await delete_in_batches(
        db, "minimaluser.tbl_pending_login", "pnd_expires", "pnd_expires < :now", {"now": now}
    )
