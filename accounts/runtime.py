"""What the rules work with, and the one factory that builds it, for the site and the command line.

`running(settings)` connects the pool (the embedded server when no DATABASE_URL is set), applies
migrations, loads the namer, opens the tile store and, for the site, starts the background
workers; everything is closed again in reverse order when the block ends.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from accounts.identity import Namer, load_namer
from accounts.keys import Hasher
from services.delivery import delivery_for
from services.housekeeping import Housekeeper
from services.keyring import Keyring
from services.letters import Renderer
from services.outbox import Dispatcher
from services.tiles import LocalTileStore, TileStore
from services.tilework import TileWorker
from services.work import UnitOfWork
from services.worker import PollingWorker
from settings import Settings
from sql import pool, security_events
from sql.migrator import migrate
from sql.pool import PooledDatabase


@dataclass(frozen=True)
class Client:
    """Where a request comes from, as the security log records it."""

    ip: str
    user_agent: str


class Clock:
    """The one clock the rules read, so a test can move time rather than wait for it."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


@dataclass(frozen=True)
class Services:
    db: PooledDatabase
    settings: Settings
    hasher: Hasher
    namer: Namer
    tiles: TileStore
    tile_worker: TileWorker
    renderer: Renderer
    wake_mailer: Callable[[], None]
    keyring: Keyring
    clock: Clock

    def change(self) -> UnitOfWork:
        """A transaction whose emails and tile jobs go out once it commits."""
        return UnitOfWork(self.db, self.keyring, self.wake_mailer, self.tile_worker)

    async def log(
        self, user_id: int | None, event: str, client: Client | None, detail: str | None = None
    ) -> None:
        """One line of the account's security log: what, how, when, from where; never a
        secret."""
        ip, agent = (client.ip, client.user_agent) if client else (None, None)
        await security_events.add(self.db, user_id, event, ip, agent, detail)


def tile_store(settings: Settings) -> TileStore:
    """S3 when a bucket is set; aiobotocore is imported only then (start-up time and memory)."""
    if settings.s3_bucket:
        from services.s3tiles import S3TileStore

        return S3TileStore(
            settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.aws_region,
            public_base_url=settings.tiles_base_url,
        )
    return LocalTileStore(settings.data_dir / "tiles")


@contextlib.asynccontextmanager
async def running(
    settings: Settings, tiles: TileStore | None = None, *, workers: bool = True
) -> AsyncIterator[Services]:
    """The services, ready; with `workers`, migrations applied (unless AUTO_MIGRATE=0) and the
    outbox dispatcher, tile worker and housekeeping running until the block ends."""
    connection = pool.connection_for(settings)
    db = pool.database(connection, settings)
    store = tiles or tile_store(settings)
    try:
        await db.connect()
        if workers and settings.auto_migrate:
            await migrate(db)
        await store.start()
        renderer = Renderer()
        dispatcher = Dispatcher(db, settings, delivery_for(settings, renderer))
        tile_worker = TileWorker(db, store, settings.mail_retry_cap)
        services = Services(
            db=db,
            settings=settings,
            hasher=Hasher(settings.argon2_memory_kib, settings.argon2_time_cost),
            namer=await load_namer(db),
            tiles=store,
            tile_worker=tile_worker,
            renderer=renderer,
            wake_mailer=dispatcher.wake,
            keyring=Keyring(settings.secret_key, settings.secret_key_fallbacks),
            clock=Clock(),
        )
        started: list[PollingWorker] = [dispatcher, tile_worker, Housekeeper(db)] if workers else []
        for worker in started:
            worker.start()
        try:
            yield services
        finally:
            for worker in reversed(started):
                await worker.stop()
    finally:
        await store.close()
        if db.is_connected:
            await db.disconnect()
        connection.close()
