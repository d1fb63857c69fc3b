"""The forgotten key, no HTTP: a one-time code by email, then a new key set with it."""

from __future__ import annotations

import re
from uuid import UUID

from accounts import checks, tokens
from accounts.checks import AccountError, normalise_email
from accounts.keys import generate_code, key_problem
from accounts.mfa import normalise_code
from accounts.runtime import Client, Services
from services.language import N_, gettext
from sql import pending_logins, resets, sessions, throttle, users

RESET_SECONDS = 10 * 60
CODE = re.compile(r"[0-9]{6}")
CODE_FAILED = N_("That code is wrong or has expired. Ask for a new one.")


def reset_id_of(svc: Services, token: str) -> UUID | None:
    """The request a reset link names, while its signature and lifetime hold."""
    claims = tokens.decode(svc.settings.secret_keys, tokens.RESET_AUDIENCE, token)
    try:
        return UUID(str(claims["rid"])) if claims else None
    except (KeyError, ValueError):
        return None


async def link_usable(svc: Services, token: str) -> bool:
    """A valid token whose code may still be tried; a decoy is as usable as a real one."""
    reset_id = reset_id_of(svc, token)
    return reset_id is not None and await resets.usable(svc.db, reset_id)


def address_digest(svc: Services, email: str) -> bytes:
    """How a forgotten-key request names its address: a keyed hash, never the address."""
    return svc.keyring.mac(b"reset-address", email.lower().encode())


async def request_reset(svc: Services, raw_email: str, client: Client) -> str:
    """The same throttles, queries and answer whether or not the address has an account."""
    email = normalise_email(raw_email)
    limits = svc.settings.limits
    address = email.lower()
    slots = [
        (f"forgot:ip:{client.ip}", limits.forgot_ip),
        (f"forgot:address-minute:{address}", limits.forgot_address_minute),
        (f"forgot:address-hour:{address}", limits.forgot_address_hour),
    ]
    for key, limit in slots:
        await checks.take_slot(svc.db, key, limit)
    found = await users.by_email(svc.db, email)
    user = found if found is not None and found.valid else None
    user_id = user.id if user is not None else None
    code = generate_code()
    async with checks.returned_if_busy(svc.db, *(key for key, _ in slots)):
        code_hash = await svc.hasher.hash(code)
    async with svc.change() as work:
        reset_id = await resets.replace(
            svc.db, address_digest(svc, email), user_id, code_hash, RESET_SECONDS
        )
        token = tokens.encode(
            svc.settings.secret_key, tokens.RESET_AUDIENCE, {"rid": str(reset_id)}, RESET_SECONDS
        )
        if user is not None:
            await work.email(
                "forgot_key",
                user.email,
                {"nickname": user.nickname},
                {"code": code, "token": token},
            )
        await svc.log(user_id, "reset_requested", client)
    return token


def check_new_key(new_key: str, confirm_key: str) -> None:
    problem = key_problem(new_key)
    if problem:
        raise AccountError(problem, "newaccesskey")
    if confirm_key != new_key:
        raise AccountError(
            gettext("The two keys do not match; type the new key again."), "confirmaccesskey"
        )


async def reset_key(
    svc: Services, token: str, client: Client, otp: str, new_key: str, confirm_key: str
) -> str:
    """Set a new key with the emailed code; every session ends. Returns the account's email.

    The code proves the address, so the account is confirmed too: whoever signed up with
    someone else's address loses it to its owner."""
    reset_id = reset_id_of(svc, token)
    if reset_id is None:
        raise AccountError(gettext(CODE_FAILED), "otp")
    otp = normalise_code(otp)
    if not CODE.fullmatch(otp):
        raise AccountError(gettext("Enter the 6 digits of the code we emailed you."), "otp")
    check_new_key(new_key, confirm_key)
    attempt = await resets.spend_attempt(svc.db, reset_id)
    right = await svc.hasher.verify(attempt.code_hash if attempt else None, otp)
    user_id = attempt.user_id if attempt and right else None
    user = await users.by_id(svc.db, user_id) if user_id is not None else None
    if user is None or not user.valid:
        raise AccountError(gettext(CODE_FAILED), "otp")
    if await svc.hasher.verify(user.key_hash, new_key):
        raise AccountError(gettext("The new key must differ from the current one."), "newaccesskey")
    key_hash = await svc.hasher.hash(new_key)
    limits = svc.settings.limits
    async with svc.change() as work:
        if not await resets.mark_used(svc.db, reset_id):
            raise AccountError(gettext(CODE_FAILED), "otp")
        await users.set_key_hash(svc.db, user.id, key_hash)
        await users.confirm(svc.db, user.id, user.email)
        lock_key, (limit, seconds) = checks.login_account_key(user.email), limits.login_account
        if await throttle.hits(svc.db, lock_key, seconds) >= limit:
            await svc.log(user.id, "account_unlocked", client)
        await throttle.clear(svc.db, lock_key)
        await throttle.clear(svc.db, checks.mfa_account_key(user.id))
        await pending_logins.forget_user(svc.db, user.id)
        await svc.log(user.id, "reset_done", client)
        if await sessions.delete_all(svc.db, user.id):
            await svc.log(user.id, "sessions_ended_by_reset", client)
        await work.email("key_reset", user.email, {"nickname": user.nickname})
    return user.email
