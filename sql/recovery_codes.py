"""Queries on minimaluser.tbl_recovery_code: one-use codes kept as keyed hashes."""

from __future__ import annotations

from datetime import datetime

from sql.pool import PooledDatabase
from sql.query import execute, fetch_one, fetch_val


async def replace(db: PooledDatabase, user_id: int, hashes: list[bytes]) -> None:
    """The account's codes become these: the old ones, used or not, stop working."""
    await execute(
        db,
        "delete from minimaluser.tbl_recovery_code where aut_id = :user_id",
        {"user_id": user_id},
    )
    await execute(
        db,
        "insert into minimaluser.tbl_recovery_code (aut_id, rco_hash)"
        " select :user_id, h from unnest(cast(:hashes as bytea[])) h",
        {"user_id": user_id, "hashes": hashes},
    )


async def spend(db: PooledDatabase, user_id: int, hashes: list[bytes], now: datetime) -> bool:
    """Use the unused code whose hash is one of `hashes`, once; False when there is none."""
    row = await fetch_one(
        db,
        "update minimaluser.tbl_recovery_code set rco_used_at = :now"
        " where rco_id = (select rco_id from minimaluser.tbl_recovery_code"
        " where aut_id = :user_id and rco_hash = any(cast(:hashes as bytea[]))"
        " and rco_used_at is null limit 1 for update)"
        " and rco_used_at is null returning rco_id",
        {"user_id": user_id, "hashes": hashes, "now": now},
    )
    return row is not None


async def left(db: PooledDatabase, user_id: int) -> int:
    count: int = await fetch_val(
        db,
        "select count(*) from minimaluser.tbl_recovery_code"
        " where aut_id = :user_id and rco_used_at is null",
        {"user_id": user_id},
    )
    return count


async def remove(db: PooledDatabase, user_id: int) -> None:
    await execute(
        db,
        "delete from minimaluser.tbl_recovery_code where aut_id = :user_id",
        {"user_id": user_id},
    )
