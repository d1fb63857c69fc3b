"""The second factor: the sign-in security page, the authenticator app's setup, recovery codes,
the code step of a login, and re-authentication before sensitive actions."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import login as login_rules
from accounts import mfa
from accounts.checks import AccountError, Throttled
from accounts.runtime import Services
from routes.forms import form_values, throttled
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
from web.render import flash, local_path, redirect, render

MFA = "/auth/mfa"
TOTP = "/auth/mfa/totp"


def qr_svg(uri: str) -> str:
    """The QR code of the otpauth:// URI as inline SVG, drawn on the server: no script needed."""
    import segno  # only on the setup page

    return str(
        segno.make(uri, error="m").svg_inline(
            scale=4,
            border=2,
            dark="#000",
            light="#fff",
            title=gettext("QR code of the secret"),
        )
    )


@confirmation_required
async def security(request: Request) -> Response:
    svc, user_id = services(request), request.state.user.id
    status, keys = await mfa.status(svc, user_id), await passkey_rows.of_user(svc.db, user_id)
    return render(request, "templates/auth/mfa.html", {"status": status, "passkeys": keys})


def show_codes(request: Request, codes: list[str], just_enabled: bool) -> Response:
    return render(
        request,
        "templates/auth/mfa_codes.html",
        {"codes": codes, "just_enabled": just_enabled},
        fragment="partials/mfa/recovery_codes.html",
    )


@fresh_authentication_required(TOTP)
async def totp_setup(request: Request) -> Response:
    svc, user = services(request), request.state.user
    if (await mfa.status(svc, user.id)).totp:
        flash(request, gettext("An authenticator app is already on."), "info")
        return redirect(request, MFA)
    page, fragment = "templates/auth/mfa_totp.html", "partials/mfa/totp_setup.html"
    values: dict[str, Any] = {"errors": {}}
    if request.method == "POST":
        code = (await form_values(request, "code"))["code"]
        try:
            codes = await mfa.enable_totp(svc, user, code, client_of(request))
        except AccountError as exc:
            values = {"errors": {exc.field or "code": exc.message}}
        else:
            return show_codes(request, codes, just_enabled=True)
    secret = await mfa.setup_secret(svc, user)
    uri = mfa.provisioning_uri(secret, user.email)
    values |= {"secret": secret, "qr": qr_svg(uri)}
    status = 422 if values["errors"] else 200
    return render(request, page, values, fragment=fragment, status=status)


@fresh_authentication_required(MFA)
async def totp_disable(request: Request) -> Response:
    svc, user = services(request), request.state.user
    if await mfa.reset_second_factor(svc, user, client_of(request), by_operator=False):
        flash(
            request,
            gettext("Your authenticator app is turned off, and its recovery codes with it."),
        )
    return redirect(request, MFA)


@fresh_authentication_required(MFA)
async def new_recovery_codes(request: Request) -> Response:
    svc, user = services(request), request.state.user
    try:
        codes = await mfa.regenerate_recovery_codes(svc, user, client_of(request))
    except AccountError as exc:
        flash(request, exc.message, "error")
        return redirect(request, MFA)
    return show_codes(request, codes, just_enabled=False)


async def second_factors(svc: Services, user_id: int) -> dict[str, bool]:
    """What the code step offers: the code form, a passkey button, or both."""
    has_passkey = bool(await passkey_rows.of_user(svc.db, user_id))
    return {
        "passkey": has_passkey,
        "totp": not has_passkey or (await mfa.status(svc, user_id)).totp,
    }


@guest_only
async def login_verify(request: Request) -> Response:
    """The code step of a login: only in the browser whose key was right, for 15 minutes."""
    page, fragment = "templates/auth/login_verify.html", "partials/auth/verify_form.html"
    svc = services(request)
    pending = guards.pending_login_of(request)
    user_id = await login_rules.pending_user(svc, pending) if pending else None
    if pending is None or user_id is None:
        guards.end_pending_login(request)
        flash(request, gettext(login_rules.PENDING_GONE), "info")
        return redirect(request, "/auth/login")
    if request.method == "GET":
        target = local_path(request.query_params.get("next"), "/")
        ways = await second_factors(svc, user_id)
        return render(request, page, {"next": target, "errors": {}, **ways})
    values = await form_values(request, "code", "next")
    target = local_path(values["next"], "/")
    try:
        done = await login_rules.complete_login(svc, pending, values["code"], client_of(request))
    except AccountError as exc:
        if exc.field is None:
            guards.end_pending_login(request)
            flash(request, exc.message, "error")
            return redirect(request, "/auth/login")
        ways = await second_factors(svc, user_id)
        shown = {"next": target, "errors": {"code": exc.message}, **ways}
        return render(request, page, shown, fragment=fragment, status=422)
    except Throttled as exc:
        ways = await second_factors(svc, user_id)
        return throttled(request, exc, page, fragment, {"next": target, "errors": {}, **ways})
    guards.end_pending_login(request)
    await guards.start_session(request, done.user_id, done.session_id, remember=done.remember)
    flash(request, gettext("Welcome back!"))
    return redirect(request, target)


@login_required
async def reauthenticate(request: Request) -> Response:
    page, fragment = "templates/auth/reauthenticate.html", "partials/auth/reauth_form.html"
    svc, user = services(request), request.state.user
    totp_on = (await mfa.status(svc, user.id)).totp
    passkey = await passkey_rows.exists(svc.db, user.id)
    if request.method == "GET":
        target = local_path(request.query_params.get("next"), MFA)
        again = request.query_params.get("again") == "1"
        shown = {"next": target, "again": again, "totp": totp_on, "passkey": passkey}
        return render(request, page, {**shown, "errors": {}})
    values = await form_values(request, "accesskey", "code", "next", "again")
    target, again = local_path(values["next"], MFA), values["again"] == "1"
    shown = {"next": target, "again": again, "totp": totp_on, "passkey": passkey}
    try:
        await login_rules.reauthenticate(
            svc, user, values["accesskey"], values["code"], client_of(request)
        )
    except AccountError as exc:
        errors = {exc.field or "accesskey": exc.message}
        return render(request, page, {**shown, "errors": errors}, fragment=fragment, status=422)
    except Throttled as exc:
        return throttled(request, exc, page, fragment, {**shown, "errors": {}})
    flash(
        request,
        gettext("Thank you. Now do that again: nothing was changed before.")
        if again
        else gettext("Thank you: that was you."),
    )
    return redirect(request, target)


routes = [
    Route(MFA, security, name="mfa"),
    Route(TOTP, totp_setup, methods=["GET", "POST"], name="mfa_totp"),
    Route(f"{TOTP}/disable", totp_disable, methods=["POST"], name="mfa_totp_disable"),
    Route(f"{MFA}/recovery-codes", new_recovery_codes, methods=["POST"], name="mfa_recovery"),
    Route("/auth/login/verify", login_verify, methods=["GET", "POST"], name="login_verify"),
    Route("/auth/reauthenticate", reauthenticate, methods=["GET", "POST"], name="reauthenticate"),
]
