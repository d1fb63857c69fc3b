"""Logging in and out: the email and access key, then the second factor when it is on; and
re-authentication, which proves the user again for sensitive actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from accounts import checks, mfa
from accounts.checks import MAX_EMAIL, AccountError, Throttled
from accounts.runtime import Client, Services
from services.language import N_, gettext
from sql import passkeys, pending_logins, sessions, throttle, totp, users
from sql.sessions import CurrentUser

MAX_KEY = 128
LOGIN_FAILED = N_("That email and access key do not match an active account.")
PENDING_LASTS = timedelta(minutes=15)
PENDING_GONE = N_("This login expired or had too many wrong codes. Log in again with your key.")


@dataclass(frozen=True)
class LoggedIn:
    user_id: int
    session_id: UUID
    remember: bool


@dataclass(frozen=True)
class CodeNeeded:
    """The key was right and a second factor is on: nobody is logged in until its code."""

    pending_id: UUID


async def _key_checked(svc: Services, email: str, key: str, client: Client) -> users.User:
    """The account whose key this is, judged with the login throttles: each attempt takes its
    slots before the key is checked; a right key gives them back (they count failures)."""
    limits = svc.settings.limits
    ip_key, account_key = f"login:ip:{client.ip}", checks.login_account_key(email)
    await checks.take_slot(svc.db, ip_key, limits.login_ip)
    try:
        failures = await checks.take_slot(svc.db, account_key, limits.login_account, locked=True)
    except Throttled:
        await throttle.give_back(svc.db, ip_key)
        raise
    user = await users.by_email(svc.db, email) if email else None
    usable = user is not None and user.valid and len(key) <= MAX_KEY
    async with checks.returned_if_busy(svc.db, ip_key, account_key):
        ok = await svc.hasher.verify(user.key_hash if usable and user else None, key[:MAX_KEY])
    if not ok or user is None or not usable:
        user_id = user.id if user is not None else None
        await svc.log(user_id, "login_failed", client)
        if failures == limits.login_account[0]:
            await svc.log(user_id, "account_locked", client)
        raise AccountError(gettext(LOGIN_FAILED))
    await throttle.give_back(svc.db, ip_key)
    await throttle.give_back(svc.db, account_key)
    if svc.hasher.needs_rehash(user.key_hash):
        await users.set_key_hash(svc.db, user.id, await svc.hasher.hash(key))
    return user


async def second_factor_on(svc: Services, user_id: int) -> bool:
    """Does a login of this account need a second step after its key or login code?"""
    if await totp.of_user(svc.db, user_id) is not None:
        return True
    return await passkeys.exists(svc.db, user_id)


async def log_in(
    svc: Services, raw_email: str, key: str, client: Client, remember: bool
) -> LoggedIn | CodeNeeded:
    """One generic failure for every case, with the same work whether or not the email exists.
    With a second factor on, a right key leads to a pending login, not a session."""
    email = raw_email.strip()[:MAX_EMAIL].lower()
    user = await _key_checked(svc, email, key, client)
    now = svc.clock.now()
    if await second_factor_on(svc, user.id):
        pending_id = await pending_logins.create(svc.db, user.id, remember, now + PENDING_LASTS)
        await svc.log(user.id, "login_key_accepted", client)
        return CodeNeeded(pending_id)
    session_id = await sessions.create(
        svc.db, user.id, client.ip, client.user_agent, remember, now, "key"
    )
    await svc.log(user.id, "login", client, "key")
    return LoggedIn(user.id, session_id, remember)


async def pending_login(svc: Services, pending_id: UUID) -> bool:
    """Is this browser's pending login still waiting for its code?"""
    return await pending_logins.live(svc.db, pending_id, svc.clock.now()) is not None


