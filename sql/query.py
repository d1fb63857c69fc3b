"""The one way a query runs: `:named` parameters, translated once per statement to asyncpg's `$n`.

Every query module calls these four functions. They run on the task's connection while it holds
one (inside `db.transaction()`), and otherwise on a connection straight from the pool, so a page's
queries skip the per-query compilation of `databases` (about 0.25 ms of CPU each).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from asyncpg import Record

from sql.pool import PooledDatabase

# Quoted text and comments are skipped whole; `::` is a cast; only a lone `:name` is a parameter.
TOKEN = re.compile(
    r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|\$\$.*?\$\$|::|:([A-Za-z_]\w*)""",
    re.DOTALL,
)


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
    missing = [name for name in names if name not in given]
    if missing:
        raise KeyError(f"no value for the parameters {missing}")
    return [given[name] for name in names]


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
