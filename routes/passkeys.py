"""Passkeys over HTTP: the JSON ceremonies static/js/passkeys.js runs (options, then the
browser's answer) to add one, sign in with one, or pass the second step of a login; and the
plain forms that rename and remove one on the sign-in security page."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID, uuid4

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from accounts import login as login_rules
from accounts import mfa, passkeys
from accounts.checks import AccountError
from routes.forms import form_values
from services.language import gettext
from sql import passkeys as passkey_rows
from web import guards
from web.guards import (
    client_of,
    confirmation_required,
    fresh_authentication_required,
    guest_only,
    login_required,
    services,
)
from web.render import flash, local_path, redirect, render, wants_fragment
from web.session import session_of

MFA = "/auth/mfa"
PAGE, FRAGMENT = "templates/auth/mfa.html", "partials/mfa/passkeys.html"
NO_STORE = {"Cache-Control": "no-store"}


def challenge_id(request: Request) -> UUID | None:
    """The id of this browser's waiting challenge, in its signed session cookie."""
    value = session_of(request).get("w")
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def new_challenge_id(request: Request) -> UUID:
    """The id a new challenge is kept under: this browser's (guests have a cookie too)."""
    found = challenge_id(request)
    if found is None:
        found = uuid4()
        session_of(request).set("w", str(found))
    return found


def options(body: str) -> Response:
    return Response(body, media_type="application/json", headers=NO_STORE)


def problem(message: str, status: int = 422) -> JSONResponse:
    """An answer the script shows in the page (role=alert)."""
    return JSONResponse({"error": message}, status_code=status, headers=NO_STORE)


def go(url: str) -> JSONResponse:
    return JSONResponse({"redirect": url}, headers=NO_STORE)


async def json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise AccountError(gettext(passkeys.UNREADABLE))
    return body


def text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    return value[:2048] if isinstance(value, str) else ""


@fresh_authentication_required(MFA)
async def register_options(request: Request) -> Response:
    svc, user = services(request), request.state.user
    return options(await passkeys.registration_options(svc, user, new_challenge_id(request)))


@fresh_authentication_required(MFA)
async def register(request: Request) -> Response:
    svc, user = services(request), request.state.user
    try:
        body = await json_body(request)
        name = await passkeys.add(
            svc,
            user,
            challenge_id(request),
            body.get("credential"),
            text(body, "name"),
            client_of(request),
        )
    except AccountError as exc:
        return problem(exc.message)
    flash(
        request,
        gettext("Passkey “%(name)s” added. Logins with your key now ask for it too.", name=name),
    )
    return go(MFA)


@guest_only
async def sign_in_options(request: Request) -> Response:
    svc = services(request)
    return options(await passkeys.authentication_options(svc, new_challenge_id(request)))


@guest_only
async def sign_in(request: Request) -> Response:
    svc = services(request)
    try:
        body = await json_body(request)
        remember = body.get("remember") is True
        done = await passkeys.sign_in(
            svc, challenge_id(request), body.get("credential"), client_of(request), remember
        )
    except AccountError as exc:
        return problem(exc.message)
    guards.end_pending_login(request)
    await guards.start_session(request, done.user_id, done.session_id, remember=done.remember)
    flash(request, gettext("Welcome back!"))
    return go(local_path(text(body, "next"), "/"))


def pending_gone(request: Request) -> Response:
    """As the code form does: back to the login page, which says why."""
    guards.end_pending_login(request)
    flash(request, gettext(login_rules.PENDING_GONE), "info")
    return go("/auth/login")


@guest_only
async def second_step_options(request: Request) -> Response:
    svc = services(request)
    pending = guards.pending_login_of(request)
    user_id = await login_rules.pending_user(svc, pending) if pending else None
    if user_id is None:
        return pending_gone(request)
    challenge = new_challenge_id(request)
    return options(await passkeys.authentication_options(svc, challenge, user_id))


