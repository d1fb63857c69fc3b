"""The PostgreSQL pool: the embedded server when none is configured, and the one module that
reaches into `databases` (pinned to PINNED_DATABASES, which tests/test_pool.py checks)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
from databases import Database
from databases.backends.postgres import PostgresBackend, PostgresConnection
from databases.core import Connection as PoolConnection
from databases.core import Transaction

from settings import Settings

log = logging.getLogger(__name__)

PINNED_DATABASES = "0.9.0"
# What "the database is away" looks like: no route, a refused or dropped connection, a timeout,
# a server shutting down or starting up (57P01, 57P03...), or one with no connection slot left.
# A connection cut while idle may first answer its next query with asyncpg's "another operation
# is in progress" (InternalClientError), before it notices that it is closed.
UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
)


@dataclass
class Connection:
    """Where the pool connects: a URL, plus the socket folder of an embedded server."""

    url: str
    socket_dir: str | None = None
    server: Any = None

    def close(self) -> None:
        if self.server is not None:
            self.server.cleanup()
            self.server = None


def embedded(data_dir: Path) -> Connection:
    """Start (or join) the pgserver instance in DATA_DIR; the last process out stops it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir / "postgres", cleanup_mode="stop")
    socket_dir = parse_qs(urlsplit(server.get_uri()).query)["host"][0]
    return Connection("postgresql://postgres@localhost/postgres", socket_dir, server)


def connection_for(settings: Settings) -> Connection:
    """DATABASE_URL (its ?host= socket folder honoured), else the embedded server."""
    if not settings.database_url:
        return embedded(settings.data_dir)
    parts = urlsplit(settings.database_url)
    host = parse_qs(parts.query).get("host")
    if host and host[0].startswith("/"):
        return Connection(
            parts._replace(netloc=_with_host(parts.netloc), query="").geturl(), host[0]
        )
    return Connection(settings.database_url)


def _with_host(netloc: str) -> str:
    credentials, _, _host = netloc.rpartition("@")
    return f"{credentials}@localhost" if credentials else "localhost"


class _TimedConnection(PostgresConnection):
    """A pooled connection whose wait for a free slot is bounded, like its connect and queries."""

    def __init__(self, backend: _TimedBackend) -> None:
        super().__init__(backend, backend._dialect)
        self._acquire_timeout = backend.acquire_timeout

    async def acquire(self) -> None:
        pool: Any = self._database._pool
        if self._connection is not None or pool is None:
            raise RuntimeError("connection already acquired, or the pool is not running")
        self._connection = await pool.acquire(timeout=self._acquire_timeout)

    async def release(self) -> None:
        """Give the connection back. asyncpg cuts one whose reset fails (the server went away
        under it) and opens another later: no fault of the work done on it, so it is logged,
        not raised. Either way this task's connection starts clean: `databases` would keep the
        dead one, and every later query of the task (a worker's loop, say) would fail."""
        connection, self._connection = self._connection, None
        pool: Any = self._database._pool
        try:
            await pool.release(connection)
        except Exception:
            log.warning("a pooled connection failed its reset and was closed", exc_info=True)


class _TimedBackend(PostgresBackend):
    def __init__(self, url: Any, acquire_timeout: float, **options: Any) -> None:
        super().__init__(url, **options)
        self.acquire_timeout = acquire_timeout

    def connection(self) -> PostgresConnection:
        return _TimedConnection(self)

    async def disconnect(self) -> None:
        """Close the pool, but never wait forever for a connection that is not given back: after
        `acquire_timeout`, the ones still out are cut."""
        pool: Any = self._pool
        self._pool = None
        try:
            await asyncio.wait_for(pool.close(), timeout=self.acquire_timeout)
        except TimeoutError:
            log.warning("connections still in use at shutdown were cut")


