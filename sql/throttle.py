"""Queries on minimaluser.tbl_throttle: attempts counted in PostgreSQL, shared by every worker."""

from __future__ import annotations

from sql.pool import PooledDatabase
from sql.query import execute, fetch_one


async def recent(db: PooledDatabase, key: str, seconds: int) -> tuple[int, float]:
    """How many attempts in the window, and seconds until the oldest of them leaves it."""
    row = await fetch_one(
        db,
        "select count(*) as hits,"
        " coalesce(extract(epoch from min(thr_at) + make_interval(secs => :seconds) - now()), 0)"
        " as wait"
        " from minimaluser.tbl_throttle"
        " where thr_key = :key and thr_at > now() - make_interval(secs => :seconds)",
        {"key": key, "seconds": seconds},
    )
    assert row is not None
    return int(row["hits"]), max(float(row["wait"]), 1.0)


async def record(db: PooledDatabase, key: str) -> None:
    await execute(db, "insert into minimaluser.tbl_throttle (thr_key) values (:key)", {"key": key})


async def clear(db: PooledDatabase, key: str) -> None:
    await execute(db, "delete from minimaluser.tbl_throttle where thr_key = :key", {"key": key})


async def prune(db: PooledDatabase, older_than_seconds: int) -> None:
    await execute(
        db,
        "delete from minimaluser.tbl_throttle"
        " where thr_at < now() - make_interval(secs => :seconds)",
        {"seconds": older_than_seconds},
    )
