"""Lock waits watched from pg_stat_activity and pg_locks every 20 ms, with or without a
housekeeping sweep (services/housekeeping.py's own, on a pool configured as the app's)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import asyncpg

from bench.scale_seed import connect
from services import housekeeping
from settings import Settings
from sql import pool

SWEEPER = "bench-scale-sweep"
EVERY = 0.02
# The backends waiting for a lock (wait_event_type 'Lock'), the longest wait (pg_locks.waitstart)
# and who waited on whom; the longest wait on a lock the sweep held; what the sweep's backend is
# doing (its wait event, or CPU); and how long its transaction has held row locks (it has an
# xid from its first deleted row to its commit; timed from the transaction's start, a little
# early, so never less than the truth).
SAMPLE = """
select w.waiting, w.wait_ms, w.sweep_blocks_ms, w.who, s.doing, s.holding_ms
from (select count(*) as waiting, max(wait_ms) as wait_ms,
        max(wait_ms) filter (where by_sweep) as sweep_blocks_ms,
        (array_agg(who order by wait_ms desc))[1] as who
      from (select extract(epoch from clock_timestamp() - l.waitstart) * 1000 as wait_ms,
                exists (select 1 from pg_stat_activity b
                        where b.pid = any(pg_blocking_pids(a.pid)) and b.application_name = $1)
                    as by_sweep,
                left(a.query, 90) || ' (a ' || l.locktype || ' lock held by: '
                    || coalesce((select string_agg(left(b.query, 60), '; ')
                                 from pg_stat_activity b
                                 where b.pid = any(pg_blocking_pids(a.pid))), '?') || ')' as who
            from pg_stat_activity a join pg_locks l on l.pid = a.pid and not l.granted
            where a.wait_event_type = 'Lock') waits) w,
    (select max(coalesce(wait_event_type || ' ' || wait_event, 'CPU'))
                filter (where state = 'active') as doing,
            max(extract(epoch from clock_timestamp() - xact_start) * 1000)
                filter (where backend_xid is not null) as holding_ms
     from pg_stat_activity where application_name = $1) s
"""


@dataclass
class Locks:
    """What the samples saw: how many had a backend waiting for a lock, the longest wait (and
    who waited on whom), the longest on a lock the sweep held, and what the sweep's backend was
    doing, sample by sample."""

    samples: int = 0
    waiting: int = 0
    longest_wait_ms: float = 0.0
    longest_wait: str = ""
    sweep_blocked_ms: float = 0.0
    holding_ms: float = 0.0  # the longest the sweep's backend was seen holding row locks
    doing: Counter[str] = field(default_factory=Counter)

    def note(self, row: asyncpg.Record) -> None:
        self.samples += 1
        self.waiting += row["waiting"] > 0
        wait = float(row["wait_ms"] or 0)
        if wait > self.longest_wait_ms:
            self.longest_wait_ms, self.longest_wait = wait, row["who"] or ""
        self.sweep_blocked_ms = max(self.sweep_blocked_ms, float(row["sweep_blocks_ms"] or 0))
        self.holding_ms = max(self.holding_ms, float(row["holding_ms"] or 0))
        if row["doing"]:
            self.doing[row["doing"]] += 1

    def busiest(self, count: int = 3) -> str:
        """What the sweep's backend did in most samples: "CPU 80%, IO DataFileRead 15%"."""
        total = sum(self.doing.values())
        shares = [f"{doing} {n / total:.0%}" for doing, n in self.doing.most_common(count)]
        return ", ".join(shares) or "nothing seen"


async def _watch(watcher: asyncpg.Connection, locks: Locks, done: asyncio.Event) -> None:
    while not done.is_set():
        locks.note(await watcher.fetchrow(SAMPLE, SWEEPER))
        await asyncio.sleep(EVERY)


async def watch_for(database: str, socket_dir: str, seconds: float) -> Locks:
    """The lock waits of `seconds` with no sweep: what the load itself waits for."""
    watcher = await connect(database, socket_dir)
    locks, done = Locks(), asyncio.Event()
    try:
        watching = asyncio.create_task(_watch(watcher, locks, done))
        await asyncio.sleep(seconds)
        done.set()
        await watching
    finally:
        await watcher.close()
    return locks


@dataclass
class Sweep:
    seconds: float = 0.0
    removed: dict[str, int] = field(default_factory=dict)
    error: str = ""
    locks: Locks = field(default_factory=Locks)


async def watched_sweep(settings: Settings, database: str, socket_dir: str) -> Sweep:
    """One sweep on a pool configured as the app's (DB_TIMEOUT included), its backend named so
    the samples can tell it apart, watched all along."""
    db = pool.database(
        pool.connection_for(settings), settings, server_settings={"application_name": SWEEPER}
    )
    watcher = await connect(database, socket_dir)
    await db.connect()
    sweep, done = Sweep(), asyncio.Event()
    watching = asyncio.create_task(_watch(watcher, sweep.locks, done))
    started = time.monotonic()
    try:
        sweep.removed = await housekeeping.sweep(db)
    except Exception as exc:  # reported in SCALE.md: a sweep that fails at scale is a finding
        sweep.error = f"{type(exc).__name__}: {exc}"
    finally:
        sweep.seconds = time.monotonic() - started
        done.set()
        await watching
        await db.disconnect()
        await watcher.close()
    return sweep
