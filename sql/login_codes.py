"""Queries on minimaluser.tbl_login_code: emailed login codes, one per address, kept hashed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sql.pool import PooledDatabase
from sql.query import delete_in_batches, fetch_one, fetch_val

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Attempt:
    user_id: int | None
    code_hash: bytes


async def replace(
    db: PooledDatabase, address: bytes, user_id: int | None, code_hash: bytes, expires: datetime
) -> UUID:
    """The address's one code, known or not (a decoy has no user); a new request replaces it."""
    value = await fetch_val(
        db,
        "insert into minimaluser.tbl_login_code (lgc_address, aut_id, lgc_code_hash, lgc_expires)"
        " values (:address, :user_id, :code_hash, :expires)"
        " on conflict (lgc_address) do update set lgc_id = gen_random_uuid(),"
        " aut_id = excluded.aut_id, lgc_code_hash = excluded.lgc_code_hash, lgc_attempts = 0,"
        " lgc_expires = excluded.lgc_expires returning lgc_id",
        {"address": address, "user_id": user_id, "code_hash": code_hash, "expires": expires},
    )
    return UUID(str(value))


async def live(db: PooledDatabase, code_id: UUID, now: datetime) -> bool:
    found = await fetch_val(
        db,
        "select exists (select 1 from minimaluser.tbl_login_code where lgc_id = :id"
        " and lgc_expires > :now and lgc_attempts < :max)",
        {"id": code_id, "now": now, "max": MAX_ATTEMPTS},
    )
    return bool(found)


async def spend_attempt(db: PooledDatabase, code_id: UUID, now: datetime) -> Attempt | None:
    """Count one try, atomically; None once the code expired or is out of attempts."""
    row = await fetch_one(
        db,
        "update minimaluser.tbl_login_code set lgc_attempts = lgc_attempts + 1"
        " where lgc_id = :id and lgc_expires > :now and lgc_attempts < :max"
        " returning aut_id, lgc_code_hash",
        {"id": code_id, "now": now, "max": MAX_ATTEMPTS},
    )
    return Attempt(row["aut_id"], bytes(row["lgc_code_hash"])) if row else None


async def take(db: PooledDatabase, code_id: UUID) -> bool:
    """Spend the code; False when another request spent it first."""
    row = await fetch_one(
        db,
        "delete from minimaluser.tbl_login_code where lgc_id = :id returning lgc_id",
        {"id": code_id},
    )
    return row is not None


async def prune(db: PooledDatabase, now: datetime) -> int:
    return await delete_in_batches(
        db, "minimaluser.tbl_login_code", "lgc_expires", "lgc_expires < :now", {"now": now}
    )
