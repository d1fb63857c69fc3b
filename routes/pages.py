"""The public pages: home, about, legal pages, robots.txt and the sitemap."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from services.language import current
from sql import images
from web.guards import services
from web.render import render, templates

PUBLIC_PAGES = (
    "/",
    "/about",
    "/privacy-notice",
    "/terms-of-service",
    "/auth/signup",
    "/auth/login",
)


async def home(request: Request) -> Response:
    pictures = await images.on_home_page(services(request).db, current.get())
    return render(request, "templates/home.html", {"images": pictures})


def static_page(template: str) -> Route:
    async def page(request: Request) -> Response:
        return render(request, f"templates/{template}.html")

    path = "/" + template.replace("_", "-")
    return Route(path, page, name=template)


async def robots(request: Request) -> Response:
    base = services(request).settings.base_url
    lines = [
        "User-agent: *",
        "Disallow: /auth/userprofile",
        "Disallow: /dev/",
        f"Sitemap: {base}/sitemap.xml",
    ]
    return PlainTextResponse("\n".join(lines) + "\n")


async def sitemap(request: Request) -> Response:
    base = services(request).settings.base_url
    body = (
        templates(request)
        .get_template("templates/sitemap.xml")
        .render(urls=[base + path for path in PUBLIC_PAGES])
    )
    return Response(body, media_type="application/xml")


routes = [
    Route("/", home, name="home"),
    static_page("about"),
    static_page("privacy_notice"),
    static_page("terms_of_service"),
    Route("/robots.txt", robots),
    Route("/sitemap.xml", sitemap),
]
