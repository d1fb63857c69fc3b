"""Tile uploads and removals, queued in PostgreSQL with the change, done now or retried later."""

from __future__ import annotations

import asyncio
import logging

from services.tiles import S3_DEADLINE, StorageUnavailable, TileStore
from services.worker import PollingWorker, backoff
from sql import tile_jobs
from sql.pool import PooledDatabase

log = logging.getLogger(__name__)
# How long a request waits for its own job; past that, the job is the worker's.
NOW_DEADLINE = 1.5


class TileWorker(PollingWorker):
    """Each job is claimed (FOR UPDATE SKIP LOCKED), done and removed in a transaction of its own,
    so a job's lock is held for one store call at most and a stop comes between two jobs."""

    def __init__(self, db: PooledDatabase, store: TileStore, retry_cap: float) -> None:
        super().__init__(db, "tile-jobs", poll=2.0, batch=20, stop_timeout=S3_DEADLINE + 5)
        self.store = store
        self.retry_cap = retry_cap

    async def work_one(self) -> bool:
        async with self.db.transaction():
            claimed = await tile_jobs.claim_due(self.db, 1)
            if not claimed:
                return False
            await self._do(claimed[0])
        return True

    async def now(self, job_id: int) -> None:
        """Try a job right away, briefly; if the store is down or slow it stays queued."""
        try:
            async with asyncio.timeout(NOW_DEADLINE):
                async with self.db.transaction():
                    job = await tile_jobs.claim(self.db, job_id)
                    if job is not None:
                        await self._do(job)
        except Exception:
            log.warning("tile job %s left for the worker", job_id, exc_info=True)

    async def _do(self, job: tile_jobs.Job) -> None:
        try:
            if job.action == "put":
                await self.store.put(job.name, (job.svg or "").encode())
            else:
                await self.store.delete(job.name)
        except StorageUnavailable as exc:
            await self._put_off(job, str(exc))
        except ValueError as exc:
            # A job the store can never do (say, a bad name) must not block the queue.
            log.error("tile job %s cannot be done: %s", job.id, exc)
            await self._put_off(job, f"{type(exc).__name__}: {exc}")
        else:
            await tile_jobs.done(self.db, job.id)

    async def _put_off(self, job: tile_jobs.Job, error: str) -> None:
        await tile_jobs.failed(self.db, job.id, backoff(job.attempts, self.retry_cap), error)
