"""The users' SVG tiles, when the app serves them itself (no TILES_BASE_URL)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.language import gettext
from services.tiles import CACHE_CONTROL, CONTENT_TYPE, StorageUnavailable, valid_name
from sql import tile_jobs
from web.guards import services

# An SVG opened on its own is a document: no script, no fetch, nothing sniffed.
SVG_HEADERS = {
    "Cache-Control": CACHE_CONTROL,
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "X-Content-Type-Options": "nosniff",
}
WAITING_HEADERS = {**SVG_HEADERS, "Cache-Control": "no-store"}


async def tile(request: Request) -> Response:
    name: str = request.path_params["name"]
    svc = services(request)
    if not valid_name(name):
        return _not_found()
    try:
        svg = await svc.tiles.get(name)
    except StorageUnavailable:
        svg = None
    if svg is None:
        waiting = await tile_jobs.pending_put(svc.db, name)
        if waiting is None:
            return _not_found()
        return Response(waiting, media_type=CONTENT_TYPE, headers=WAITING_HEADERS)
    return Response(svg, media_type=CONTENT_TYPE, headers=SVG_HEADERS)


def _not_found() -> Response:
    return Response(
        gettext("No such tile."),
        status_code=404,
        media_type="text/plain",
        headers={"X-Content-Type-Options": "nosniff"},
    )


routes = [Route("/tiles/{name}", tile, methods=["GET", "HEAD"])]
