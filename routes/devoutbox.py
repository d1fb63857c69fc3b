"""/dev/outbox: in development without SMTP, the emails the site would have sent."""

from __future__ import annotations

import ipaddress

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import mailer
import web
from sql import outbox


def _local_only(request: Request) -> None:
    settings = request.app.state.settings
    host = request.client.host if request.client else ""
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if not settings.development or not local or request.headers.get("x-forwarded-for"):
        raise HTTPException(404)


async def listing(request: Request) -> Response:
    _local_only(request)
    messages = await outbox.kept(request.app.state.db)
    return web.render(request, "templates/dev/outbox.html", {"messages": messages})


async def message(request: Request) -> Response:
    _local_only(request)
    try:
        outbox_id = int(request.path_params["outbox_id"])
    except ValueError:
        raise HTTPException(404) from None
    found = await outbox.one_kept(request.app.state.db, outbox_id) if outbox_id < 2**62 else None
    if found is None:
        raise HTTPException(404)
    settings = request.app.state.settings
    rendered = request.app.state.renderer.render(
        mailer.letter_of(found, settings), settings.mail_from
    )
    text = rendered.get_body(("plain",))
    html = rendered.get_body(("html",))
    return web.render(
        request,
        "templates/dev/message.html",
        {
            "message": found,
            "subject": rendered["Subject"],
            "text": text.get_content() if text else "",
            "html": html.get_content() if html else "",
        },
    )


routes = [
    Route("/dev/outbox", listing, name="dev_outbox"),
    Route("/dev/outbox/{outbox_id}", message, name="dev_outbox_message"),
]
