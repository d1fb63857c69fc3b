"""The logged-in user's own page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import web
from auth import login_required


@login_required
async def profile(request: Request) -> Response:
    return web.render(request, "templates/auth/userprofile.html")


routes = [Route("/auth/userprofile", profile, name="profile")]
