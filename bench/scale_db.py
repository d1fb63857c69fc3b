"""`make bench-scale` on the database side: the schema, the server's facts, the operator and the
nickname searched for, and the outbox's pending mail made due and timed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.scale_seed import connect
from settings import Settings
from sql import pool
from sql.migrator import migrate

# The pending mail the seeding parked a year ahead (scale_seed.PENDING), made due at once: due
# a millisecond apart, as mail written one message at a time is (all due at the same instant,
# each claim would sort the whole tie: tbl_outbox_due orders by obx_due_at alone).
RELEASE = """
with parked as (select obx_id from minimaluser.tbl_outbox
        where obx_sent_at is null and obx_failed_at is null
        and obx_due_at > now() + interval '300 days'),
    released as (update minimaluser.tbl_outbox o
        set obx_due_at = now() - interval '1 minute'
            + interval '1 millisecond' * (o.obx_id - (select min(obx_id) from parked))
        from parked where o.obx_id = parked.obx_id returning o.obx_id)
select min(obx_id) as first, max(obx_id) as last, count(*) as count from released
"""
# What the requests left for the app's workers: mail and tile jobs already due.
BACKLOG = """
select (select count(*) from minimaluser.tbl_outbox
        where obx_sent_at is null and obx_failed_at is null and obx_due_at <= now())
    + (select count(*) from minimaluser.tbl_tile_job where tjb_due_at <= now())
"""
PROGRESS = """
select count(*) filter (where obx_sent_at is not null) as sent, min(obx_sent_at) as first,
    max(obx_sent_at) as last
from minimaluser.tbl_outbox where obx_id between $1 and $2
"""


async def prepare(settings: Settings) -> None:
    """The schema, by the app's own migrations."""
    db = pool.database(pool.connection_for(settings), settings)
    await db.connect()
    try:
        await migrate(db)
    finally:
        await db.disconnect()


async def configure(socket_dir: str) -> str:
    """Room for the seeding's WAL between checkpoints (both databases share the server, and so
    this setting); returns the server's version."""
    connection = await connect("postgres", socket_dir)
    try:
        await connection.execute("alter system set max_wal_size = '16GB'")
        await connection.execute("alter system set checkpoint_timeout = '30min'")
        await connection.execute("select pg_reload_conf()")
        version: str = await connection.fetchval("show server_version")
        return version
    finally:
        await connection.close()


async def sizes(database: str, socket_dir: str) -> dict[str, str]:
    connection = await connect(database, socket_dir)
    try:
        rows = await connection.fetch(
            "select relname, pg_size_pretty(pg_total_relation_size(relid)) as size"
            " from pg_stat_user_tables where schemaname = 'minimaluser'"
            " and pg_total_relation_size(relid) > 1048576"
            " order by pg_total_relation_size(relid) desc"
        )
        total = await connection.fetchval("select pg_size_pretty(pg_database_size($1))", database)
        return {**{r["relname"]: r["size"] for r in rows}, "whole database": total}
    finally:
        await connection.close()


async def make_operator(database: str, socket_dir: str, user_id: int) -> None:
    connection = await connect(database, socket_dir)
    try:
        await connection.execute(
            "update minimaluser.tbl_auth set aut_operator = true where aut_id = $1", user_id
        )
    finally:
        await connection.close()


async def nickname(database: str, socket_dir: str, user_id: int) -> str:
    connection = await connect(database, socket_dir)
    try:
        name: str = await connection.fetchval(
            "select aut_name from minimaluser.tbl_auth where aut_id = $1", user_id
        )
        return name
    finally:
        await connection.close()


@dataclass(frozen=True)
class Drain:
    messages: int
    sent: int
    seconds: float
    received: int

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


async def drain(
    database: str, socket_dir: str, received: Callable[[], int], within: float
) -> Drain:
    """Makes the parked pending mail due at once, then waits (at most `within` seconds) until the
    app's dispatchers, one per worker, have delivered it all. The time runs from the first
    delivery to the last, as the database recorded them."""
    connection = await connect(database, socket_dir)
    try:
        before = received()
        parked = await connection.fetchrow(RELEASE)
        deadline = time.monotonic() + within
        while True:
            row = await connection.fetchrow(PROGRESS, parked["first"], parked["last"])
            if row["sent"] >= parked["count"] or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.25)
        seconds = (row["last"] - row["first"]).total_seconds() if row["sent"] > 1 else 0.0
        return Drain(parked["count"], row["sent"], seconds, received() - before)
    finally:
        await connection.close()


async def settled(database: str, socket_dir: str, within: float = 120.0) -> None:
    """Waits (at most `within` seconds) until the app's workers have sent the mail and stored
    the tiles the last requests queued, so that work does not weigh on the next measurement."""
    connection = await connect(database, socket_dir)
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if not await connection.fetchval(BACKLOG):
                return
            await asyncio.sleep(0.2)
    finally:
        await connection.close()
