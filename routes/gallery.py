"""Development only: every partial in each of its states, for designers.

/dev/gallery renders each fragment of partials/ with sample data, in a labelled box, so a
partial can be restyled without clicking through the flows. Like /dev/outbox it answers 404
outside development and to anyone but this machine. The states are in routes/samples.py and
routes/samples_*.py.
"""

from __future__ import annotations

import base64
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from routes.samples import SampleUser, samples
from routes.samples_admin import admin_samples
from routes.samples_export import export_samples
from routes.samples_passkeys import passkey_samples
from routes.samples_security import security_samples
from web.guards import local_only, services
from web.render import context, render, templates


def sample_tile(request: Request, user: SampleUser) -> str:
    """A tile drawn by the site's own namer, inline, so the gallery shows a real one."""
    namer = services(request).namer
    svg = namer.tile(namer.colours[0], user.nickname)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


WIDE = ("partials/navbar.html", "partials/flashes.html", "partials/cookie_banner.html")


async def gallery(request: Request) -> Response:
    local_only(request)
    env = templates(request)
    user = SampleUser()
    tile = sample_tile(request, user)
    sections: dict[str, dict[str, Any]] = {}
    for sample in [
        *samples(user),
        *security_samples(user),
        *passkey_samples(user),
        *export_samples(user),
        *admin_samples(user),
    ]:
        values = context(request, tile_url=lambda _name: tile, **sample.values)
        html = env.get_template(sample.partial).render(values)
        section = sections.setdefault(
            sample.partial,
            {
                "partial": sample.partial,
                "anchor": sample.partial.removesuffix(".html").replace("/", "-").replace("_", "-"),
                "wide": sample.partial in WIDE,
                "boxes": [],
            },
        )
        shown = Markup(html)  # noqa: S704 - the output of our own autoescaped template
        section["boxes"].append({"state": sample.state, "html": shown, "source": html})
    return render(request, "templates/dev/gallery.html", {"sections": list(sections.values())})


routes = [Route("/dev/gallery", gallery, name="dev_gallery")]
