"""What a logged-in user changes: nickname, key, email, sessions, and deleting the account."""

from __future__ import annotations

import re
from uuid import UUID

import asyncpg

from accounts import checks, tokens
from accounts.checks import AccountError, normalise_email
from accounts.keys import MAX_LENGTH, key_problem
from accounts.lifecycle import delete_account as delete_user
from accounts.runtime import Client, Services
from accounts.signup import Confirmation, proven_mailbox
from services.language import N_, gettext
from sql import email_changes, sessions, throttle, users
from sql.sessions import CurrentUser
from sql.users import User

NICKNAME = re.compile(r"[A-Za-z0-9_.-]{4,99}")
CHANGE_SECONDS = email_changes.HOURS * 3600
WRONG_KEY = N_("That is not your current access key.")
UNCONFIRMED_NICKNAME = N_("Confirm your email address first: then you can choose a nickname.")


async def _checked_user(svc: Services, current: CurrentUser, key: str) -> User:
    """The account, once the current key is proven. Each attempt takes a slot of the change
    limit before the key is checked; a right key gives it back (the limit counts wrong keys)."""
    limit_key = checks.change_key(current.id)
    await checks.take_slot(svc.db, limit_key, svc.settings.limits.account_change)
    user = await users.by_id(svc.db, current.id)
    async with checks.returned_if_busy(svc.db, limit_key):
        right = user is not None and await svc.hasher.verify(user.key_hash, key[:MAX_LENGTH])
    if user is None or not right:
        raise AccountError(gettext(WRONG_KEY), "accesskey")
    await throttle.give_back(svc.db, limit_key)
    await sessions.authenticated(svc.db, current.session_id, svc.clock.now(), "key")
    return user


async def change_nickname(svc: Services, current: CurrentUser, raw: str) -> str:
    """Only a confirmed account chooses its nickname: the nickname goes into mail to the
    address, and nobody may put words of their choice into mail to an address they do not
    own."""
    if not current.confirmed:
        raise AccountError(gettext(UNCONFIRMED_NICKNAME), "username")
    nickname = raw.strip()
    if not NICKNAME.fullmatch(nickname):
        raise AccountError(
            gettext("Use 4 to 99 letters, digits, dashes, dots or underscores (no spaces)."),
            "username",
        )
    if nickname == current.nickname:
        return nickname
    try:
        await users.set_nickname(svc.db, current.id, nickname)
    except asyncpg.UniqueViolationError:
        raise AccountError(gettext("That nickname is taken; try another."), "username") from None
    return nickname


async def change_key(
    svc: Services, current: CurrentUser, client: Client, key: str, new_key: str, confirm_key: str
) -> int:
    """Returns how many other sessions were ended."""
    user = await _checked_user(svc, current, key)
    problem = key_problem(new_key, key)
    if problem:
        raise AccountError(problem, "newaccesskey")
    if new_key != confirm_key:
        raise AccountError(gettext("The two new keys are not the same."), "confirmaccesskey")
    key_hash = await svc.hasher.hash(new_key)
    async with svc.change() as work:
        await users.set_key_hash(svc.db, user.id, key_hash)
        ended = await sessions.delete_others(svc.db, user.id, current.session_id)
        await work.email("key_changed", user.email, {"nickname": user.nickname})
        await svc.log(user.id, "key_changed", client)
    return ended


async def request_email_change(
    svc: Services, current: CurrentUser, client: Client, raw: str, key: str
) -> str:
    new_email = normalise_email(raw)
    if new_email.lower() == current.email.lower():
        raise AccountError(gettext("That is already your address."), "email")
    user = await _checked_user(svc, current, key)
    if await users.email_taken(svc.db, new_email):
        raise AccountError(gettext("That address belongs to another account."), "email")
    limits = svc.settings.limits
    await checks.take_slot(svc.db, f"email-change:{user.id}", limits.email_change_account)
    await checks.take_slot(svc.db, checks.mail_address_key(new_email), limits.mail_address)
    async with svc.change() as work:
        change_id = await email_changes.replace(svc.db, user.id, new_email)
        claims = {"sub": str(user.id), "cid": str(change_id), "email": new_email}
        token = tokens.encode(
            svc.settings.secret_key, tokens.CHANGE_AUDIENCE, claims, CHANGE_SECONDS
        )
        await work.email(
            "email_change", new_email, {"nickname": user.nickname}, {"token": token}, user.id
        )
        await work.email(
            "email_change_requested",
            user.email,
            {"nickname": user.nickname, "new_email": new_email},
        )
        await svc.log(user.id, "email_change_requested", client)
    return new_email


async def cancel_email_change(svc: Services, current: CurrentUser) -> bool:
    return await email_changes.cancel(svc.db, current.id)


async def confirm_email_change(
    svc: Services, token: str, client: Client, current: CurrentUser | None = None
) -> tuple[Confirmation, int, UUID | None] | None:
    """None when the token is no email-change token; otherwise what following it did. Like
    the first confirmation, it leaves the account one session: this browser's."""
    claims = tokens.decode(svc.settings.secret_keys, tokens.CHANGE_AUDIENCE, token)
    if claims is None:
        return None
    try:
        user_id, change_id, email = (
            int(claims["sub"]),
            UUID(str(claims["cid"])),
            str(claims["email"]),
        )
    except (KeyError, ValueError):
        return Confirmation.INVALID, 0, None
    user = await users.by_id(svc.db, user_id)
    if user is None or not user.valid:
        return Confirmation.INVALID, 0, None
    try:
        async with svc.change() as work:
            pending = await email_changes.take(svc.db, change_id)
            if pending is None or pending.user_id != user_id or pending.new_email != email:
                return (
                    (Confirmation.ALREADY if user.email == email else Confirmation.INVALID),
                    user_id,
                    None,
                )
            await users.set_email(svc.db, user_id, email)
            await work.email(
                "email_changed", user.email, {"nickname": user.nickname, "new_email": email}
            )
            await svc.log(user_id, "email_changed", client)
            session_id = await proven_mailbox(svc, user_id, client, current)
    except asyncpg.UniqueViolationError:
        return Confirmation.TAKEN, user_id, None
    return Confirmation.FIRST, user_id, session_id


async def end_other_sessions(svc: Services, current: CurrentUser, client: Client) -> int:
    async with svc.db.transaction():
        ended = await sessions.delete_others(svc.db, current.id, current.session_id)
        await svc.log(current.id, "sessions_ended", client)
    return ended


async def delete_account(svc: Services, current: CurrentUser, key: str) -> None:
    """The account goes once its key is proven (see accounts.lifecycle)."""
    user = await _checked_user(svc, current, key)
    await delete_user(svc, user)
