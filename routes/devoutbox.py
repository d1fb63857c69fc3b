"""/dev/outbox: in development without SMTP, the emails the site would have sent."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.letters import letter_of
from sql import outbox
from web.guards import local_only, services
from web.render import render


async def listing(request: Request) -> Response:
    local_only(request)
    messages = await outbox.kept(services(request).db)
    return render(request, "templates/dev/outbox.html", {"messages": messages})


async def message(request: Request) -> Response:
    local_only(request)
    try:
        outbox_id = int(request.path_params["outbox_id"])
    except ValueError:
        raise HTTPException(404) from None
    svc = services(request)
    found = await outbox.one_kept(svc.db, outbox_id) if outbox_id < 2**62 else None
    if found is None:
        raise HTTPException(404)
    rendered = svc.renderer.render(letter_of(found, svc.settings), svc.settings.mail_from)
    text = rendered.get_body(("plain",))
    html = rendered.get_body(("html",))
    return render(
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
