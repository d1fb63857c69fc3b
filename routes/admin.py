"""The operator pages under /admin/: accounts listed and searched, an account's page and its
actions, the audit log and the mail that failed. To anyone but an operator every /admin/ URL,
whatever its method, answers as an unknown URL does: 404."""

from __future__ import annotations

from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from accounts import mfa, operators
from accounts.checks import AccountError
from accounts.operators import Actor
from routes.forms import form_values
from services.language import gettext
from sql import audit, outbox, passkeys, security_events, sessions, totp, users
from sql import operators as listing
from web.guards import client_of, services
from web.render import flash, redirect, render, wants_fragment

FRESH = "/auth/reauthenticate?next={page}&again=1"


class OperatorsOnly:
    """In front of every /admin/ route: a 404, as for an unknown URL, unless an operator asks."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = Request(scope).state.user
        if user is None or not user.operator:
            raise HTTPException(404)
        await self.app(scope, receive, send)


def _text(request: Request, name: str) -> str:
    """A query parameter bounded in length, without the NUL characters no text column holds."""
    return request.query_params.get(name, "").replace("\x00", "").strip()[:254]


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


async def index(request: Request) -> Response:
    query = _text(request, "q")
    svc = services(request)
    if query:
        found = await listing.search(svc.db, query, _text(request, "after"))
    else:
        found = await listing.newest(svc.db, _int(request.query_params.get("before")))
    rows, more = found[: listing.PAGE], len(found) > listing.PAGE
    later = ""
    if more:
        last = rows[-1].key
        later = f"?q={quote(query)}&after={quote(last)}" if query else f"?before={last}"
    values = {"q": query, "rows": rows, "later": later}
    return render(
        request, "templates/admin/index.html", values, fragment="partials/admin/accounts.html"
    )


async def _target(request: Request) -> users.User:
    user_id = _int(str(request.path_params["user_id"]))
    user = await users.by_id(services(request).db, user_id) if user_id is not None else None
    if user is None:
        raise HTTPException(404)
    return user


async def account(request: Request) -> Response:
    svc, user = services(request), await _target(request)
    values = {
        "account": user,
        "mfa": await mfa.status(svc, user.id),
        "passkeys": await passkeys.of_user(svc.db, user.id),
        "sessions": await sessions.of_user(svc.db, user.id),
        "events": await security_events.recent(svc.db, user.id, 50),
        "mails": await listing.recent_mail(svc.db, user.email),
        "totp_on": await totp.of_user(svc.db, user.id) is not None,
    }
    return render(request, "templates/admin/account.html", values)


async def fresh_enough(request: Request, page: str) -> bool:
    """Operator actions need an authentication younger than 10 minutes, with the second factor
    when the operator has one."""
    svc, operator = services(request), request.state.user
    return mfa.fresh(operator, svc.clock.now()) and await operators.strong_enough(svc, operator)


async def action(request: Request) -> Response:
    svc, target = services(request), await _target(request)
    name = str(request.path_params["action"])
    if name not in operators.ACTIONS:
        raise HTTPException(404)
    page = f"/admin/accounts/{target.id}"
    if not await fresh_enough(request, page):
        flash(
            request,
            gettext("Confirm it is you (with your second factor, if you have one)."),
            "info",
        )
        return redirect(request, FRESH.format(page=quote(page, safe="/")))
    if name == "delete" and (await form_values(request, "sure"))["sure"] != "on":
        flash(
            request, gettext("Tick the box to confirm the deletion: it cannot be undone."), "error"
        )
        return redirect(request, page)
    actor = Actor.of(request.state.user, client_of(request))
    try:
        done = await operators.act(svc, actor, name, target)
    except AccountError as exc:
        flash(request, exc.message, "error")
        return redirect(request, page)
    flash(request, done)
    return redirect(request, "/admin/" if name == "delete" else page)


async def audit_log(request: Request) -> Response:
    query = _text(request, "q")
    entries = await audit.page(
        services(request).db, query, _int(request.query_params.get("before"))
    )
    rows, more = entries[: audit.PAGE], len(entries) > audit.PAGE
    later = f"?q={quote(query)}&before={rows[-1].id}" if more else ""
    values = {"q": query, "entries": rows, "later": later}
    fragment = "partials/admin/audit.html" if wants_fragment(request) else None
    return render(request, "templates/admin/audit.html", values, fragment=fragment)


async def failed_mail(request: Request) -> Response:
    messages = await outbox.failed(services(request).db)
    return render(request, "templates/admin/mail.html", {"messages": messages})


async def mail_action(request: Request) -> Response:
    svc = services(request)
    outbox_id, name = _int(str(request.path_params["outbox_id"])), request.path_params["action"]
    if outbox_id is None or name not in ("retry", "drop"):
        raise HTTPException(404)
    if not await fresh_enough(request, "/admin/mail"):
        return redirect(request, FRESH.format(page="/admin/mail"))
    done = await (outbox.retry if name == "retry" else outbox.drop)(svc.db, outbox_id)
    if done:
        await operators.record(
            svc, Actor.of(request.state.user, client_of(request)), f"mail-{name}", None
        )
    flash(
        request,
        {
            ("retry", True): gettext("The message is queued again."),
            ("retry", False): gettext("That message cannot be sent again: its secrets are gone."),
            ("drop", True): gettext("The message is dropped."),
            ("drop", False): gettext("That message is no longer there."),
        }[(name, done)],
        "success" if done else "error",
    )
    return redirect(request, "/admin/mail")


pages = Router(
    routes=[
        Route("/", index, name="admin"),
        Route("/accounts/{user_id}", account, name="admin_account"),
        Route("/accounts/{user_id}/{action}", action, methods=["POST"], name="admin_action"),
        Route("/audit", audit_log, name="admin_audit"),
        Route("/mail", failed_mail, name="admin_mail"),
        Route(
            "/mail/{outbox_id}/{action}", mail_action, methods=["POST"], name="admin_mail_action"
        ),
    ]
)


async def bare(request: Request) -> Response:
    """/admin without its slash: to an operator the way in, to anyone else unknown."""
    if request.state.user is None or not request.state.user.operator:
        raise HTTPException(404)
    return redirect(request, "/admin/")


routes = [
    Route("/admin", bare, methods=["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]),
    Mount("/admin", app=OperatorsOnly(pages)),
]
