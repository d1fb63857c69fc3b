"""The forgotten key: ask for a one-time code, then set a new key with it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import recovery
from accounts.checks import MAX_EMAIL, AccountError, Throttled
from routes.forms import form_values, throttled
from services.language import N_, gettext
from web import guards
from web.guards import client_of, services
from web.render import flash, redirect, render

MAX_TOKEN = 2048
SENT = N_("If that address has an account, we emailed it a 6-digit code. It works for 10 minutes.")
RESET = N_(
    "The access key of %(email)s is changed and every session was logged out. Log in with it."
)


async def forgot_key(request: Request) -> Response:
    page, fragment = "templates/auth/forgot_key.html", "partials/auth/forgot_key_form.html"
    if request.method == "GET":
        return render(request, page, {"email": "", "error": None, "invalid": False})
    values = await form_values(request, "email")
    shown = {"email": values["email"][:MAX_EMAIL], "invalid": False}
    try:
        token = await recovery.request_reset(services(request), values["email"], client_of(request))
    except AccountError as exc:
        refused = {**shown, "error": exc.message, "invalid": True}
        return render(request, page, refused, fragment=fragment, status=422)
    except Throttled as exc:
        return throttled(request, exc, page, fragment, shown)
    flash(request, gettext(SENT), "info")
    return redirect(request, f"/auth/resetkey/{token}")


async def reset_key(request: Request) -> Response:
    page, fragment = "templates/auth/reset_key.html", "partials/auth/reset_key_form.html"
    token = str(request.path_params["token"])[:MAX_TOKEN]
    if request.method == "GET":
        if not await recovery.link_usable(services(request), token):
            return render(request, "templates/auth/reset_link_invalid.html", status=400)
        return render(request, page, {"token": token, "otp": "", "errors": {}})
    values = await form_values(request, "otp", "newaccesskey", "confirmaccesskey")
    try:
        email = await recovery.reset_key(
            services(request),
            token,
            client_of(request),
            values["otp"],
            values["newaccesskey"],
            values["confirmaccesskey"],
        )
    except AccountError as exc:
        field = exc.field or "otp"
        otp = "" if field == "otp" else values["otp"].strip()[:6]
        shown = {"token": token, "otp": otp, "errors": {field: exc.message}}
        return render(request, page, shown, fragment=fragment, status=422)
    guards.end_session(request)
    flash(request, gettext(RESET, email=email))
    return redirect(request, "/auth/login")


routes = [
    Route("/auth/forgotkey", forgot_key, methods=["GET", "POST"], name="forgot_key"),
    Route("/auth/resetkey/{token}", reset_key, methods=["GET", "POST"], name="reset_key"),
]
