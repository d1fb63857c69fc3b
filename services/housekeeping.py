"""A periodic clean-up: expired sessions, pending changes, throttle rows, old mail and logs."""

from __future__ import annotations

import logging
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

log = logging.getLogger(__name__)

INTERVAL = 600.0
THROTTLE_KEEP_SECONDS = 24 * 3600
SENT_MAIL_DAYS = 7
FAILED_MAIL_DAYS = 30
SECURITY_LOG_DAYS = 365


async def sweep(db: PooledDatabase) -> dict[str, int]:
    """Each kind of expired row, deleted in short batches (sql/query.py: delete_in_batches), so
    the pages and logins that touch the same tables meanwhile never wait long for a lock.
    Returns how many rows of each kind went."""
    now = datetime.now(UTC)
    return {
        "sessions": await sessions.prune(db),
        "email changes": await email_changes.prune(db),
        "key resets": await resets.prune(db),
        "throttle rows": await throttle.prune(db, THROTTLE_KEEP_SECONDS),
        "delivered mail": await outbox.prune_sent(db, SENT_MAIL_DAYS),
        "failed mail": await outbox.prune_failed(db, FAILED_MAIL_DAYS),
        "security log": await security_events.prune(db, SECURITY_LOG_DAYS),
        "pending logins": await pending_logins.prune(db, now),
        "login codes": await login_codes.prune(db, now),
        "authenticator setups": await totp.prune_setups(db, now),
    }


class Housekeeper(PollingWorker):
    """Sweeps every `interval` seconds, the first time one interval after the start."""

    def __init__(self, db: PooledDatabase, interval: float = INTERVAL) -> None:
        super().__init__(db, "housekeeping", poll=interval, first_wait=True)

    async def work_one(self) -> bool:
        removed = {kind: count for kind, count in (await sweep(self.db)).items() if count}
        if removed:
            log.info("housekeeping removed %s", ", ".join(f"{n} {k}" for k, n in removed.items()))
        return False
