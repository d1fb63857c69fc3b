"""Login by an emailed code, no HTTP: for a lost key or another device. The code proves the
mailbox, like the first confirmation link, and a second factor, when on, is still asked."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from uuid import UUID

from accounts import checks
from accounts.checks import AccountError, normalise_email
from accounts.login import PENDING_LASTS, CodeNeeded, LoggedIn, second_factor_on
from accounts.mfa import RECOVERY_ALPHABET, normalise_code
from accounts.runtime import Client, Services
from services.language import N_, gettext
from sql import login_codes, pending_logins, sessions, throttle, users

LASTS = timedelta(minutes=5)
CODE_INFO = b"login-codes"
ADDRESS_INFO = b"login-code-address"
LENGTH = 8
SENT = N_(
    "If that address has an account, we emailed it a login code. It works for 5 minutes,"
    " in this browser only."
)
CODE_FAILED = N_("That code is wrong or has expired. Ask for a new one.")


def login_code() -> str:
    """8 characters from an alphabet without vowels or look-alikes, shown as XXXX-XXXX."""
    code = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(LENGTH))
    return f"{code[:4]}-{code[4:]}"


async def request_code(svc: Services, raw_email: str, client: Client) -> UUID:
    """The same throttles, rows and answer whether or not the address has an account; only a
    known address gets the email. Its own throttles: the forgotten-key flow keeps its own."""
    email = normalise_email(raw_email)
    limits = svc.settings.limits
    await checks.take_slot(svc.db, f"login-code:ip:{client.ip}", limits.login_code_ip)
    address_key = f"login-code:address:{email.lower()}"
    await checks.take_slot(svc.db, address_key, limits.login_code_address)
    found = await users.by_email(svc.db, email)
    user = found if found is not None and found.valid else None
    code = login_code()
    code_hash = svc.keyring.mac(CODE_INFO, normalise_code(code).encode())
    address = svc.keyring.mac(ADDRESS_INFO, email.lower().encode())
    expires = svc.clock.now() + LASTS
    async with svc.change() as work:
        user_id = user.id if user is not None else None
        code_id = await login_codes.replace(svc.db, address, user_id, code_hash, expires)
        if user is not None:
            await work.email("login_code", user.email, {"nickname": user.nickname}, {"code": code})
        await svc.log(user_id, "login_code_requested", client)
    return code_id


async def code_usable(svc: Services, code_id: UUID) -> bool:
    return await login_codes.live(svc.db, code_id, svc.clock.now())


async def use_code(svc: Services, code_id: UUID, raw: str, client: Client) -> LoggedIn | CodeNeeded:
    """The code asked for in this browser: once, for 5 minutes, 3 attempts. It confirms the
    address; without a second factor it logs in and ends every other session."""
    now = svc.clock.now()
    attempt = await login_codes.spend_attempt(svc.db, code_id, now)
    typed = svc.keyring.macs(CODE_INFO, normalise_code(raw).encode())
    right = attempt is not None and any(hmac.compare_digest(attempt.code_hash, t) for t in typed)
    user = (
        await users.by_id(svc.db, attempt.user_id)
        if right and attempt and attempt.user_id
        else None
    )
    if user is None or not user.valid or not await login_codes.take(svc.db, code_id):
        raise AccountError(gettext(CODE_FAILED), "code")
    if await users.confirm(svc.db, user.id, user.email):
        await svc.log(user.id, "email_confirmed", client)
    await throttle.clear(svc.db, checks.login_account_key(user.email))
    if await second_factor_on(svc, user.id):
        pending_id = await pending_logins.create(svc.db, user.id, False, now + PENDING_LASTS)
        await svc.log(user.id, "login_code_accepted", client)
        return CodeNeeded(pending_id)
    async with svc.db.transaction():
        session_id = await sessions.create(svc.db, user.id, client.ip, client.user_agent, False)
        if await sessions.delete_others(svc.db, user.id, session_id):
            await svc.log(user.id, "sessions_ended_by_login_code", client)
        await svc.log(user.id, "login", client, "login_code")
    return LoggedIn(user.id, session_id, False)
