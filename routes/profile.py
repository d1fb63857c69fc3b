"""The profile: nickname, access key, email, sessions, and deleting the account."""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import export as user_export
from accounts import mfa
from accounts import profile as changes
from accounts.checks import AccountError, Throttled
from routes.forms import form_values, retry_after, wait_message
from services.language import gettext, ngettext
from sql import email_changes, security_events, sessions
from web import guards
from web.guards import client_of, fresh_authentication_required, login_required, services
from web.render import flash, redirect, render, wants_fragment
from web.state import policy_of

PAGE = "templates/auth/userprofile.html"
ALL = ("pending", "sessions", "events", "mfa")
FORMS = {
    "nickname": ("partials/profile/nickname_form.html", ()),
    "key": ("partials/profile/key_form.html", ("sessions",)),
    "email": ("partials/profile/email_form.html", ("pending",)),
    "sessions": ("partials/profile/sessions.html", ("sessions",)),
    "delete": ("partials/profile/delete_form.html", ()),
}


async def profile_values(request: Request, needs: tuple[str, ...] = ALL) -> dict[str, Any]:
    """What the page shows besides the user; a fragment loads only what it renders."""
    svc = services(request)
    user = request.state.user
    return {
        "pending": await email_changes.of_user(svc.db, user.id) if "pending" in needs else None,
        "sessions": await sessions.of_user(svc.db, user.id) if "sessions" in needs else [],
        "events": await security_events.recent(svc.db, user.id) if "events" in needs else [],
        "mfa": await mfa.status(svc, user.id) if "mfa" in needs else None,
    }


async def answer(
    request: Request,
    form: str,
    *,
    done: str = "",
    error: AccountError | None = None,
    entered: dict[str, str] | None = None,
    status: int = 200,
    oob: tuple[str, ...] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    """The form's own fragment to htmx; to a plain POST, a redirect or the page with the errors."""
    if error is None and not wants_fragment(request):
        flash(request, done)
        return redirect(request, "/auth/userprofile")
    values = {
        "form": form,
        "done": done,
        "errors": {error.field or "": error.message} if error else {},
        "entered": entered or {},
        **await profile_values(request, FORMS[form][1] if wants_fragment(request) else ALL),
    }
    return render(
        request, PAGE, values, fragment=FORMS[form][0], status=status, oob=oob, headers=headers
    )


def logged_out(ended: int) -> str:
    return ngettext(
        "%(num)d other session logged out.", "%(num)d other sessions logged out.", ended
    )


async def throttled(request: Request, form: str, exc: Throttled) -> Response:
    error = AccountError(wait_message(exc), "")
    return await answer(request, form, error=error, status=429, headers=retry_after(exc))


@login_required
async def profile(request: Request) -> Response:
    if request.method == "POST":
        return await dispatch(request)
    values = {"form": "", "done": "", "errors": {}, "entered": {}, **await profile_values(request)}
    return render(request, PAGE, values)


async def dispatch(request: Request) -> Response:
    """The original site posted every profile form to /auth/userprofile: tell them apart."""
    form = await request.form()
    if "username" in form:
        return await nickname(request)
    if "newaccesskey" in form:
        return await access_key(request)
    return await email(request)


@login_required
async def nickname(request: Request) -> Response:
    values = await form_values(request, "username")
    try:
        new = await changes.change_nickname(
            services(request), request.state.user, values["username"]
        )
    except AccountError as exc:
        return await answer(request, "nickname", error=exc, entered=values, status=422)
    request.state.user = dataclasses.replace(request.state.user, nickname=new)
    return await answer(
        request,
        "nickname",
        done=gettext("Your nickname is now %(nickname)s.", nickname=new),
        oob=("partials/navbar.html", "partials/profile/identity.html"),
    )


@login_required
async def access_key(request: Request) -> Response:
    values = await form_values(request, "accesskey", "newaccesskey", "confirmaccesskey")
    try:
        ended = await changes.change_key(
            services(request),
            request.state.user,
            client_of(request),
            values["accesskey"],
            values["newaccesskey"],
            values["confirmaccesskey"],
        )
    except AccountError as exc:
        return await answer(request, "key", error=exc, status=422)
    except Throttled as exc:
        return await throttled(request, "key", exc)
    done = gettext("Your access key is changed.")
    if ended:
        done += " " + logged_out(ended)
    return await answer(
        request,
        "key",
        done=done,
        oob=("partials/profile/sessions.html",),
    )


@login_required
async def email(request: Request) -> Response:
    values = await form_values(request, "email", "accesskey")
    try:
        new = await changes.request_email_change(
            services(request),
            request.state.user,
            client_of(request),
            values["email"],
            values["accesskey"],
        )
    except AccountError as exc:
        return await answer(
            request, "email", error=exc, entered={"email": values["email"][:254]}, status=422
        )
    except Throttled as exc:
        return await throttled(request, "email", exc)
    return await answer(
        request,
        "email",
        done=gettext(
            "We sent a link to %(email)s. Your address changes when you follow it;"
            " until then the old one keeps working.",
            email=new,
        ),
    )


@login_required
async def cancel_email(request: Request) -> Response:
    await changes.cancel_email_change(services(request), request.state.user)
    return await answer(request, "email", done=gettext("The change of address is cancelled."))


@login_required
async def end_other_sessions(request: Request) -> Response:
    ended = await changes.end_other_sessions(
        services(request), request.state.user, client_of(request)
    )
    return await answer(request, "sessions", done=logged_out(ended))


@login_required
async def delete_account(request: Request) -> Response:
    if request.method == "GET":
        return render(
            request, "templates/auth/delete_account.html", {"form": "delete", "errors": {}}
        )
    values = await form_values(request, "accesskey")
    try:
        await changes.delete_account(services(request), request.state.user, values["accesskey"])
    except AccountError as exc:
        if wants_fragment(request):
            return await answer(request, "delete", error=exc, status=422)
        return render(
            request,
            "templates/auth/delete_account.html",
            {"form": "delete", "errors": {"accesskey": exc.message}},
            status=422,
        )
    except Throttled as exc:
        return await throttled(request, "delete", exc)
    guards.end_session(request)
    return redirect(request, "/auth/goodbye")


@fresh_authentication_required("/auth/userprofile")
async def export_data(request: Request) -> Response:
    """The user's own data as a JSON download (a plain form: never swapped by htmx). Like every
    sensitive action it needs a confirmed address: an unconfirmed account may be a stranger's
    who typed it, and its security log holds the owner's failed attempts."""
    svc = services(request)
    data = await user_export.user_data(svc, request.state.user, policy_of(request))
    name = user_export.filename(svc.clock.now().date())
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(user_export.as_json(data), media_type="application/json", headers=headers)


async def goodbye(request: Request) -> Response:
    return render(request, "templates/auth/goodbye.html")


routes = [
    Route("/auth/userprofile", profile, methods=["GET", "POST"], name="profile"),
    Route("/auth/userprofile/nickname", nickname, methods=["POST"], name="change_nickname"),
    Route("/auth/userprofile/key", access_key, methods=["POST"], name="change_key"),
    Route("/auth/userprofile/email", email, methods=["POST"], name="change_email"),
    Route("/auth/userprofile/email/cancel", cancel_email, methods=["POST"], name="cancel_email"),
    Route("/auth/userprofile/sessions", end_other_sessions, methods=["POST"], name="end_sessions"),
    Route("/auth/userprofile/export", export_data, methods=["POST"], name="export_data"),
    Route("/auth/deleteaccount", delete_account, methods=["GET", "POST"], name="delete_account"),
    Route("/auth/goodbye", goodbye, name="goodbye"),
]
