"""The second factor, no HTTP: an authenticator app (TOTP, RFC 6238) and recovery codes; turning
them on and off, checking a code once, and re-authentication for sensitive actions."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from cryptography.fernet import InvalidToken

from accounts.checks import AccountError
from accounts.runtime import Client, Services
from services.language import N_, gettext
from sql import passkeys, recovery_codes, sessions, totp
from sql.sessions import CurrentUser
from sql.users import User

log = logging.getLogger("minimal_user")

TOTP_INFO = b"totp-secrets"
RECOVERY_INFO = b"recovery-codes"
STEP_SECONDS = 30
SETUP_LASTS = timedelta(minutes=15)
FRESH_FOR = timedelta(minutes=10)
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "23456789BCDFGHJKMNPQRSTVWXYZ"
RECOVERY_LENGTH = 10
ISSUER = "Minimal+User"
WRONG_CODE = N_(
    "That code is not right. Enter the 6 digits your app shows now, or a recovery code."
)
WRONG_SETUP_CODE = N_("That code is not right. Enter the 6 digits your app shows now.")
# Arabic-Indic and Eastern Arabic-Indic digits read as the digits they are.
DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


@dataclass(frozen=True)
class Status:
    """What the sign-in security page and the profile show."""

    totp: bool
    recovery_left: int

    @property
    def recovery_low(self) -> bool:
        return self.totp and self.recovery_left < 3


def normalise_code(raw: str) -> str:
    """A typed code without spaces or dashes, its digits ASCII, its letters upper case."""
    return "".join(raw.translate(DIGITS).split()).replace("-", "").upper()[:32]


def recovery_code() -> str:
    """10 characters from an alphabet without vowels or look-alikes, shown as XXXXX-XXXXX."""
    code = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return f"{code[:5]}-{code[5:]}"


def provisioning_uri(secret: str, email: str) -> str:
    """What the QR code holds: the otpauth:// URI authenticator apps read."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is, within one step either way of `now`; None if none."""
    if len(code) != 6 or not code.isdigit():
        return None
    generator = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current, current - 1, current + 1):
        if secrets.compare_digest(generator.at(step * STEP_SECONDS), code):
            return step
    return None


def fresh(current: CurrentUser, now: datetime) -> bool:
    """Has this browser's session proved its user (key, code) in the last 10 minutes?"""
    at = current.authenticated_at
    return at is not None and timedelta() <= now - at < FRESH_FOR


async def status(svc: Services, user_id: int) -> Status:
    on = await totp.of_user(svc.db, user_id) is not None
    return Status(on, await recovery_codes.left(svc.db, user_id) if on else 0)


async def setup_secret(svc: Services, current: CurrentUser) -> str:
    """The base32 secret of this account's setup: made once, the same for 15 minutes."""
    fernet = svc.keyring.fernet(TOTP_INFO)
    fresh_secret = fernet.encrypt(pyotp.random_base32().encode())
    now = svc.clock.now()
    sealed = await totp.pending_setup(svc.db, current.id, fresh_secret, now, SETUP_LASTS)
    try:
        return fernet.decrypt(sealed).decode()
    except InvalidToken:
        await totp.drop_setup(svc.db, current.id)
        sealed = await totp.pending_setup(svc.db, current.id, fresh_secret, now, SETUP_LASTS)
        return fernet.decrypt(sealed).decode()


async def _new_recovery_codes(svc: Services, user_id: int) -> list[str]:
    codes = [recovery_code() for _ in range(RECOVERY_CODES)]
    hashes = [svc.keyring.mac(RECOVERY_INFO, normalise_code(c).encode()) for c in codes]
    await recovery_codes.replace(svc.db, user_id, hashes)
    return codes


