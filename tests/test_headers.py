"""Response headers on a small app of their own: the security headers, static caching, gzip."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from web.headers import CachedStatic, GZip, SecurityHeadersMiddleware

HSTS = "max-age=63072000; includeSubDomains"


async def plain(request: Request) -> Response:
    return PlainTextResponse("plain " * 200)


async def framed(request: Request) -> Response:
    """A page that sets a policy of its own."""
    return PlainTextResponse("framed", headers={"Content-Security-Policy": "sandbox"})


def app_with(*middleware: Middleware, static: Path | None = None) -> Starlette:
    routes: list[BaseRoute] = [Route("/", plain), Route("/framed", framed)]
    if static is not None:
        routes.append(Mount("/static", CachedStatic(StaticFiles(directory=static))))
    return Starlette(routes=routes, middleware=list(middleware))


async def get(app: ASGIApp, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path, headers=headers)


async def test_every_answer_carries_the_security_headers_without_hsts_by_default() -> None:
    answer = await get(app_with(Middleware(SecurityHeadersMiddleware, hsts=False)), "/")
    csp = answer.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in answer.headers


async def test_hsts_is_sent_only_when_asked() -> None:
    answer = await get(app_with(Middleware(SecurityHeadersMiddleware, hsts=True)), "/")
    assert answer.headers["strict-transport-security"] == HSTS


async def test_a_missing_page_gets_the_headers_too() -> None:
    answer = await get(app_with(Middleware(SecurityHeadersMiddleware, hsts=True)), "/nowhere")
    assert answer.status_code == 404
    assert "content-security-policy" in answer.headers
    assert answer.headers["strict-transport-security"] == HSTS


async def test_a_responses_own_header_is_kept_not_doubled() -> None:
    answer = await get(app_with(Middleware(SecurityHeadersMiddleware, hsts=False)), "/framed")
    assert answer.headers.get_list("content-security-policy") == ["sandbox"]
    assert answer.headers["x-frame-options"] == "DENY"


async def test_images_may_come_from_the_sources_given() -> None:
    middleware = Middleware(
        SecurityHeadersMiddleware, hsts=False, img_sources=" https://tiles.example/"
    )
    csp = (await get(app_with(middleware), "/")).headers["content-security-policy"]
    assert "img-src 'self' data: https://tiles.example/;" in csp


async def test_a_versioned_static_file_is_cached_for_a_year(tmp_path: Path) -> None:
    (tmp_path / "site.css").write_text("body { margin: 0 }")
    app = app_with(static=tmp_path)
    versioned = await get(app, "/static/site.css?v=0123abcd")
    assert versioned.status_code == 200 and versioned.text == "body { margin: 0 }"
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    unversioned = await get(app, "/static/site.css")
    assert unversioned.headers["cache-control"] == "public, max-age=3600"


async def test_gzip_only_for_clients_that_accept_it() -> None:
    app = app_with(Middleware(GZip, minimum_size=600))
    packed = await get(app, "/", {"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip" and packed.text == "plain " * 200
    unpacked = await get(app, "/", {"Accept-Encoding": "identity"})
    assert "content-encoding" not in unpacked.headers and unpacked.text == "plain " * 200
