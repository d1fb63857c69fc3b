"""A periodic clean-up: expired sessions, pending changes, throttle rows, old mail and logs."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from databases import Database

from sql import email_changes, outbox, resets, security_events, sessions, throttle

log = logging.getLogger(__name__)

INTERVAL = 600.0
THROTTLE_KEEP_SECONDS = 24 * 3600
SENT_MAIL_DAYS = 7
SECURITY_LOG_DAYS = 365


async def sweep(db: Database) -> None:
    await sessions.prune(db)
    await email_changes.prune(db)
    await resets.prune(db)
    await throttle.prune(db, THROTTLE_KEEP_SECONDS)
    await outbox.prune_sent(db, SENT_MAIL_DAYS)
    await security_events.prune(db, SECURITY_LOG_DAYS)


class Housekeeper:
    def __init__(self, db: Database, interval: float = INTERVAL) -> None:
        self.db = db
        self.interval = interval
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.run(), name="housekeeping")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await sweep(self.db)
            except Exception:
                log.exception("housekeeping failed; trying again later")
