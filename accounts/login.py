"""Logging in and out with an email and an access key."""

from __future__ import annotations

from uuid import UUID

from accounts import checks
from accounts.checks import MAX_EMAIL, AccountError
from accounts.keys import HasherBusy
from accounts.runtime import Client, Services
from sql import sessions, throttle, users

MAX_KEY = 128
LOGIN_FAILED = "That email and access key do not match an active account."


async def log_in(
    svc: Services, raw_email: str, key: str, client: Client, remember: bool
) -> tuple[int, UUID]:
    """One generic failure for every case, with the same work whether or not the email exists.

    Each attempt takes its slots in the address's and the account's throttles before the key
    is checked, so a burst is judged attempt by attempt; a right key gives its slots back,
    since the limits count failures."""
    email = raw_email.strip()[:MAX_EMAIL].lower()
    limits = svc.settings.limits
    ip_key, account_key = f"login:ip:{client.ip}", checks.login_account_key(email)
    await checks.take_slot(svc.db, ip_key, limits.login_ip)
    try:
        failures = await checks.take_slot(svc.db, account_key, limits.login_account, locked=True)
    except checks.Throttled:
        await throttle.give_back(svc.db, ip_key)
        raise
    user = await users.by_email(svc.db, email) if email else None
    usable = user is not None and user.valid and len(key) <= MAX_KEY
    try:
        ok = await svc.hasher.verify(user.key_hash if usable and user else None, key[:MAX_KEY])
    except HasherBusy:
        await throttle.give_back(svc.db, ip_key)
        await throttle.give_back(svc.db, account_key)
        raise
    if not ok or user is None or not usable:
        user_id = user.id if user is not None else None
        await svc.log(user_id, "login_failed", client)
        if failures == limits.login_account[0]:
            await svc.log(user_id, "account_locked", client)
        raise AccountError(LOGIN_FAILED)
    await throttle.give_back(svc.db, ip_key)
    await throttle.give_back(svc.db, account_key)
    if svc.hasher.needs_rehash(user.key_hash):
        await users.set_key_hash(svc.db, user.id, await svc.hasher.hash(key))
    session_id = await sessions.create(svc.db, user.id, client.ip, client.user_agent, remember)
    await svc.log(user.id, "login", client, "key")
    return user.id, session_id


async def log_out(svc: Services, user_id: int, session_id: UUID, client: Client) -> None:
    await sessions.delete(svc.db, session_id)
    await svc.log(user_id, "logout", client)
