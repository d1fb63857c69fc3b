"""Sign-up, login, logout, email confirmation and its resend."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import login as login_rules
from accounts import profile as profile_rules
from accounts import signup as signup_rules
from accounts.checks import MAX_EMAIL, AccountError, Throttled
from accounts.signup import Confirmation
from routes.forms import form_values, throttled
from services.language import gettext, ngettext
from web import guards
from web.guards import client_of, guest_only, login_required, services
from web.render import flash, local_path, redirect, render, wants_fragment


def locked(seconds: int) -> str:
    """Why a login with a key is refused while the account's own limit holds."""
    return ngettext(
        "Too many wrong keys for this account: logins with a key are paused for %(num)d second."
        " If it is your account, log in with an emailed code, or set a new key on the"
        " forgotten-key page: proving your mailbox lifts the pause.",
        "Too many wrong keys for this account: logins with a key are paused for %(num)d seconds."
        " If it is your account, log in with an emailed code, or set a new key on the"
        " forgotten-key page: proving your mailbox lifts the pause.",
        seconds,
    )


@guest_only
async def signup(request: Request) -> Response:
    page, fragment = "templates/auth/signup.html", "partials/auth/signup_form.html"
    if request.method == "GET":
        return render(request, page, {"email": "", "error": None})
    values = await form_values(request, "email")
    try:
        account = await signup_rules.sign_up(services(request), values["email"], client_of(request))
    except AccountError as exc:
        return render(
            request, page, {**values, "error": exc.message}, fragment=fragment, status=422
        )
    except Throttled as exc:
        return throttled(request, exc, page, fragment, values)
    await guards.start_session(request, account.user_id, account.session_id, remember=False)
    request.state.user = await guards.current_user(request)
    return render(
        request,
        "templates/auth/welcome.html",
        {"account": account},
        fragment="partials/auth/welcome.html",
        oob=["partials/navbar.html"],
    )


@guest_only
async def login(request: Request) -> Response:
    page, fragment = "templates/auth/login.html", "partials/auth/login_form.html"
    target = local_path(request.query_params.get("next"), "/")
    if request.method == "GET":
        return render(request, page, {"email": "", "next": target, "error": None})
    values = await form_values(request, "email", "key", "next", "remember")
    target = local_path(values["next"], "/")
    shown = {"email": values["email"][:MAX_EMAIL], "next": target}
    try:
        outcome = await login_rules.log_in(
            services(request),
            values["email"],
            values["key"],
            client_of(request),
            values["remember"] == "on",
        )
    except AccountError as exc:
        return render(request, page, {**shown, "error": exc.message}, fragment=fragment, status=422)
    except Throttled as exc:
        message = locked(exc.retry_after) if exc.locked else None
        return throttled(request, exc, page, fragment, shown, message=message)
    if isinstance(outcome, login_rules.CodeNeeded):
        guards.start_pending_login(request, outcome.pending_id)
        return redirect(request, f"/auth/login/verify?next={quote(target, safe='/')}")
    await guards.start_session(
        request, outcome.user_id, outcome.session_id, remember=outcome.remember
    )
    flash(request, gettext("Welcome back!"))
    return redirect(request, target)


async def logout(request: Request) -> Response:
    user = request.state.user
    if user is not None:
        await login_rules.log_out(services(request), user.id, user.session_id, client_of(request))
        flash(request, gettext("You are logged out. See you soon!"))
    guards.end_session(request)
    return redirect(request, "/")


async def confirm_email(request: Request) -> Response:
    token = str(request.path_params["token"])[:2048]
    svc, client, current = services(request), client_of(request), request.state.user
    result = await profile_rules.confirm_email_change(svc, token, client, current)
    outcome, user_id, session_id = result or await signup_rules.confirm_email(
        svc, token, client, current
    )
    if outcome is Confirmation.FIRST and session_id is not None:
        await guards.start_session(request, user_id, session_id, remember=False)
        if result is None:
            flash(request, gettext("Your email address is confirmed. Welcome to the album!"))
            return redirect(request, "/album/")
        flash(request, gettext("Your new email address is confirmed and in use."))
        return redirect(request, "/auth/userprofile")
    status = {Confirmation.ALREADY: 200, Confirmation.TAKEN: 409}.get(outcome, 400)
    return render(
        request, "templates/auth/confirmation.html", {"outcome": outcome.value}, status=status
    )


@login_required
async def resend_confirmation(request: Request) -> Response:
    page, fragment = "templates/auth/confirm_needed.html", "partials/auth/resend_form.html"
    try:
        await signup_rules.resend_confirmation(services(request), request.state.user.id)
    except Throttled as exc:
        message = ngettext(
            "We sent a link recently. You can ask again in %(num)d second.",
            "We sent a link recently. You can ask again in %(num)d seconds.",
            exc.retry_after,
        )
        return throttled(request, exc, page, fragment, {}, key="resend_message", message=message)
    user = request.state.user
    message = (
        gettext("Your email address is already confirmed.")
        if user.confirmed
        else gettext("We sent a new link to %(email)s.", email=user.email)
    )
    if wants_fragment(request):
        return render(request, page, {"resend_message": message}, fragment=fragment)
    flash(request, message)
    values = await form_values(request, "next")
    return redirect(request, local_path(values["next"], "/auth/userprofile"))


routes = [
    Route("/auth/signup", signup, methods=["GET", "POST"], name="signup"),
    Route("/auth/login", login, methods=["GET", "POST"], name="login"),
    Route("/auth/logout", logout, methods=["POST"], name="logout"),
    Route("/auth/resend-confirmation", resend_confirmation, methods=["POST"], name="resend"),
    Route("/emailconfirmationhtml/{token}", confirm_email, name="confirm_email"),
]
