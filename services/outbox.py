"""The outbox dispatcher: claims due messages, hands them to the delivery, retries with backoff."""

from __future__ import annotations

import logging

from services.delivery import SEND_TIMEOUT, Delivery
from services.letters import letter_of
from services.worker import PollingWorker, backoff
from settings import Settings
from sql import outbox
from sql.pool import PooledDatabase

log = logging.getLogger(__name__)


class Dispatcher(PollingWorker):
    """Claims due outbox rows (FOR UPDATE SKIP LOCKED), delivers them, retries with backoff.

    Each message is claimed, delivered and marked in a transaction of its own, committed as soon
    as the SMTP server (or the mailer) has accepted it: a process that dies can leave at most the
    one message it was sending to be sent again, never a batch.
    """

    def __init__(self, db: PooledDatabase, settings: Settings, delivery: Delivery) -> None:
        super().__init__(db, "outbox-dispatcher", poll=1.0, batch=10, stop_timeout=SEND_TIMEOUT + 5)
        self.settings = settings
        self.delivery = delivery

    async def work_one(self) -> bool:
        """A failed message is put off, so it counts as tried: failures never hold up the rest."""
        return await self.dispatch_next() is not None

    async def dispatch_next(self) -> bool | None:
        """The next due message: True when delivered, False when put off, None when none is due."""
        async with self.db.transaction():
            claimed = await outbox.claim_due(self.db, 1)
            if not claimed:
                return None
            message = claimed[0]
            try:
                await self.delivery.deliver(letter_of(message, self.settings))
            except Exception as exc:
                delay = backoff(message.attempts, self.settings.mail_retry_cap)
                log.warning(
                    "email %s failed (%s); retry in %.0fs", message.id, type(exc).__name__, delay
                )
                await outbox.mark_failed(self.db, message.id, delay, f"{type(exc).__name__}: {exc}")
                return False
            await outbox.mark_sent(self.db, message.id, kept=self.delivery.keeps)
            return True
