"""The cat album: the placeholder for a product's own section."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from services.language import current
from sql import images
from web.guards import confirmation_required, login_required, services
from web.render import render


@confirmation_required
async def album(request: Request) -> Response:
    pictures = await images.on_air(services(request).db, current.get())
    return render(request, "templates/album/album.html", {"images": pictures})


@login_required
async def image_details(request: Request) -> Response:
    try:
        img_id = int(request.path_params["img_id"])
    except ValueError:
        raise HTTPException(404) from None
    picture = (
        await images.one(services(request).db, img_id, current.get())
        if 0 < img_id < 2**62
        else None
    )
    if picture is None:
        raise HTTPException(404)
    return render(request, "templates/album/image_details.html", {"image": picture})


routes = [
    Route("/album/", album, name="album"),
    Route("/album/imagedetails/{img_id}", image_details, name="image_details"),
]
