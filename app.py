"""Wiring only: settings, database, templates, middleware, routes and the lifespan."""

from __future__ import annotations

import contextlib
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

import database
import mailer
import settings as settings_module
import storage
import web
from accounts import Services
from housekeeping import Housekeeper
from keys import Hasher
from middleware import GuardMiddleware, GZip, SecurityHeadersMiddleware, SessionCookieMiddleware
from requeststate import CachedStatic, RequestStateMiddleware
from routes import album, auth, consent, devoutbox, gallery, pages, profile, recovery, tiles
from settings import Settings
from sql.namer import load_namer
from tilework import TileWorker

log = logging.getLogger("minimal_user")


async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
    """What the guard answers: 403 for a missing or bad CSRF token, 413 for a large body."""
    request = Request(scope, receive)
    response = web.error_page(request, scope["refusal"])
    await response(scope, receive, send)


async def http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else None
    return web.error_page(request, status, headers)


async def server_error(request: Request, exc: Exception) -> Response:
    return web.error_page(request, 500)


def create_app(config: Settings | None = None) -> Starlette:
    config = config or settings_module.load()
    if config.production and not config.https:
        log.warning("BASE_URL is not https: cookies are not marked Secure and no HSTS is sent")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        connection = database.connection_for(config)
        db = database.database(connection, config)
        try:
            await db.connect()
            if config.auto_migrate:
                await database.migrate(db)
            await app.state.tiles.start()
            app.state.db = db
            dispatcher = mailer.Dispatcher(
                db, config, mailer.delivery_for(config, app.state.renderer)
            )
            tile_worker = TileWorker(db, app.state.tiles, config.mail_retry_cap)
            app.state.services = Services(
                db=db,
                settings=config,
                hasher=Hasher(config.argon2_memory_kib, config.argon2_time_cost),
                namer=await load_namer(db),
                tile_worker=tile_worker,
                wake_mailer=dispatcher.wake,
            )
            housekeeper = Housekeeper(db)
            dispatcher.start()
            tile_worker.start()
            housekeeper.start()
            try:
                yield
            finally:
                await housekeeper.stop()
                await tile_worker.stop()
                await dispatcher.stop()
        finally:
            await app.state.tiles.close()
            if db.is_connected:
                await db.disconnect()
            connection.close()

    app = Starlette(
        routes=[
            *pages.routes,
            *consent.routes,
            *album.routes,
            *auth.routes,
            *profile.routes,
            *recovery.routes,
            *devoutbox.routes,
            *gallery.routes,
            *tiles.routes,
            Mount("/static", CachedStatic(StaticFiles(directory=web.STATIC)), name="static"),
        ],
        middleware=[
            Middleware(GZip, minimum_size=600, compresslevel=6),
            Middleware(
                SecurityHeadersMiddleware,
                hsts=config.https,
                # The trailing slash makes it a prefix: without it CSP allows that one URL only.
                img_sources=f" {config.tiles_base_url}/" if config.tiles_base_url else "",
            ),
            Middleware(SessionCookieMiddleware, secret_key=config.secret_key, secure=config.https),
            Middleware(RequestStateMiddleware),
            Middleware(GuardMiddleware, base_url=config.base_url, refuse=refuse),
        ],
        exception_handlers={HTTPException: http_error, 500: server_error},
        lifespan=lifespan,
    )
    app.state.settings = config
    app.state.templates = web.environment(auto_reload=config.development)
    app.state.tiles = storage.make_store(config)
    app.state.renderer = mailer.Renderer()
    return app


app = create_app()