@guest_only
async def second_step(request: Request) -> Response:
    svc = services(request)
    pending = guards.pending_login_of(request)
    if pending is None:
        return pending_gone(request)
    try:
        body = await json_body(request)
        done = await passkeys.second_step(
            svc, pending, challenge_id(request), body.get("credential"), client_of(request)
        )
    except AccountError as exc:
        if exc.message == gettext(login_rules.PENDING_GONE):
            return pending_gone(request)
        return problem(exc.message)
    guards.end_pending_login(request)
    await guards.start_session(request, done.user_id, done.session_id, remember=done.remember)
    flash(request, gettext("Welcome back!"))
    return go(local_path(text(body, "next"), "/"))


async def answer(
    request: Request, *, done: str = "", errors: dict[str, str] | None = None, status: int = 200
) -> Response:
    """To htmx the passkeys fragment, with what happened; a plain POST is redirected to the
    page (its flash says what happened) or, refused, gets the page with the error."""
    if not errors and not wants_fragment(request):
        flash(request, done)
        return redirect(request, MFA)
    svc, user = services(request), request.state.user
    values = {
        "status": await mfa.status(svc, user.id),
        "passkeys": await passkey_rows.of_user(svc.db, user.id),
        "done": done,
        "errors": errors or {},
    }
    return render(request, PAGE, values, fragment=FRAGMENT, status=status)


def passkey_id(raw: str) -> int:
    return int(raw) if raw.isdigit() and len(raw) < 19 else 0


@confirmation_required
async def rename(request: Request) -> Response:
    values = await form_values(request, "passkey", "name")
    number = passkey_id(values["passkey"])
    svc, user = services(request), request.state.user
    try:
        name = await passkeys.rename(svc, user, number, values["name"], client_of(request))
    except AccountError as exc:
        key = f"name-{number}" if exc.field == "name" else ""
        return await answer(request, errors={key: exc.message}, status=422)
    return await answer(request, done=gettext("Renamed to “%(name)s”.", name=name))


@fresh_authentication_required(MFA)
async def remove(request: Request) -> Response:
    number = passkey_id((await form_values(request, "passkey"))["passkey"])
    svc, user = services(request), request.state.user
    try:
        name = await passkeys.remove(svc, user, number, client_of(request))
    except AccountError as exc:
        return await answer(request, errors={"": exc.message}, status=422)
    return await answer(request, done=gettext("Passkey “%(name)s” removed.", name=name))


@login_required
async def reauthenticate_options(request: Request) -> Response:
    svc, user = services(request), request.state.user
    return options(await passkeys.authentication_options(svc, new_challenge_id(request), user.id))


@login_required
async def reauthenticate(request: Request) -> Response:
    """A passkey of this account proves its user again, as the key or a code would."""
    svc, user = services(request), request.state.user
    try:
        body = await json_body(request)
        await passkeys.prove(
            svc, user, challenge_id(request), body.get("credential"), client_of(request)
        )
    except AccountError as exc:
        return problem(exc.message)
    flash(request, gettext("Thank you: that was you."))
    return go(local_path(text(body, "next"), MFA))


routes = [
    Route(f"{MFA}/passkeys/options", register_options, methods=["POST"], name="passkey_options"),
    Route(f"{MFA}/passkeys", register, methods=["POST"], name="passkey_add"),
    Route(f"{MFA}/passkeys/rename", rename, methods=["POST"], name="passkey_rename"),
    Route(f"{MFA}/passkeys/remove", remove, methods=["POST"], name="passkey_remove"),
    Route("/auth/passkey/options", sign_in_options, methods=["POST"], name="passkey_sign_in_opts"),
    Route("/auth/passkey", sign_in, methods=["POST"], name="passkey_sign_in"),
    Route(
        "/auth/login/verify/passkey/options",
        second_step_options,
        methods=["POST"],
        name="passkey_second_step_options",
    ),
    Route("/auth/login/verify/passkey", second_step, methods=["POST"], name="passkey_second_step"),
    Route(
        "/auth/reauthenticate/passkey/options",
        reauthenticate_options,
        methods=["POST"],
        name="passkey_reauth_options",
    ),
    Route("/auth/reauthenticate/passkey", reauthenticate, methods=["POST"], name="passkey_reauth"),
]