async def enable_totp(
    svc: Services, current: CurrentUser, raw_code: str, client: Client
) -> list[str]:
    """Turn the authenticator app on once a code of the setup's secret is right; returns the
    recovery codes, shown once. Only a confirmed address may: a stranger who typed it cannot."""
    if not current.confirmed:
        raise AccountError(gettext("Confirm your email address first."), "code")
    now = svc.clock.now()
    sealed = await totp.setup_of(svc.db, current.id, now)
    if sealed is None:
        raise AccountError(gettext("This setup expired: scan the new code below."), "code")
    secret = svc.keyring.fernet(TOTP_INFO).decrypt(sealed).decode()
    step = matching_step(secret, normalise_code(raw_code), now)
    if step is None:
        raise AccountError(gettext(WRONG_SETUP_CODE), "code")
    async with svc.change() as work:
        if not await totp.enable(svc.db, current.id, sealed, step, now):
            raise AccountError(
                gettext("An authenticator app is already on for this account."), "code"
            )
        codes = await _new_recovery_codes(svc, current.id)
        await work.email("mfa_enabled", current.email, {"nickname": current.nickname})
        await svc.log(current.id, "mfa_enabled", client)
    return codes


async def regenerate_recovery_codes(
    svc: Services, current: CurrentUser, client: Client
) -> list[str]:
    async with svc.change() as work:
        if await totp.of_user(svc.db, current.id) is None:
            raise AccountError(gettext("Turn on an authenticator app first."))
        codes = await _new_recovery_codes(svc, current.id)
        await work.email("recovery_regenerated", current.email, {"nickname": current.nickname})
        await svc.log(current.id, "recovery_regenerated", client)
    return codes


async def reset_second_factor(
    svc: Services, user: User | CurrentUser, client: Client | None, *, by_operator: bool = True
) -> bool:
    """Turn the authenticator app off (the owner), or every second factor, passkeys too (an
    operator, for a user who lost them all); True if one was on."""
    async with svc.change() as work:
        removed = await totp.remove(svc.db, user.id)
        if by_operator:
            removed = bool(await passkeys.remove_all(svc.db, user.id)) or removed
        if not removed:
            return False
        await recovery_codes.remove(svc.db, user.id)
        context = {"nickname": user.nickname, "by_operator": by_operator}
        await work.email("mfa_disabled", user.email, context)
        await svc.log(user.id, "mfa_reset" if by_operator else "mfa_disabled", client)
    return True


async def check_code(
    svc: Services, user: User | CurrentUser, raw: str, client: Client
) -> str | None:
    """A current authenticator code (once) or an unused recovery code (once): which one it
    was ("totp", "recovery"), or None. A recovery code used is told by email."""
    code = normalise_code(raw)
    found = await totp.of_user(svc.db, user.id)
    if found is None:
        return None
    now = svc.clock.now()
    if len(code) == 6 and code.isdigit():
        try:
            secret = svc.keyring.fernet(TOTP_INFO).decrypt(found.secret).decode()
        except InvalidToken:
            log.error(
                "the authenticator secret of account %s opens with no key of SECRET_KEY"
                " or SECRET_KEY_FALLBACKS",
                user.id,
            )
            return None
        step = matching_step(secret, code, now)
        if step is None or not await totp.spend_step(svc.db, user.id, step):
            return None
        if len(svc.keyring.keys) > 1:
            resealed = svc.keyring.fernet(TOTP_INFO).rotate(found.secret)
            await totp.reseal(svc.db, user.id, resealed)
        return "totp"
    hashes = svc.keyring.macs(RECOVERY_INFO, code.encode())
    async with svc.change() as work:
        if not await recovery_codes.spend(svc.db, user.id, hashes, now):
            return None
        remaining = await recovery_codes.left(svc.db, user.id)
        context = {"nickname": user.nickname, "remaining": remaining}
        await work.email("recovery_used", user.email, context)
        await svc.log(user.id, "recovery_used", client)
    return "recovery"


async def authenticated_now(svc: Services, current: CurrentUser, by: str) -> None:
    """This browser's session just proved its user (`by` key, code or passkey): sensitive
    actions are open for 10 minutes."""
    await sessions.authenticated(svc.db, current.session_id, svc.clock.now(), by)
