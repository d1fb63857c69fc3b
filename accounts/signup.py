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
from services import language
from services.language import gettext
from settings import Settings
from sql import sessions, users
from sql.sessions import CurrentUser

CONFIRM_SECONDS = 3 * 24 * 3600
NICKNAME_TRIES = 10


@dataclass(frozen=True)
class NewAccount:
    """What the page after sign-up may show: never the key, which only the mailbox receives."""

    user_id: int
    session_id: UUID
    email: str
    nickname: str
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
    """The account, its session and its identity; the key goes only into the sign-up email,
    since typing an address proves nothing about owning it."""
    email = normalise_email(raw_email)
    ip_key = f"signup:ip:{client.ip}"
    await checks.take_slot(svc.db, ip_key, svc.settings.limits.signup_ip)
    key = generate_key()
    async with checks.returned_if_busy(svc.db, ip_key):
        key_hash = await svc.hasher.hash(key)
    tile_name = f"tile-{secrets.token_hex(12)}.svg"
    for _ in range(NICKNAME_TRIES):
        nickname, colour = svc.namer.nickname()
        try:
            async with svc.change() as work:
                user_id = await users.create(
                    svc.db, email, key_hash, nickname, tile_name, language.current.get()
                )
                token = confirmation_token(svc.settings, user_id, email)
                await work.email(
                    "signup", email, {"nickname": nickname}, {"key": key, "token": token}
                )
                session_id = await sessions.create(
                    svc.db, user_id, client.ip, client.user_agent, remember=False
                )
                await work.tile("put", tile_name, svc.namer.tile(colour, nickname))
                await svc.log(user_id, "signup", client)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "tbl_auth_email_unique":
                raise AccountError(
                    gettext(
                        "This address already has an account. Log in, or ask for a new key"
                        " on the forgotten-key page."
                    ),
                    "email",
                ) from None
            continue
        return NewAccount(user_id, session_id, email, nickname, tile_name)
    raise AccountError(gettext("We could not find a free nickname; please try again."), "email")


async def confirm_email(
    svc: Services, token: str, client: Client, current: CurrentUser | None = None
) -> tuple[Confirmation, int, UUID | None]:
    """Idempotent: only the first use confirms and logs in (mail scanners fetch links).

    The first use proves the mailbox, so it ends every other session of the account: whoever
    signed up with someone else's address is logged out. The browser that follows the link
    keeps its session of this account, or gets one."""
    claims = tokens.decode(svc.settings.secret_keys, tokens.CONFIRM_AUDIENCE, token)
    if claims is None:
        return Confirmation.INVALID, 0, None
    try:
        user_id, email = int(claims["sub"]), str(claims["email"])
    except (KeyError, TypeError, ValueError):
        return Confirmation.INVALID, 0, None
    async with svc.db.transaction():
        if await users.confirm(svc.db, user_id, email):
            session_id = await proven_mailbox(svc, user_id, client, current)
            await svc.log(user_id, "email_confirmed", client)
            return Confirmation.FIRST, user_id, session_id
    user = await users.by_id(svc.db, user_id)
    if user and user.valid and user.confirmed and user.email.lower() == email.lower():
        return Confirmation.ALREADY, user_id, None
    return Confirmation.INVALID, 0, None


async def proven_mailbox(
    svc: Services, user_id: int, client: Client, current: CurrentUser | None
) -> UUID:
    """A link from the mailbox was followed: this browser's session of the account is the only
    one left (made when it has none). Call inside a transaction."""
    if current is not None and current.id == user_id:
        session_id = current.session_id
    else:
        if current is not None:
            await sessions.delete(svc.db, current.session_id)
        session_id = await sessions.create(svc.db, user_id, client.ip, client.user_agent, False)
        await svc.log(user_id, "login", client, "link")
    if await sessions.delete_others(svc.db, user_id, session_id):
        await svc.log(user_id, "sessions_ended_by_confirmation", client)
    return session_id


async def resend_confirmation(svc: Services, user_id: int) -> None:
    """Once per RESEND_CONFIRMATION per account, and MAIL_ADDRESS per address."""
    user = await users.by_id(svc.db, user_id)
    if user is None or user.confirmed:
        return
    limits = svc.settings.limits
    await checks.take_slot(svc.db, f"resend:{user_id}", limits.resend_confirmation)
    await checks.take_slot(svc.db, checks.mail_address_key(user.email), limits.mail_address)
    await send_confirmation(svc, user)


async def send_confirmation(svc: Services, user: users.User) -> None:
    """A new confirmation link to the account's address (the owner's resend, an operator)."""
    async with svc.change() as work:
        token = confirmation_token(svc.settings, user.id, user.email)
        await work.email("confirm", user.email, {"nickname": user.nickname}, {"token": token})
