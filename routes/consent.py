"""The cookie-consent banner and its settings, with the original's policy codes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import web

COOKIE = "cookie_policy"
ESSENTIAL_ONLY = 1
WITH_ANALYSIS = 3
YEAR = 365 * 24 * 3600


def policy_of(request: Request) -> int | None:
    value = request.cookies.get(COOKIE, "")
    return int(value) if value in ("0", "1", "2", "3") else None


def allows_analysis(policy: int | None) -> bool:
    return policy is not None and bool(policy & 2)


async def settings_page(request: Request) -> Response:
    return web.render(request, "templates/cookie_settings.html")


async def choose(request: Request) -> Response:
    form = await request.form()
    choice = form.get("choice")
    if choice == "all" or (choice == "custom" and form.get("analysis") == "on"):
        policy = WITH_ANALYSIS
    elif choice in ("essential", "custom"):
        policy = ESSENTIAL_ONLY
    else:
        return web.render(
            request,
            "templates/cookie_settings.html",
            {"error": "Choose one of the options."},
            fragment="partials/cookie_banner.html",
            status=422,
        )
    request.state.policy = policy
    back_to = web.local_path(str(form.get("next", "/")))
    if web.wants_fragment(request):
        response: Response = web.render(
            request,
            "templates/cookie_settings.html",
            {"consent_next": back_to},
            fragment="partials/cookie_banner.html",
            oob=["partials/analytics.html", "partials/cookie_settings_form.html"],
        )
    else:
        response = web.redirect(request, back_to)
    response.set_cookie(
        COOKIE,
        str(policy),
        max_age=YEAR,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.https,
    )
    return response


routes = [
    Route("/cookie-settings", settings_page, name="cookie_settings"),
    Route("/consent", choose, methods=["POST"], name="consent"),
]
