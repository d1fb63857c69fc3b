"""The outbox dispatcher: claims due messages, hands them to the delivery, retries with backoff
until the message is GIVE_UP_DAYS old, then marks it failed."""

from __future__ import annotations

import logging

from services.delivery import SEND_TIMEOUT, Delivery
from services.letters import letter_of
from services.worker import PollingWorker, backoff
from settings import Settings
from sql import outbox
from sql.pool import PooledDatabase

log = logging.getLogger(__name__)

# Counted from the message's creation: a failure after that is final, and its secrets are wiped.
GIVE_UP_DAYS = 3


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
        """The next due message: True when delivered, False when put off or given up, None when
        none is due. Past GIVE_UP_DAYS it still gets its attempt; only a failure then is final."""
        async with self.db.transaction():
            claimed = await outbox.claim_due(self.db, 1)
            if not claimed:
                return None
            message = claimed[0]
            try:
                await self.delivery.deliver(letter_of(message, self.settings))
            except Exception as exc:
                kind = type(exc).__name__
                delay = backoff(message.attempts, self.settings.mail_retry_cap)
                if await outbox.put_off(self.db, message.id, delay, f"{kind}: {exc}", GIVE_UP_DAYS):
                    log.error(
                        "email %s failed for good (%s); its secrets are wiped", message.id, kind
                    )
                else:
                    log.warning("email %s failed (%s); retry in %.0fs", message.id, kind, delay)
                return False
            await outbox.mark_sent(self.db, message.id, kept=self.delivery.keeps)
            return True
