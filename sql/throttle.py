"""Queries on minimaluser.tbl_limit: throttles shared by every worker, decided atomically.

One row per key holds the times of the attempts still inside the window. An attempt takes its
slot in the statement that decides whether it is allowed: `insert … on conflict do update`
locks the row, so a burst of simultaneous attempts is judged one after the other."""

from __future__ import annotations

from sql.pool import PooledDatabase
from sql.query import delete_in_batches, execute, fetch_one, fetch_val

TAKE = (
    "insert into minimaluser.tbl_limit as l (lim_key, lim_hits, lim_last)"
    " values (:key, array[clock_timestamp()], clock_timestamp())"
    " on conflict (lim_key) do update"
    " set lim_hits = array(select h from unnest(l.lim_hits) h"
    " where h > clock_timestamp() - make_interval(secs => :seconds) order by h)"
    " || clock_timestamp(), lim_last = clock_timestamp()"
    " where (select count(*) from unnest(l.lim_hits) h"
    " where h > clock_timestamp() - make_interval(secs => :seconds)) < :count"
    " returning cardinality(lim_hits)"
)

WAIT = (
    "select extract(epoch from min(h) + make_interval(secs => :seconds) - clock_timestamp())"
    " from minimaluser.tbl_limit l, unnest(l.lim_hits) h"
    " where l.lim_key = :key and h > clock_timestamp() - make_interval(secs => :seconds)"
)


async def take(db: PooledDatabase, key: str, count: int, seconds: int) -> tuple[int, float]:
    """Take one of `count` slots per `seconds`: (attempts now in the window, 0.0), or, when
    every slot is taken, (0, seconds until the oldest leaves the window)."""
    if count > 0:
        hits = await fetch_val(db, TAKE, {"key": key, "count": count, "seconds": seconds})
        if hits is not None:
            return int(hits), 0.0
    wait = await fetch_val(db, WAIT, {"key": key, "seconds": seconds})
    return 0, max(float(wait if wait is not None else seconds), 1.0)


async def give_back(db: PooledDatabase, key: str) -> None:
    """Return the newest slot of `key`: an attempt that succeeded does not count."""
    await execute(
        db,
        "update minimaluser.tbl_limit set lim_hits = trim_array(lim_hits, 1)"
        " where lim_key = :key and cardinality(lim_hits) > 0",
        {"key": key},
    )


async def clear(db: PooledDatabase, key: str) -> None:
    await execute(db, "delete from minimaluser.tbl_limit where lim_key = :key", {"key": key})


async def hits(db: PooledDatabase, key: str, seconds: int) -> int:
    """How many attempts `key` has inside the window (for tests and the operator pages)."""
    row = await fetch_one(
        db,
        "select count(*) as n from minimaluser.tbl_limit l, unnest(l.lim_hits) h"
        " where l.lim_key = :key and h > clock_timestamp() - make_interval(secs => :seconds)",
        {"key": key, "seconds": seconds},
    )
    return int(row["n"]) if row else 0


async def prune(db: PooledDatabase, older_than_seconds: int) -> int:
    return await delete_in_batches(
        db,
        "minimaluser.tbl_limit",
        "lim_last",
        "lim_last < now() - make_interval(secs => :seconds)",
        {"seconds": older_than_seconds},
    )
