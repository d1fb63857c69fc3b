"""Tile uploads and removals, queued in PostgreSQL with the change, done now or retried later."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from databases import Database

from sql import tile_jobs
from storage import StorageUnavailable, TileStore

log = logging.getLogger(__name__)
BATCH = 20


class TileWorker:
    def __init__(self, db: Database, store: TileStore, retry_cap: float, poll: float = 2.0) -> None:
        self.db = db
        self.store = store
        self.retry_cap = retry_cap
        self.poll = poll
        self.stopping = False
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.run(), name="tile-jobs")

    async def stop(self) -> None:
        self.stopping = True
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def run(self) -> None:
        while not self.stopping:
            try:
                async with self.db.connection() as connection, connection.transaction():
                    for job in await tile_jobs.claim_due(self.db, BATCH):
                        await self._do(job)
            except Exception:
                log.exception("tile jobs failed; trying again shortly")
            await asyncio.sleep(self.poll)

    async def now(self, job_id: int) -> None:
        """Try a job right away; if the store is down it stays queued for the worker."""
        try:
            async with self.db.connection() as connection, connection.transaction():
                job = await tile_jobs.claim(self.db, job_id)
                if job is not None:
                    await self._do(job)
        except Exception:
            log.exception("tile job %s left for the worker", job_id)

    async def _do(self, job: tile_jobs.Job) -> None:
        try:
            if job.action == "put":
                await self.store.put(job.name, (job.svg or "").encode())
            else:
                await self.store.delete(job.name)
        except StorageUnavailable as exc:
            delay = min(self.retry_cap, 2.0 ** (job.attempts + 1))
            await tile_jobs.failed(self.db, job.id, delay, str(exc))
        else:
            await tile_jobs.done(self.db, job.id)
