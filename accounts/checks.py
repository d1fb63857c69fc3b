"""What rules check first, and how they say no: the address, the throttles, the errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from email_validator import EmailNotValidError, validate_email

from accounts.keys import HasherBusy
from services.language import gettext
from sql import throttle
from sql.pool import PooledDatabase

MAX_EMAIL = 254


class AccountError(Exception):
    """A rule said no: the message is for the person, the field for the form."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Throttled(Exception):
    """Too many attempts: the caller may try again after `retry_after` seconds. `locked` says
    the limit is the account's own (wrong keys), which proving the mailbox lifts."""

    def __init__(self, retry_after: float, locked: bool = False) -> None:
        super().__init__(f"retry after {retry_after:.0f}s")
        self.retry_after = int(retry_after + 0.999)
        self.locked = locked


def normalise_email(raw: str) -> str:
    raw = raw.strip()
    if not raw:
        raise AccountError(gettext("Enter your email address."), "email")
    if len(raw) > MAX_EMAIL:
        raise AccountError(
            gettext("An email address has at most %(max)d characters.", max=MAX_EMAIL), "email"
        )
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        raise AccountError(
            gettext("Enter a valid email address, like name@example.com."), "email"
        ) from None


@asynccontextmanager
async def returned_if_busy(db: PooledDatabase, *keys: str) -> AsyncIterator[None]:
    """The hashing inside the block was refused (the queue is full): the attempt was never
    judged, so the throttle slots it took go back."""
    try:
        yield
    except HasherBusy:
        for key in keys:
            await throttle.give_back(db, key)
        raise


async def take_slot(
    db: PooledDatabase, key: str, limit: tuple[int, int], locked: bool = False
) -> int:
    """Take this attempt's slot, before any work; Throttled when `key` has had its `count`
    attempts in the last `seconds`. Returns how many attempts the window now holds."""
    count, seconds = limit
    hits, wait = await throttle.take(db, key, count, seconds)
    if not hits:
        raise Throttled(wait, locked)
    return hits


def login_account_key(email: str) -> str:
    """The throttle key counting failed logins for one address."""
    return f"login:account:{email.strip().lower()}"


def mfa_account_key(user_id: int) -> str:
    """The throttle key counting wrong second-factor codes for one account."""
    return f"mfa:account:{user_id}"


def change_key(user_id: int) -> str:
    """The throttle key counting the attempts to change an account (they need the key)."""
    return f"change:{user_id}"


def mail_address_key(email: str) -> str:
    """The throttle key counting the emails that people, not the site, make us send to an
    address (confirmation resends, email changes): no mail cannon."""
    return f"mail:address:{email.strip().lower()}"
