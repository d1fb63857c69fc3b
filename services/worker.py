"""The one polling-worker base of the background loops, and their one retry backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sql.pool import PooledDatabase

log = logging.getLogger(__name__)


def backoff(attempts: int, cap: float) -> float:
    """Exponential backoff up to the cap; never under half a second, so no setting can spin."""
    return max(0.5, min(cap, 2.0 ** (attempts + 1)))


class PollingWorker:
    """A lifespan task that does a batch of `work_one` calls, again and again, until stopped. A
    full batch means more may be due, so it goes again at once; otherwise it waits `poll` seconds
    or until `wake()`. A failure is logged and retried at the next turn; `stop()` comes between two
    units of work, waiting at most `stop_timeout` for the one under way."""

    def __init__(
        self,
        db: PooledDatabase,
        name: str,
        *,
        poll: float,
        batch: int = 1,
        stop_timeout: float = 15.0,
        first_wait: bool = False,
    ) -> None:
        self.db = db
        self.name = name
        self.poll = poll
        self.batch = batch
        self.stop_timeout = stop_timeout
        self.first_wait = first_wait
        self.wakeup = asyncio.Event()
        self.stopping = False
        self.task: asyncio.Task[None] | None = None

    async def work_one(self) -> bool:
        """One unit of work, in a transaction of its own; False when none was due."""
        raise NotImplementedError

    async def work_once(self) -> int:
        """Up to `batch` units of work, one at a time; returns how many were tried."""
        tried = 0
        while tried < self.batch and not self.stopping:
            if not await self.work_one():
                break
            tried += 1
        return tried

    def start(self) -> None:
        self.task = asyncio.create_task(self.run(), name=self.name)

    def wake(self) -> None:
        self.wakeup.set()

    async def stop(self) -> None:
        self.stopping = True
        self.wakeup.set()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self.task, timeout=self.stop_timeout)

    async def run(self) -> None:
        if self.first_wait:
            await self._wait()
        while not self.stopping:
            try:
                tried = await self.work_once()
            except Exception:
                log.exception("%s failed; trying again shortly", self.name)
                tried = 0
            if tried < self.batch:
                await self._wait()

    async def _wait(self) -> None:
        if not self.stopping:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wakeup.wait(), timeout=self.poll)
            self.wakeup.clear()
