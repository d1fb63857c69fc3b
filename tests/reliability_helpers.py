"""Watching a live site while things break: polling, a look into its database, a person's client.

Shared by the tests/test_reliability*.py files, which run the app under uvicorn in its own process.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

import settings as settings_module
from sql import pool
from sql.pool import PooledDatabase
from tests.servers import LiveServer, app_env, text_of

WAIT = 30.0


async def eventually(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool], what: str, within: float = WAIT
) -> None:
    """Poll until check() holds; the generous timeout is for a busy 2-core machine."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        outcome = check()
        if await outcome if inspect.isawaitable(outcome) else outcome:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {within:.0f}s: {what}")


@asynccontextmanager
async def database_at(url: str) -> AsyncIterator[PooledDatabase]:
    """A connection of the test's own, to look at what the app wrote."""
    config = settings_module.load(app_env(url))
    db = pool.database(pool.connection_for(config), config, min_size=1, max_size=2)
    await db.connect()
    try:
        yield db
    finally:
        await db.disconnect()


@asynccontextmanager
async def browser(server: LiveServer | str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of its own (its own cookies), as one person's browser."""
    url = server if isinstance(server, str) else server.url
    async with httpx.AsyncClient(base_url=url, timeout=WAIT) as client:
        yield client


async def outbox_rows(db: PooledDatabase) -> list[Any]:
    return list(
        await db.fetch_all(
            "select obx_recipient, obx_attempts, obx_sent_at from minimaluser.tbl_outbox"
        )
    )


def key_in(message: Any) -> str:
    found = re.search(r"^Access key: (\S+)\r?$", text_of(message), re.MULTILINE)
    assert found, text_of(message)
    return found.group(1)
