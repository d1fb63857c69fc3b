"""The unit of work: a change to the data, the emails and tile jobs it causes, in one transaction.

Emails and tile jobs are rows written with the change, so a rolled-back change sends nothing.
Only after the commit is the dispatcher woken and each tile job tried at once (it stays queued
for the worker if the store is slow or down).
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from databases.core import Transaction

from services.keyring import Keyring
from services.language import current
from services.letters import seal
from services.tilework import TileWorker
from sql import outbox, tile_jobs
from sql.pool import PooledDatabase


class UnitOfWork:
    """`async with UnitOfWork(...) as work:` then change rows, `await work.email(...)`,
    `await work.tile(...)`; all commit together or not at all."""

    def __init__(
        self,
        db: PooledDatabase,
        keyring: Keyring,
        wake_mailer: Callable[[], None],
        tile_worker: TileWorker,
    ) -> None:
        self.db = db
        self.keyring = keyring
        self.wake_mailer = wake_mailer
        self.tile_worker = tile_worker
        self.emails = 0
        self.tile_jobs: list[int] = []
        self._transaction: Transaction | None = None

    async def __aenter__(self) -> UnitOfWork:
        self._transaction = self.db.transaction()
        await self._transaction.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        transaction, self._transaction = self._transaction, None
        assert transaction is not None
        await transaction.__aexit__(exc_type, exc, traceback)
        if exc_type is not None:
            return
        if self.emails:
            self.wake_mailer()
        for job in self.tile_jobs:
            await self.tile_worker.now(job)

    async def email(
        self,
        event: str,
        recipient: str,
        context: dict[str, Any],
        secrets: dict[str, str] | None = None,
        user_id: int | None = None,
    ) -> None:
        """Queue an email; the secrets (a key, a code) are sealed until it is delivered. It is
        the account's whose address it goes to, or `user_id`'s (a new address, not yet its)."""
        sealed = seal(self.keyring, secrets or {})
        await outbox.add(self.db, event, recipient, context, sealed, user_id, current.get())
        self.emails += 1

    async def tile(self, action: str, name: str, svg: str | None = None) -> None:
        """Queue a tile upload ("put") or removal ("delete"); a removal cancels waiting uploads."""
        if action == "delete":
            await tile_jobs.drop_puts(self.db, name)
        self.tile_jobs.append(await tile_jobs.add(self.db, action, name, svg))
