"""Per-request state: the current user and consent policy, the 503 when the database is away;
the cache headers of static files."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import auth
import web
from database import UNAVAILABLE
from routes.consent import policy_of

RETRY_AFTER = "5"


class RequestStateMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        request.state.user = None
        request.state.policy = policy_of(request)
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            request.state.user = await auth.current_user(request)
            await self.app(scope, receive, watch)
        except UNAVAILABLE:
            if started:
                raise
            request.state.user = None
            response = web.error_page(request, 503, {"Retry-After": RETRY_AFTER})
            await response(scope, receive, send)


class CachedStatic:
    """Wraps the static files: content-hashed URLs (?v=...) may be cached for a year."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        versioned = b"v=" in scope.get("query_string", b"")

        async def send_cached(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Cache-Control"] = (
                    "public, max-age=31536000, immutable" if versioned else "public, max-age=3600"
                )
            await send(message)

        await self.app(scope, receive, send_cached)
