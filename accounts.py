"""The account rules, no HTTP: sign up, log in, confirm, resend; routes word the errors."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from uuid import UUID

import asyncpg
from databases import Database
from email_validator import EmailNotValidError, validate_email

import auth
import mailer
from identity import Namer
from keys import Hasher, generate_key
from settings import Settings
from sql import security_events, sessions, throttle, tile_jobs, users
from tilework import TileWorker

log = logging.getLogger(__name__)

MAX_EMAIL = 254
MAX_KEY = 128
CONFIRM_AUDIENCE = "confirm-email"
CONFIRM_SECONDS = 3 * 24 * 3600
LOGIN_FAILED = "That email and access key do not match an active account."


class AccountError(Exception):
    """A rule said no: the message is for the person, the field for the form."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Throttled(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"retry after {retry_after:.0f}s")
        self.retry_after = int(retry_after + 0.999)


@dataclass
class Services:
    """What the rules work with; built once in the lifespan."""

    db: Database
    settings: Settings
    hasher: Hasher
    namer: Namer
    tile_worker: TileWorker
    wake_mailer: Callable[[], None]


@dataclass(frozen=True)
class Client:
    ip: str
    user_agent: str


@dataclass(frozen=True)
class NewAccount:
    user_id: int
    session_id: UUID
    email: str
    nickname: str
    key: str
    tile: str


class Confirmation(Enum):
    FIRST = "first"
    ALREADY = "already"
    INVALID = "invalid"
    TAKEN = "taken"


def normalise_email(raw: str) -> str:
    raw = raw.strip()
    if not raw:
        raise AccountError("Enter your email address.", "email")
    if len(raw) > MAX_EMAIL:
        raise AccountError(f"An email address has at most {MAX_EMAIL} characters.", "email")
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        raise AccountError("Enter a valid email address, like name@example.com.", "email") from None


async def check_throttle(db: Database, key: str, limit: tuple[int, int]) -> None:
    count, seconds = limit
    hits, wait = await throttle.recent(db, key, seconds)
    if hits >= count:
        raise Throttled(wait)


async def record(svc: Services, user_id: int | None, event: str, client: Client | None) -> None:
    """One line of the account's security log: what, when, from where; never a secret."""
    await security_events.add(
        svc.db, user_id, event, client.ip if client else None, client.user_agent if client else None
    )


def login_account_key(email: str) -> str:
    """The throttle key counting failed logins for one address."""
    return f"login:account:{email.strip().lower()}"


def confirmation_token(settings: Settings, user_id: int, email: str) -> str:
    claims = {"sub": str(user_id), "email": email}
    return auth.encode(settings.secret_key, CONFIRM_AUDIENCE, claims, CONFIRM_SECONDS)


async def sign_up(svc: Services, raw_email: str, client: Client) -> NewAccount:
    email = normalise_email(raw_email)
    await check_throttle(svc.db, f"signup:ip:{client.ip}", svc.settings.limits.signup_ip)
    await throttle.record(svc.db, f"signup:ip:{client.ip}")
    key = generate_key()
    key_hash = await svc.hasher.hash(key)
    tile_name = f"tile-{secrets.token_hex(12)}.svg"
    for _ in range(10):
        nickname, colour = svc.namer.nickname()
        try:
            async with svc.db.transaction():
                user_id = await users.create(svc.db, email, key_hash, nickname, tile_name)
                await mailer.queue(
                    svc.db,
                    svc.settings.secret_key,
                    "signup",
                    email,
                    {
                        "nickname": nickname,
                        "token": confirmation_token(svc.settings, user_id, email),
                    },
                    {"key": key},
                )
                session_id = await sessions.create(
                    svc.db, user_id, client.ip, client.user_agent, remember=False
                )
                tile_job = await tile_jobs.add(
                    svc.db, "put", tile_name, svc.namer.tile(colour, nickname)
                )
                await record(svc, user_id, "signup", client)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "tbl_auth_email_unique":
                raise AccountError(
                    "This address already has an account. Log in, or ask for a new key"
                    " on the forgotten-key page.",
                    "email",
                ) from None
            continue
        break
    else:
        raise AccountError("We could not find a free nickname; please try again.", "email")
    svc.wake_mailer()
    await svc.tile_worker.now(tile_job)
    return NewAccount(user_id, session_id, email, nickname, key, tile_name)


async def log_in(
    svc: Services, raw_email: str, key: str, client: Client, remember: bool
) -> tuple[int, UUID]:
    """One generic failure for every case, with the same work whether or not the email exists."""
    email = raw_email.strip()[:MAX_EMAIL].lower()
    limits = svc.settings.limits
    ip_key, account_key = f"login:ip:{client.ip}", login_account_key(email)
    await check_throttle(svc.db, ip_key, limits.login_ip)
    await check_throttle(svc.db, account_key, limits.login_account)
    user = await users.by_email(svc.db, email) if email else None
    usable = user is not None and user.valid and len(key) <= MAX_KEY
    ok = await svc.hasher.verify(user.key_hash if usable and user else None, key[:MAX_KEY])
    if not ok or user is None or not usable:
        await throttle.record(svc.db, ip_key)
        await throttle.record(svc.db, account_key)
        await record(svc, user.id if user else None, "login_failed", client)
        raise AccountError(LOGIN_FAILED)
    if svc.hasher.needs_rehash(user.key_hash):
        await users.set_key_hash(svc.db, user.id, await svc.hasher.hash(key))
    session_id = await sessions.create(svc.db, user.id, client.ip, client.user_agent, remember)
    await throttle.clear(svc.db, account_key)
    await record(svc, user.id, "login", client)
    return user.id, session_id


async def confirm_email(
    svc: Services, token: str, client: Client
) -> tuple[Confirmation, int, UUID | None]:
    """Idempotent: only the first use confirms and opens a session (mail scanners fetch links)."""
    claims = auth.decode(svc.settings.secret_key, CONFIRM_AUDIENCE, token)
    if claims is None:
        return Confirmation.INVALID, 0, None
    try:
        user_id, email = int(claims["sub"]), str(claims["email"])
    except (KeyError, TypeError, ValueError):
        return Confirmation.INVALID, 0, None
    if await users.confirm(svc.db, user_id, email):
        session_id = await sessions.create(svc.db, user_id, client.ip, client.user_agent, False)
        return Confirmation.FIRST, user_id, session_id
    user = await users.by_id(svc.db, user_id)
    if user and user.valid and user.confirmed and user.email.lower() == email.lower():
        return Confirmation.ALREADY, user_id, None
    return Confirmation.INVALID, 0, None


async def resend_confirmation(svc: Services, user_id: int) -> None:
    user = await users.by_id(svc.db, user_id)
    if user is None or user.confirmed:
        return
    key = f"resend:{user_id}"
    await check_throttle(svc.db, key, svc.settings.limits.resend_confirmation)
    async with svc.db.transaction():
        await throttle.record(svc.db, key)
        await mailer.queue(
            svc.db,
            svc.settings.secret_key,
            "confirm",
            user.email,
            {
                "nickname": user.nickname,
                "token": confirmation_token(svc.settings, user.id, user.email),
            },
        )
    svc.wake_mailer()


async def log_out(svc: Services, user_id: int, session_id: UUID, client: Client) -> None:
    await sessions.delete(svc.db, session_id)
    await record(svc, user_id, "logout", client)
