"""A periodic clean-up: expired sessions, pending changes, throttle rows, old mail and logs."""

from __future__ import annotations

from datetime import UTC, datetime

from services.worker import PollingWorker
from sql import (
    email_changes,
    login_codes,
    outbox,
    pending_logins,
    resets,
    security_events,
    sessions,
    throttle,
    totp,
)
from sql.pool import PooledDatabase

INTERVAL = 600.0
THROTTLE_KEEP_SECONDS = 24 * 3600
SENT_MAIL_DAYS = 7
FAILED_MAIL_DAYS = 30
SECURITY_LOG_DAYS = 365


async def sweep(db: PooledDatabase) -> None:
    await sessions.prune(db)
    await email_changes.prune(db)
    await resets.prune(db)
    await throttle.prune(db, THROTTLE_KEEP_SECONDS)
    await outbox.prune_sent(db, SENT_MAIL_DAYS)
    await outbox.prune_failed(db, FAILED_MAIL_DAYS)
    await security_events.prune(db, SECURITY_LOG_DAYS)
    now = datetime.now(UTC)
    await pending_logins.prune(db, now)
    await login_codes.prune(db, now)
    await totp.prune_setups(db, now)


class Housekeeper(PollingWorker):
    """Sweeps every `interval` seconds, the first time one interval after the start."""

    def __init__(self, db: PooledDatabase, interval: float = INTERVAL) -> None:
        super().__init__(db, "housekeeping", poll=interval, first_wait=True)

    async def work_one(self) -> bool:
        await sweep(self.db)
        return False
