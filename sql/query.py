"""The one way a query runs: `:named` parameters, translated once per statement to asyncpg's `$n`.

Every query module calls these four functions. They run on the task's connection while it holds
one (inside `db.transaction()`), and otherwise on a connection straight from the pool, so a page's
queries skip the per-query compilation of `databases` (about 0.25 ms of CPU each).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from asyncpg import Record
from asyncpg.exceptions import QueryCanceledError

from sql.pool import PooledDatabase

# Quoted text and comments are skipped whole; `::` is a cast; only a lone `:name` is a parameter.
TOKEN = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|\$\$.*?\$\$|::|:([A-Za-z_]\w*)""",
    re.DOTALL,
)
# `delete_in_batches`: a batch is at most BATCH rows and never runs longer than HOLD_MS (its
# statement is cancelled, its row locks given back, and it is retried at half the size; half the
# 100 ms that a lock may be held, for the cancellation itself on a busy machine); it grows
# back while batches stay quick. After each batch it rests REST times as long as the batch took,
# so a sweep takes at most a third of a core. A batch that cannot delete even SMALLEST rows in
# time is left to the next sweep.
BATCH = 1000
SMALLEST = 8
HOLD_MS = 50
REST = 2.0
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=1024)
def positional(statement: str) -> tuple[str, tuple[str, ...]]:
    """The statement with `$1, $2…` in place of `:names`, and the names in that order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group(0)
        if name not in names:
            names.append(name)
        return f"${names.index(name) + 1}"

    return TOKEN.sub(number, statement), tuple(names)


def _arguments(names: tuple[str, ...], values: Mapping[str, Any] | None) -> list[Any]:
    given = values or {}
    try:
        return [given[name] for name in names]
    except KeyError:
        missing = [name for name in names if name not in given]
        raise KeyError(f"no value for the parameters {missing}") from None


async def fetch_all(
    db: PooledDatabase, statement: str, values: Mapping[str, Any] | None = None
) -> list[Record]:
    text, names = positional(statement)
    async with db.acquire() as connection:
        rows: list[Record] = await connection.fetch(text, *_arguments(names, values))
    return rows


async def fetch_one(
    db: PooledDatabase, statement: str, values: Mapping[str, Any] | None = None
) -> Record | None:
    text, names = positional(statement)
    async with db.acquire() as connection:
        row: Record | None = await connection.fetchrow(text, *_arguments(names, values))
    return row


async def fetch_val(
    db: PooledDatabase, statement: str, values: Mapping[str, Any] | None = None
) -> Any:
    text, names = positional(statement)
    async with db.acquire() as connection:
        return await connection.fetchval(text, *_arguments(names, values))


async def execute(
    db: PooledDatabase, statement: str, values: Mapping[str, Any] | None = None
) -> str:
    """Runs a statement; returns its status, such as `DELETE 3`."""
    text, names = positional(statement)
    async with db.acquire() as connection:
        status: str = await connection.execute(text, *_arguments(names, values))
    return status


async def delete_in_batches(
    db: PooledDatabase,
    table: str,
    key: str,
    where: str,
    values: Mapping[str, Any] | None = None,
) -> int:
    """Deletes the rows of `table` that match `where` in batches in the order of `key` (a
    timestamp column an index serves together with `where`), each batch a statement and a
    transaction of its own, cut short after HOLD_MS: however much has piled up and however busy
    the machine, no batch holds its row locks longer, and the requests keep most of the CPU. The
    server commits each as it ends, without waiting for the disk: its locks go at once, even
    when this event loop is slow to read the answer, and a crash that lost the last batches
    would only leave rows for the next sweep. Each batch starts at the last key of the one
    before, so none walks again over index entries of rows already deleted (a transaction left
    open elsewhere keeps them from being marked dead). Returns how many rows went."""
    # Built from constants of the sql/ modules only; the values are parameters.
    statement = (
        f"with gone as (delete from {table} where ctid = any(array(select ctid from {table}"  # noqa: S608
        f" where {where} and {key} >= :after order by {key} limit :batch)) returning {key})"
        f" select count(*) as deleted, max({key}) as last from gone"
    )
    text, names = positional(statement)
    async with db.acquire() as connection:
        await connection.execute(f"set statement_timeout = {HOLD_MS}; set synchronous_commit = off")
        settled = False
        try:
            deleted = await _batches(connection, text, names, values)
            await connection.execute("reset statement_timeout; reset synchronous_commit")
            settled = True
        finally:
            if not settled:
                # A sweep cut short (the worker stopping) must not hand a page's queries its
                # time limit: the connection goes rather than back to the pool.
                connection.terminate()
    return deleted


async def _batches(
    connection: Any, text: str, names: tuple[str, ...], values: Mapping[str, Any] | None
) -> int:
    """The batches of `delete_in_batches` on a connection set for them: each statement is its
    own transaction, committed by the server as it ends, with no round trip in between."""
    deleted, after, size = 0, EARLIEST, BATCH
    while True:
        started = time.monotonic()
        arguments = _arguments(names, {**(values or {}), "after": after, "batch": size})
        try:
            row = await connection.fetchrow(text, *arguments)
        except QueryCanceledError:
            if size <= SMALLEST:
                return deleted
            size //= 2
        else:
            deleted += row["deleted"]
            if row["deleted"] < size:
                return deleted
            after = row["last"]
            if time.monotonic() - started < HOLD_MS / 4000:
                size = min(2 * size, BATCH)
        await asyncio.sleep(REST * (time.monotonic() - started))