async def complete_login(
    svc: Services, pending_id: UUID, raw_code: str, client: Client
) -> LoggedIn:
    """The second step: a current code or an unused recovery code logs the user in. Wrong
    codes count per pending login (5), per account and per IP, each taken before the check;
    the fifth wrong code ends the pending login and tells the owner by email."""
    limits = svc.settings.limits
    now = svc.clock.now()
    found = await pending_logins.live(svc.db, pending_id, now)
    if found is None:
        raise AccountError(gettext(PENDING_GONE))
    ip_key, account_key = f"mfa:ip:{client.ip}", checks.mfa_account_key(found.user_id)
    await checks.take_slot(svc.db, ip_key, limits.mfa_ip)
    try:
        await checks.take_slot(svc.db, account_key, limits.mfa_account)
    except Throttled:
        await throttle.give_back(svc.db, ip_key)
        raise
    attempt = await pending_logins.spend_attempt(svc.db, pending_id, now)
    user = await users.by_id(svc.db, found.user_id)
    if attempt is None or user is None or not user.valid:
        raise AccountError(gettext(PENDING_GONE))
    method = await mfa.check_code(svc, user, raw_code, client)
    if method is None:
        await svc.log(user.id, "mfa_code_failed", client)
        if attempt.attempts >= pending_logins.MAX_ATTEMPTS:
            async with svc.change() as work:
                await pending_logins.take(svc.db, pending_id, now)
                context = {"nickname": user.nickname, "ip": client.ip}
                await work.email("mfa_failures", user.email, context)
                await svc.log(user.id, "mfa_failures", client)
            raise AccountError(gettext(PENDING_GONE))
        raise AccountError(gettext(mfa.WRONG_CODE), "code")
    await throttle.give_back(svc.db, ip_key)
    await throttle.give_back(svc.db, account_key)
    return await finish_pending(svc, pending_id, user.id, method, client)


async def finish_pending(
    svc: Services, pending_id: UUID, user_id: int, method: str, client: Client
) -> LoggedIn:
    """The pending login of `user_id` passed its second factor (`method`): its session, once.
    Every second factor ends here (a code, a recovery code, a passkey)."""
    now = svc.clock.now()
    async with svc.db.transaction():
        found = await pending_logins.take(svc.db, pending_id, now)
        if found is None or found.user_id != user_id:
            raise AccountError(gettext(PENDING_GONE))
        session_id = await sessions.create(
            svc.db, user_id, client.ip, client.user_agent, found.remember, now, method
        )
        await svc.log(user_id, "login", client, method)
    return LoggedIn(user_id, session_id, found.remember)


async def pending_user(svc: Services, pending_id: UUID) -> int | None:
    """The account a live pending login is for (a passkey must be that account's)."""
    found = await pending_logins.live(svc.db, pending_id, svc.clock.now())
    return found.user_id if found else None


async def reauthenticate(
    svc: Services, current: CurrentUser, key: str, code: str, client: Client
) -> None:
    """Prove the user again in this browser: the key (throttled like a login) or, with a second
    factor on, a current code. Sensitive actions are then open for 10 minutes."""
    if code.strip():
        ip_key, account_key = f"mfa:ip:{client.ip}", checks.mfa_account_key(current.id)
        limits = svc.settings.limits
        await checks.take_slot(svc.db, ip_key, limits.mfa_ip)
        await checks.take_slot(svc.db, account_key, limits.mfa_account)
        if await mfa.check_code(svc, current, code, client) is None:
            raise AccountError(gettext(mfa.WRONG_CODE), "code")
        await throttle.give_back(svc.db, ip_key)
        await throttle.give_back(svc.db, account_key)
    else:
        user = await _key_checked(svc, current.email.lower(), key, client)
        if user.id != current.id:
            raise AccountError(gettext(LOGIN_FAILED), "accesskey")
    await mfa.authenticated_now(svc, current, "code" if code.strip() else "key")
    await svc.log(current.id, "reauthenticated", client, "code" if code.strip() else "key")


async def log_out(svc: Services, user_id: int, session_id: UUID, client: Client) -> None:
    await sessions.delete(svc.db, session_id)
    await svc.log(user_id, "logout", client)
