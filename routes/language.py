"""The language switcher: a plain form, so it works without JavaScript too."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.language import LANGUAGES
from sql import users
from web.guards import services
from web.language import follow
from web.render import error_page, local_path, redirect


async def choose(request: Request) -> Response:
    form = await request.form()
    code = str(form.get("language", ""))
    if code not in LANGUAGES:
        return error_page(request, 400)
    follow(request, code)
    user = request.state.user
    if user is not None:
        await users.set_language(services(request).db, user.id, code)
    return redirect(request, local_path(str(form.get("next", "/"))))


routes = [Route("/language", choose, methods=["POST"])]
