"""Wiring only: settings, services, templates, middleware, routes and the lifespan."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

import settings as settings_module
from accounts.runtime import running, tile_store
from routes import (
    admin,
    album,
    auth,
    consent,
    devoutbox,
    gallery,
    language,
    login_code,
    mfa,
    pages,
    passkeys,
    profile,
    recovery,
    tiles,
)
from settings import Settings
from web.guard import GuardMiddleware
from web.headers import CachedStatic, GZip, SecurityHeadersMiddleware
from web.hosts import AllowedHostsMiddleware
from web.language import LanguageMiddleware
from web.render import STATIC, Site, environments, error_page
from web.session import SessionCookieMiddleware
from web.state import RequestStateMiddleware

log = logging.getLogger("minimal_user")


async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
    """What the guard answers: 403 for a missing or bad CSRF token, 413 for a large body."""
    request = Request(scope, receive)
    response = error_page(request, scope["refusal"])
    await response(scope, receive, send)


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else None
    return error_page(request, status, headers)


async def server_error(request: Request, exc: Exception) -> Response:
    return error_page(request, 500)


def create_app(config: Settings | None = None) -> Starlette:
    config = config or settings_module.load()
    if config.production and not config.https:
        log.warning("BASE_URL is not https: cookies are not marked Secure and no HSTS is sent")
    store = tile_store(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with running(config, store) as services:
            app.state.services = services
            if not gc.get_freeze_count():
                # What start-up built lives as long as the worker: once frozen, the collector
                # stops walking it, and its full collections no longer stall a busy worker's
                # requests (bench/RESULTS.md). Once per process: a test runs many apps.
                gc.collect()
                gc.freeze()
            yield

    app = Starlette(
        routes=[
            # Starlette tries the routes in order: the most visited pages first.
            *album.routes,
            *pages.routes,
            *consent.routes,
            *language.routes,
            *auth.routes,
            *mfa.routes,
            *passkeys.routes,
            *login_code.routes,
            *profile.routes,
            *recovery.routes,
            *devoutbox.routes,
            *gallery.routes,
            *tiles.routes,
            *admin.routes,
            Mount("/static", CachedStatic(StaticFiles(directory=STATIC)), name="static"),
        ],
        middleware=[
            Middleware(GZip, minimum_size=600, compresslevel=6),
            Middleware(
                SecurityHeadersMiddleware,
                hsts=config.https,
                # The trailing slash makes it a prefix: without it CSP allows that one URL only.
                img_sources=f" {config.tiles_base_url}/" if config.tiles_base_url else "",
            ),
            Middleware(AllowedHostsMiddleware, allowed=config.allowed_hosts),
            Middleware(LanguageMiddleware, secure=config.https),
            Middleware(
                SessionCookieMiddleware,
                secret_key=config.secret_key,
                secure=config.https,
                fallbacks=config.secret_key_fallbacks,
            ),
            Middleware(RequestStateMiddleware),
            Middleware(GuardMiddleware, base_url=config.base_url, refuse=refuse),
        ],
        exception_handlers={HTTPException: http_error, 500: server_error},
        lifespan=lifespan,
    )
    app.state.templates = environments(auto_reload=config.development)
    app.state.site = Site("Minimal+User", config.base_url, config.development)
    app.state.tile_url = store.url
    return app


app = create_app()
