"""Passkeys (WebAuthn), no HTTP: add (after re-authentication), name, remove; sign in with one
alone (user verified), as a login's second step, or to re-authenticate. Challenges: random,
server-side, 5 minutes, once. py_webauthn is imported only when a ceremony runs."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

from accounts import login, mfa
from accounts.checks import AccountError
from accounts.login import LoggedIn
from accounts.mfa import ISSUER
from accounts.runtime import Client, Services
from services.language import N_, gettext
from sql import passkeys, sessions, users, webauthn_challenges
from sql.passkeys import Passkey
from sql.sessions import CurrentUser

log = logging.getLogger("minimal_user")

CHALLENGE_LASTS = timedelta(minutes=5)
MAX_NAME = 64
REGISTER, SIGN_IN, SECOND_STEP = "register", "sign_in", "second_step"
HANDLE_INFO = b"webauthn-user-handle"
DEFAULT_PORTS = {"http": 80, "https": 443}

EXPIRED = N_("This passkey request expired or was already used. Please try again.")
UNREADABLE = N_("That passkey answer could not be read. Please try again.")
UNKNOWN = N_("This passkey is not known here: it may have been removed. Use your email and key.")
NOT_YOURS = N_("That passkey belongs to another account. Use a passkey of this account.")
NOT_VERIFIED = N_("That passkey could not be verified. Please try again, or use another way in.")
ALREADY_ADDED = N_("That passkey is already added.")
CANNOT_SIGN_IN = N_("This account cannot sign in at the moment.")
NAME_NEEDED = N_("Give the passkey a name.")
NOT_FOUND = N_("That passkey is not one of yours: reload the page.")


def relying_party(base_url: str) -> tuple[str, str]:
    """The site as WebAuthn sees it: BASE_URL's host (the RP ID) and its origin."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    netloc = host if ":" not in host else f"[{host}]"
    if parts.port and parts.port != DEFAULT_PORTS.get(parts.scheme):
        netloc += f":{parts.port}"
    return host, f"{parts.scheme}://{netloc}"


def refused() -> tuple[type[Exception], ...]:
    """What py_webauthn raises for an answer it refuses or cannot parse (the browser's)."""
    from webauthn.helpers.exceptions import WebAuthnException

    return (WebAuthnException, ValueError, TypeError, KeyError, AttributeError)


def clean_name(raw: str, default: str = "") -> str:
    """A name as typed, its white space collapsed, at most 64 characters."""
    name = " ".join(raw.split())[:MAX_NAME] or default
    if not name:
        raise AccountError(gettext(NAME_NEEDED), "name")
    return name


def _handle(svc: Services, user_id: int, existing: list[Passkey]) -> bytes:
    """The account's WebAuthn user handle: random-looking, stable, never the email."""
    return existing[0].user_handle if existing else svc.keyring.mac(HANDLE_INFO, b"%d" % user_id)


async def _new_challenge(
    svc: Services, challenge_id: UUID, purpose: str, user_id: int | None
) -> bytes:
    challenge, now = secrets.token_bytes(32), svc.clock.now()
    until = now + CHALLENGE_LASTS
    await webauthn_challenges.put(svc.db, challenge_id, challenge, purpose, user_id, now, until)
    return challenge


async def _taken(
    svc: Services, challenge_id: UUID | None, purpose: str
) -> webauthn_challenges.Challenge | None:
    """This browser's challenge for `purpose`, used up; None if it has none that lasts."""
    if challenge_id is None:
        return None
    return await webauthn_challenges.take(svc.db, challenge_id, purpose, svc.clock.now())


async def registration_options(svc: Services, current: CurrentUser, challenge_id: UUID) -> str:
    """The options of navigator.credentials.create(), as JSON: a discoverable credential."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    existing = await passkeys.of_user(svc.db, current.id)
    challenge = await _new_challenge(svc, challenge_id, REGISTER, current.id)
    options = generate_registration_options(
        rp_id=relying_party(svc.settings.base_url)[0],
        rp_name=ISSUER,
        user_name=current.email,
        user_id=_handle(svc, current.id, existing),
        user_display_name=current.nickname,
        challenge=challenge,
        timeout=int(CHALLENGE_LASTS.total_seconds() * 1000),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in existing],
    )
    return str(options_to_json(options))


async def add(
    svc: Services,
    current: CurrentUser,
    challenge_id: UUID | None,
    credential: Any,
    raw_name: str,
    client: Client,
) -> str:
    """Verify the browser's answer to the registration challenge and keep the passkey; its
    name. The owner is told by email, and the security log says so."""
    from webauthn import verify_registration_response

    name = clean_name(raw_name, gettext("Passkey"))
    if not current.confirmed:
        raise AccountError(gettext("Confirm your email address first."))
    now = svc.clock.now()
    waiting = await _taken(svc, challenge_id, REGISTER)
    if waiting is None or waiting.user_id != current.id:
        raise AccountError(gettext(EXPIRED))
    rp_id, origin = relying_party(svc.settings.base_url)
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=waiting.challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
        )
    except refused() as exc:
        log.info("a passkey registration was refused: %s", exc)
        raise AccountError(gettext(NOT_VERIFIED)) from exc
    existing = await passkeys.of_user(svc.db, current.id)
    async with svc.change() as work:
        added = await passkeys.add(
            svc.db,
            current.id,
            verified.credential_id,
            verified.credential_public_key,
            verified.sign_count,
            _handle(svc, current.id, existing),
            name,
            now,
        )
        if added is None:
            raise AccountError(gettext(ALREADY_ADDED))
        context = {"nickname": current.nickname, "name": name}
        await work.email("passkey_added", current.email, context)
        await svc.log(current.id, "passkey_added", client)
    return name


async def authentication_options(
    svc: Services, challenge_id: UUID, user_id: int | None = None
) -> str:
    """The options of navigator.credentials.get(), as JSON. Without a user, any discoverable
    passkey of this site, its user verified; with one, that account's passkeys (second step)."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import (
        PublicKeyCredentialDescriptor,
        UserVerificationRequirement,
    )

    allowed = await passkeys.of_user(svc.db, user_id) if user_id is not None else []
    purpose = SIGN_IN if user_id is None else SECOND_STEP
    challenge = await _new_challenge(svc, challenge_id, purpose, user_id)
    options = generate_authentication_options(
        rp_id=relying_party(svc.settings.base_url)[0],
        challenge=challenge,
        timeout=int(CHALLENGE_LASTS.total_seconds() * 1000),
        allow_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in allowed],
        user_verification=UserVerificationRequirement.REQUIRED
        if user_id is None
        else UserVerificationRequirement.PREFERRED,
    )
    return str(options_to_json(options))