class _Transaction(Transaction):
    """A transaction that gives its connection back whatever happens. The one of `databases`
    keeps it when BEGIN, COMMIT or ROLLBACK fails (a database gone away, a connection cut), and
    each such failure would take one connection from the pool for good, until none is left."""

    async def start(self) -> Transaction:
        connection = self._connection
        self._transaction = connection._connection.transaction()
        async with connection._transaction_lock:
            is_root = not connection._transaction_stack
            await connection.__aenter__()
            try:
                await self._transaction.start(is_root=is_root, extra_options=self._extra_options)
            except BaseException:
                await connection.__aexit__()
                raise
            connection._transaction_stack.append(self)
        return self

    async def commit(self) -> None:
        await self._finish(commit=True)

    async def rollback(self) -> None:
        await self._finish(commit=False)

    async def _finish(self, *, commit: bool) -> None:
        connection = self._connection
        async with connection._transaction_lock:
            assert connection._transaction_stack[-1] is self
            connection._transaction_stack.pop()
            pending = self._transaction
            assert pending is not None
            self._transaction = None
            try:
                await (pending.commit() if commit else pending.rollback())
            finally:
                await connection.__aexit__()


class _Connection(PoolConnection):
    def transaction(self, *, force_rollback: bool = False, **kwargs: Any) -> Transaction:
        return _Transaction(lambda: self, force_rollback, **kwargs)


class PooledDatabase(Database):
    """`databases` with four fixes: the wait for a free pooled connection is bounded by
    `acquire_timeout` (it waits forever), a failed transaction gives its connection back, a
    failed release leaves its task a clean connection, and closing the pool does not wait
    forever for a connection that is still out."""

    def __init__(self, url: str, *, acquire_timeout: float, **options: Any) -> None:
        super().__init__(url, **options)
        self._backend = _TimedBackend(self.url, acquire_timeout, **options)

    def connection(self) -> PoolConnection:
        if self._global_connection is not None:
            return self._global_connection
        if not self._connection:
            self._connection = _Connection(self, self._backend)
        return self._connection

    def transaction(self, *, force_rollback: bool = False, **kwargs: Any) -> Transaction:
        return _Transaction(self.connection, force_rollback=force_rollback, **kwargs)

    @contextlib.asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        """The asyncpg connection a query runs on: the task's own while it holds one (inside
        `transaction()`), else one straight from the pool, which skips the bookkeeping of
        `databases` (about 20 µs a query) and waits for a free slot no longer than the rest.
        With a slot free there is no wait to bound (a connection to open again is bounded by
        the pool's own connect timeout), so the timer is set only when the pool is exhausted:
        asyncpg's own timeout would run every acquisition in a task of its own."""
        held: Any = self._connection
        if held is not None and held._connection_counter > 0:
            yield held.raw_connection
            return
        backend: Any = self._backend
        pool: Any = backend._pool
        if pool._queue.qsize():
            connection = await pool.acquire()
        else:
            async with asyncio.timeout(backend.acquire_timeout):
                connection = await pool.acquire()
        try:
            yield connection
        finally:
            await pool.release(connection)


async def _keep_session(connection: asyncpg.Connection) -> None:
    """Released connections skip asyncpg's reset query: the app keeps no session state on them
    (the migration lock is released explicitly), and an open transaction is still rolled back."""


def database(connection: Connection, settings: Settings, **pool: Any) -> PooledDatabase:
    """The pool: every wait (connect, free slot, query) bounded by DB_TIMEOUT, so a database that
    is down or hung turns into a prompt 503 rather than a request that hangs."""
    options: dict[str, Any] = {
        "min_size": 1,
        "max_size": 10,
        "timeout": settings.db_timeout,
        "command_timeout": settings.db_timeout,
        "server_settings": {"application_name": "minimal-user"},
        "reset": _keep_session,
    }
    if connection.socket_dir:
        options["host"] = connection.socket_dir
    options.update(pool)
    return PooledDatabase(connection.url, acquire_timeout=settings.db_timeout, **options)
