"""Sign-up, login, logout, email confirmation and its resend."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import accounts
import auth
import changes
import web
from accounts import AccountError, Client, Confirmation, Services, Throttled
from auth import guest_only, login_required

MAX_FIELD = 2048


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def client_of(request: Request) -> Client:
    return Client(web.client_ip(request), request.headers.get("user-agent", "")[:512])


async def form_values(request: Request, *names: str) -> dict[str, str]:
    """The named fields, bounded in length; NUL characters, which no text column holds, dropped."""
    form = await request.form(max_files=0, max_fields=50)
    return {name: str(form.get(name, "")).replace("\x00", "")[:MAX_FIELD] for name in names}


def throttled(
    request: Request, exc: Throttled, page: str, fragment: str, values: dict[str, Any]
) -> Response:
    message = f"Too many attempts. Please wait {exc.retry_after} seconds and try again."
    return web.render(
        request,
        page,
        {**values, "error": message},
        fragment=fragment,
        status=429,
        headers={"Retry-After": str(exc.retry_after)},
    )


@guest_only
async def signup(request: Request) -> Response:
    page, fragment = "templates/auth/signup.html", "partials/auth/signup_form.html"
    if request.method == "GET":
        return web.render(request, page, {"email": "", "error": None})
    values = await form_values(request, "email")
    try:
        account = await accounts.sign_up(services(request), values["email"], client_of(request))
    except AccountError as exc:
        return web.render(
            request, page, {**values, "error": exc.message}, fragment=fragment, status=422
        )
    except Throttled as exc:
        return throttled(request, exc, page, fragment, {**values})
    auth.start_session(request, account.user_id, account.session_id, remember=False)
    request.state.user = await auth.current_user(request)
    return web.render(
        request,
        "templates/auth/welcome.html",
        {"account": account},
        fragment="partials/auth/welcome.html",
        oob=["partials/navbar.html"],
    )


@guest_only
async def login(request: Request) -> Response:
    page, fragment = "templates/auth/login.html", "partials/auth/login_form.html"
    target = web.local_path(request.query_params.get("next"), "/")
    if request.method == "GET":
        return web.render(request, page, {"email": "", "next": target, "error": None})
    values = await form_values(request, "email", "key", "next", "remember")
    target = web.local_path(values["next"], "/")
    shown = {"email": values["email"][: accounts.MAX_EMAIL], "next": target}
    try:
        user_id, session_id = await accounts.log_in(
            services(request),
            values["email"],
            values["key"],
            client_of(request),
            values["remember"] == "on",
        )
    except AccountError as exc:
        return web.render(
            request, page, {**shown, "error": exc.message}, fragment=fragment, status=422
        )
    except Throttled as exc:
        return throttled(request, exc, page, fragment, shown)
    auth.start_session(request, user_id, session_id, remember=values["remember"] == "on")
    web.flash(request, "Welcome back!")
    return web.redirect(request, target)


async def logout(request: Request) -> Response:
    user = request.state.user
    if user is not None:
        await accounts.log_out(services(request), user.id, user.session_id, client_of(request))
        web.flash(request, "You are logged out. See you soon!")
    auth.end_session(request)
    return web.redirect(request, "/")


async def confirm_email(request: Request) -> Response:
    token = str(request.path_params["token"])[:2048]
    svc, client = services(request), client_of(request)
    result = await changes.confirm_email_change(svc, token, client)
    outcome, user_id, session_id = result or await accounts.confirm_email(svc, token, client)
    if outcome is Confirmation.FIRST and session_id is not None:
        auth.start_session(request, user_id, session_id, remember=False)
        if result is None:
            web.flash(request, "Your email address is confirmed. Welcome to the album!")
            return web.redirect(request, "/album/")
        web.flash(request, "Your new email address is confirmed and in use.")
        return web.redirect(request, "/auth/userprofile")
    status = {Confirmation.ALREADY: 200, Confirmation.TAKEN: 409}.get(outcome, 400)
    return web.render(
        request, "templates/auth/confirmation.html", {"outcome": outcome.value}, status=status
    )


@login_required
async def resend_confirmation(request: Request) -> Response:
    page, fragment = "templates/auth/confirm_needed.html", "partials/auth/resend_form.html"
    try:
        await accounts.resend_confirmation(services(request), request.state.user.id)
    except Throttled as exc:
        message = f"We sent a link recently. You can ask again in {exc.retry_after} seconds."
        return web.render(
            request,
            page,
            {"resend_message": message},
            fragment=fragment,
            status=429,
            headers={"Retry-After": str(exc.retry_after)},
        )
    user = request.state.user
    message = (
        "Your email address is already confirmed."
        if user.confirmed
        else f"We sent a new link to {user.email}."
    )
    if web.wants_fragment(request):
        return web.render(request, page, {"resend_message": message}, fragment=fragment)
    web.flash(request, message)
    values = await form_values(request, "next")
    return web.redirect(request, web.local_path(values["next"], "/auth/userprofile"))


routes = [
    Route("/auth/signup", signup, methods=["GET", "POST"], name="signup"),
    Route("/auth/login", login, methods=["GET", "POST"], name="login"),
    Route("/auth/logout", logout, methods=["POST"], name="logout"),
    Route("/auth/resend-confirmation", resend_confirmation, methods=["POST"], name="resend"),
    Route("/emailconfirmationhtml/{token}", confirm_email, name="confirm_email"),
]
