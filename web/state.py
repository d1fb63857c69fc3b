"""Per-request state: the current user and the cookie policy (the original's codes: 1 essential
only, 3 with analysis), and the 503 when the database is away or the key hashing is full."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accounts.keys import HasherBusy
from sql.pool import UNAVAILABLE
from web.guards import current_user
from web.incoming import cookie
from web.render import error_page

RETRY_AFTER = "5"
POLICY_COOKIE = "cookie_policy"
ESSENTIAL_ONLY = 1
WITH_ANALYSIS = 3
YEAR = 365 * 24 * 3600


def policy_of(request: Request) -> int | None:
    return _policy(cookie(request.scope, POLICY_COOKIE))


def _policy(value: str | None) -> int | None:
    return int(value) if value in ("0", "1", "2", "3") else None


class RequestStateMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["user"] = None
        state["policy"] = _policy(cookie(scope, POLICY_COOKIE))
        request = Request(scope, receive)
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            state["user"] = await current_user(request)
            await self.app(scope, receive, watch)
        except UNAVAILABLE:
            if started:
                raise
            state["user"] = None
            response = error_page(request, 503, {"Retry-After": RETRY_AFTER})
            await response(scope, receive, send)
        except HasherBusy as exc:
            if started:
                raise
            response = error_page(request, 503, {"Retry-After": str(exc.retry_after)})
            await response(scope, receive, send)
