"""Queries on minimaluser.tbl_key_reset: one-time codes for a forgotten key, kept as hashes."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from sql.pool import PooledDatabase
from sql.query import delete_in_batches, fetch_one, fetch_val

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Attempt:
    user_id: int | None
    code_hash: str | None


async def replace(
    db: PooledDatabase, address: bytes, user_id: int | None, code_hash: str, seconds: int
) -> UUID:
    """The address's one request, known or not (a decoy has no user): a new request replaces
    the previous one, so every address leaves the same trace, even for parallel requests."""
    value = await fetch_val(
        db,
        "insert into minimaluser.tbl_key_reset (rst_address, aut_id, rst_code_hash, rst_expires)"
        " values (:address, :user_id, :code_hash, now() + make_interval(secs => :seconds))"
        " on conflict (rst_address) do update set rst_id = gen_random_uuid(),"
        " aut_id = excluded.aut_id, rst_code_hash = excluded.rst_code_hash, rst_attempts = 0,"
        " rst_created = now(), rst_expires = excluded.rst_expires, rst_used_at = null"
        " returning rst_id",
        {"address": address, "user_id": user_id, "code_hash": code_hash, "seconds": seconds},
    )
    return UUID(str(value))


async def usable(db: PooledDatabase, reset_id: UUID) -> bool:
    found = await fetch_val(
        db,
        "select exists (select 1 from minimaluser.tbl_key_reset where rst_id = :id"
        " and rst_used_at is null and rst_expires > now() and rst_attempts < :max_attempts)",
        {"id": reset_id, "max_attempts": MAX_ATTEMPTS},
    )
    return bool(found)


async def spend_attempt(db: PooledDatabase, reset_id: UUID) -> Attempt | None:
    """Count one try atomically; None once the code is used, expired or out of attempts."""
    row = await fetch_one(
        db,
        "update minimaluser.tbl_key_reset set rst_attempts = rst_attempts + 1"
        " where rst_id = :id and rst_used_at is null and rst_expires > now()"
        " and rst_attempts < :max_attempts returning aut_id, rst_code_hash",
        {"id": reset_id, "max_attempts": MAX_ATTEMPTS},
    )
    return Attempt(row["aut_id"], row["rst_code_hash"]) if row else None


async def mark_used(db: PooledDatabase, reset_id: UUID) -> bool:
    """Spend the code; False when another request spent it first."""
    row = await fetch_one(
        db,
        "update minimaluser.tbl_key_reset set rst_used_at = now(), rst_code_hash = null"
        " where rst_id = :id and rst_used_at is null returning rst_id",
        {"id": reset_id},
    )
    return row is not None


async def prune(db: PooledDatabase) -> int:
    return await delete_in_batches(
        db, "minimaluser.tbl_key_reset", "rst_expires", "rst_expires < now()"
    )
