"""Login by an emailed code: ask for a code with an address, then type it in this browser."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from accounts import login_code as rules
from accounts.checks import MAX_EMAIL, AccountError, Throttled
from accounts.login import CodeNeeded
from routes.forms import form_values, throttled
from services.language import gettext
from web import guards
from web.guards import client_of, guest_only, services
from web.render import flash, local_path, redirect, render, wants_fragment
from web.session import session_of

PATH = "/auth/login/code"
PAGE, FRAGMENT = "templates/auth/login_code.html", "partials/auth/login_code_form.html"


def code_id_of(request: Request) -> UUID | None:
    value = session_of(request).get("lc")
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def answer(request: Request, values: dict[str, Any], status: int = 200) -> Response:
    shown = {"email": "", "errors": {}, "message": "", "next": "/", **values}
    return render(request, PAGE, shown, fragment=FRAGMENT, status=status)


@guest_only
async def login_code(request: Request) -> Response:
    svc = services(request)
    code_id = code_id_of(request)
    if request.method == "GET":
        if request.query_params.get("restart") == "1":
            session_of(request).drop("lc")
            code_id = None
        waiting = code_id is not None and await rules.code_usable(svc, code_id)
        target = local_path(request.query_params.get("next"), "/")
        return answer(request, {"stage": "code" if waiting else "email", "next": target})
    values = await form_values(request, "email", "code", "next")
    target = local_path(values["next"], "/")
    if values["code"].strip() and code_id is not None:
        return await use(request, code_id, values["code"], target)
    shown = {"stage": "email", "email": values["email"][:MAX_EMAIL], "next": target}
    try:
        new_id = await rules.request_code(svc, values["email"], client_of(request))
    except AccountError as exc:
        return answer(request, {**shown, "errors": {"email": exc.message}}, 422)
    except Throttled as exc:
        return throttled(request, exc, PAGE, FRAGMENT, {**shown, "errors": {}, "message": ""})
    session_of(request).set("lc", str(new_id))
    if wants_fragment(request):
        return answer(request, {"stage": "code", "message": gettext(rules.SENT), "next": target})
    flash(request, gettext(rules.SENT), "info")
    return redirect(request, f"{PATH}?next={quote(target, safe='/')}" if target != "/" else PATH)


async def use(request: Request, code_id: UUID, code: str, target: str) -> Response:
    try:
        outcome = await rules.use_code(services(request), code_id, code, client_of(request))
    except AccountError as exc:
        errors = {"code": exc.message}
        return answer(request, {"stage": "code", "errors": errors, "next": target}, 422)
    session_of(request).drop("lc")
    if isinstance(outcome, CodeNeeded):
        guards.start_pending_login(request, outcome.pending_id)
        return redirect(request, "/auth/login/verify")
    await guards.start_session(request, outcome.user_id, outcome.session_id, remember=False)
    flash(
        request,
        gettext("Welcome back! Your address is confirmed, and your other sessions ended."),
    )
    return redirect(request, target)


routes = [Route(PATH, login_code, methods=["GET", "POST"], name="login_code")]