async def _verified(
    svc: Services,
    challenge_id: UUID | None,
    purpose: str,
    credential: Any,
    user_id: int | None,
) -> Passkey:
    """The passkey that answered this browser's challenge (used up, right or wrong), of `user_id`
    when one is given; its sign counter checked and stored. Raises AccountError otherwise."""
    from webauthn import verify_authentication_response
    from webauthn.helpers.parse_authentication_credential_json import (
        parse_authentication_credential_json,
    )

    waiting = await _taken(svc, challenge_id, purpose)
    if waiting is None or waiting.user_id != user_id:
        raise AccountError(gettext(EXPIRED))
    try:
        parsed = parse_authentication_credential_json(credential)
    except refused() as exc:
        raise AccountError(gettext(UNREADABLE)) from exc
    passkey = await passkeys.by_credential(svc.db, parsed.raw_id)
    if passkey is None:
        raise AccountError(gettext(UNKNOWN))
    if user_id is not None and passkey.user_id != user_id:
        raise AccountError(gettext(NOT_YOURS))
    handle = parsed.response.user_handle
    if handle is not None and not secrets.compare_digest(handle, passkey.user_handle):
        raise AccountError(gettext(NOT_VERIFIED))
    rp_id, origin = relying_party(svc.settings.base_url)
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=waiting.challenge,
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=purpose == SIGN_IN,
        )
    except refused() as exc:
        log.info("a passkey answer was refused: %s", exc)
        raise AccountError(gettext(NOT_VERIFIED)) from exc
    count = verified.new_sign_count
    if not await passkeys.used(svc.db, passkey.id, passkey.sign_count, count, svc.clock.now()):
        raise AccountError(gettext(NOT_VERIFIED))
    return passkey


async def sign_in(
    svc: Services, challenge_id: UUID | None, credential: Any, client: Client, remember: bool
) -> LoggedIn:
    """A discoverable passkey that verified its user: a session, no further step."""
    passkey = await _verified(svc, challenge_id, SIGN_IN, credential, None)
    user = await users.by_id(svc.db, passkey.user_id)
    if user is None or not user.valid:
        raise AccountError(gettext(CANNOT_SIGN_IN))
    now = svc.clock.now()
    session_id = await sessions.create(
        svc.db, user.id, client.ip, client.user_agent, remember, now, "passkey"
    )
    await svc.log(user.id, "login", client, "passkey")
    return LoggedIn(user.id, session_id, remember)


async def second_step(
    svc: Services, pending_id: UUID, challenge_id: UUID | None, credential: Any, client: Client
) -> LoggedIn:
    """The second step of a login whose key was right: a passkey of that same account."""
    user_id = await login.pending_user(svc, pending_id)
    if user_id is None:
        raise AccountError(gettext(login.PENDING_GONE))
    await _verified(svc, challenge_id, SECOND_STEP, credential, user_id)
    return await login.finish_pending(svc, pending_id, user_id, "passkey", client)


async def prove(
    svc: Services, current: CurrentUser, challenge_id: UUID | None, credential: Any, client: Client
) -> None:
    """Re-authentication with a passkey of this account: sensitive actions open for 10 min."""
    await _verified(svc, challenge_id, SECOND_STEP, credential, current.id)
    await mfa.authenticated_now(svc, current, "passkey")
    await svc.log(current.id, "reauthenticated", client, "passkey")


async def rename(
    svc: Services, current: CurrentUser, passkey_id: int, raw_name: str, client: Client
) -> str:
    name = clean_name(raw_name)
    if not await passkeys.rename(svc.db, current.id, passkey_id, name):
        raise AccountError(gettext(NOT_FOUND))
    await svc.log(current.id, "passkey_renamed", client)
    return name


async def remove(svc: Services, current: CurrentUser, passkey_id: int, client: Client) -> str:
    """Remove one of the account's passkeys; its name. The owner is told by email."""
    async with svc.change() as work:
        name = await passkeys.remove(svc.db, current.id, passkey_id)
        if name is None:
            raise AccountError(gettext(NOT_FOUND))
        context = {"nickname": current.nickname, "name": name}
        await work.email("passkey_removed", current.email, context)
        await svc.log(current.id, "passkey_removed", client)
    return name
