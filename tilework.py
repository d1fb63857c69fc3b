"""Tile uploads and removals, queued in PostgreSQL with the change, done now or retried later."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from databases import Database

from sql import tile_jobs
from storage import S3_DEADLINE, StorageUnavailable, TileStore

log = logging.getLogger(__name__)
BATCH = 20
# How long a request waits for its own job; past that, the job is the worker's.
NOW_DEADLINE = 1.5


class TileWorker:
    """Each job is claimed (FOR UPDATE SKIP LOCKED), done and removed in a transaction of its own,
    so a job's lock is held for one store call at most and a stop comes between two jobs."""

    def __init__(self, db: Database, store: TileStore, retry_cap: float, poll: float = 2.0) -> None:
        self.db = db
        self.store = store
        self.retry_cap = retry_cap
        self.poll = poll
        self.wakeup = asyncio.Event()
        self.stopping = False
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.run(), name="tile-jobs")

    async def stop(self) -> None:
        self.stopping = True
        self.wakeup.set()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self.task, timeout=S3_DEADLINE + 5)

    async def run(self) -> None:
        while not self.stopping:
            try:
                worked = await self.work_once()
            except Exception:
                log.exception("tile jobs failed; trying again shortly")
                worked = 0
            if worked < BATCH and not self.stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wakeup.wait(), timeout=self.poll)
                self.wakeup.clear()

    async def work_once(self) -> int:
        """Up to BATCH due jobs, one at a time; returns how many were tried."""
        tried = 0
        while tried < BATCH and not self.stopping:
            async with self.db.connection() as connection, connection.transaction():
                claimed = await tile_jobs.claim_due(self.db, 1)
                if not claimed:
                    break
                await self._do(claimed[0])
            tried += 1
        return tried

    async def now(self, job_id: int) -> None:
        """Try a job right away, briefly; if the store is down or slow it stays queued."""
        try:
            async with asyncio.timeout(NOW_DEADLINE):
                async with self.db.connection() as connection, connection.transaction():
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
        # Exponential backoff up to the cap, never under half a second (as for emails).
        delay = max(0.5, min(self.retry_cap, 2.0 ** (job.attempts + 1)))
        await tile_jobs.failed(self.db, job.id, delay, error)
