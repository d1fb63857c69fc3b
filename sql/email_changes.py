"""Queries on minimaluser.tbl_email_change: an address waiting for its confirmation link."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sql.pool import PooledDatabase
from sql.query import delete_in_batches, fetch_one, fetch_val

HOURS = 24


@dataclass(frozen=True)
class Pending:
    id: UUID
    user_id: int
    new_email: str


async def replace(db: PooledDatabase, user_id: int, new_email: str) -> UUID:
    """One pending change per user: a new request replaces the old one."""
    value = await fetch_val(
        db,
        "insert into minimaluser.tbl_email_change (aut_id, ech_new_email, ech_expires)"
        " values (:user_id, :email, now() + make_interval(hours => :hours))"
        " on conflict (aut_id) do update set ech_id = gen_random_uuid(),"
        " ech_new_email = excluded.ech_new_email, ech_created = now(),"
        " ech_expires = excluded.ech_expires returning ech_id",
        {"user_id": user_id, "email": new_email, "hours": HOURS},
    )
    return UUID(str(value))


async def of_user(db: PooledDatabase, user_id: int) -> Pending | None:
    row = await fetch_one(
        db,
        "select ech_id, aut_id, ech_new_email from minimaluser.tbl_email_change"
        " where aut_id = :user_id and ech_expires > now()",
        {"user_id": user_id},
    )
    return Pending(row["ech_id"], row["aut_id"], row["ech_new_email"]) if row else None


async def take(db: PooledDatabase, change_id: UUID) -> Pending | None:
    """Remove a live pending change and return it: only one confirmation can take it."""
    row = await fetch_one(
        db,
        "delete from minimaluser.tbl_email_change"
        " where ech_id = :change_id and ech_expires > now()"
        " returning ech_id, aut_id, ech_new_email",
        {"change_id": change_id},
    )
    return Pending(row["ech_id"], row["aut_id"], row["ech_new_email"]) if row else None


async def cancel(db: PooledDatabase, user_id: int) -> bool:
    row = await fetch_one(
        db,
        "delete from minimaluser.tbl_email_change where aut_id = :user_id returning ech_id",
        {"user_id": user_id},
    )
    return row is not None


async def prune(db: PooledDatabase) -> int:
    return await delete_in_batches(
        db, "minimaluser.tbl_email_change", "ech_expires", "ech_expires < now()"
    )
