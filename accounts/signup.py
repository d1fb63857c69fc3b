"""Signing up and confirming the address: the account, its identity, the emailed link."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import Enum
from uuid import UUID

import asyncpg

from accounts import checks, tokens
from accounts.checks import AccountError, normalise_email
from accounts.keys import generate_key
from accounts.runtime import Client, Services
from settings import Settings
from sql import sessions, throttle, users

CONFIRM_SECONDS = 3 * 24 * 3600
NICKNAME_TRIES = 10


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


def confirmation_token(settings: Settings, user_id: int, email: str) -> str:
    claims = {"sub": str(user_id), "email": email}
    return tokens.encode(settings.secret_key, tokens.CONFIRM_AUDIENCE, claims, CONFIRM_SECONDS)


async def sign_up(svc: Services, raw_email: str, client: Client) -> NewAccount:
    email = normalise_email(raw_email)
    ip_key = f"signup:ip:{client.ip}"
    await checks.check_throttle(svc.db, ip_key, svc.settings.limits.signup_ip)
    await throttle.record(svc.db, ip_key)
    key = generate_key()
    key_hash = await svc.hasher.hash(key)
    tile_name = f"tile-{secrets.token_hex(12)}.svg"
    for _ in range(NICKNAME_TRIES):
        nickname, colour = svc.namer.nickname()
        try:
            async with svc.change() as work:
                user_id = await users.create(svc.db, email, key_hash, nickname, tile_name)
                token = confirmation_token(svc.settings, user_id, email)
                await work.email(
                    "signup", email, {"nickname": nickname, "token": token}, {"key": key}
                )
                session_id = await sessions.create(
                    svc.db, user_id, client.ip, client.user_agent, remember=False
                )
                await work.tile("put", tile_name, svc.namer.tile(colour, nickname))
                await svc.log(user_id, "signup", client)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "tbl_auth_email_unique":
                raise AccountError(
                    "This address already has an account. Log in, or ask for a new key"
                    " on the forgotten-key page.",
                    "email",
                ) from None
            continue
        return NewAccount(user_id, session_id, email, nickname, key, tile_name)
    raise AccountError("We could not find a free nickname; please try again.", "email")


async def confirm_email(
    svc: Services, token: str, client: Client
) -> tuple[Confirmation, int, UUID | None]:
    """Idempotent: only the first use confirms and opens a session (mail scanners fetch links)."""
    claims = tokens.decode(svc.settings.secret_key, tokens.CONFIRM_AUDIENCE, token)
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
    await checks.check_throttle(svc.db, key, svc.settings.limits.resend_confirmation)
    async with svc.change() as work:
        await throttle.record(svc.db, key)
        token = confirmation_token(svc.settings, user.id, user.email)
        await work.email("confirm", user.email, {"nickname": user.nickname, "token": token})
