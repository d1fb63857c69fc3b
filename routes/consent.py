"""The cookie-consent banner and its settings, with the original's policy codes."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.language import gettext
from web.guards import services
from web.render import local_path, redirect, render, wants_fragment
from web.state import ESSENTIAL_ONLY, POLICY_COOKIE, WITH_ANALYSIS, YEAR


async def settings_page(request: Request) -> Response:
    return render(request, "templates/cookie_settings.html")


async def choose(request: Request) -> Response:
    form = await request.form()
    choice = form.get("choice")
    if choice == "all" or (choice == "custom" and form.get("analysis") == "on"):
        policy = WITH_ANALYSIS
    elif choice in ("essential", "custom"):
        policy = ESSENTIAL_ONLY
    else:
        return render(
            request,
            "templates/cookie_settings.html",
            {"error": gettext("Choose one of the options.")},
            fragment="partials/cookie_banner.html",
            status=422,
        )
    request.state.policy = policy
    back_to = local_path(str(form.get("next", "/")))
    if wants_fragment(request):
        response: Response = render(
            request,
            "templates/cookie_settings.html",
            {"consent_next": back_to},
            fragment="partials/cookie_banner.html",
            oob=["partials/analytics.html", "partials/cookie_settings_form.html"],
        )
    else:
        response = redirect(request, back_to)
    response.set_cookie(
        POLICY_COOKIE,
        str(policy),
        max_age=YEAR,
        httponly=True,
        samesite="lax",
        secure=services(request).settings.https,
    )
    return response


routes = [
    Route("/cookie-settings", settings_page, name="cookie_settings"),
    Route("/consent", choose, methods=["POST"], name="consent"),
]
