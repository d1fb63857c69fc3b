"""The Host check: a request for a host name the site does not answer to gets 400, on every path.

It keeps DNS rebinding (a hostile name resolved to this machine) from reading the site, such as
/dev/outbox in development, and Host-header tricks from reaching any page.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from settings import hostname_of

REFUSAL = "400 Bad Request: this site does not answer to that host name.\n"


class AllowedHostsMiddleware:
    """Answers 400 unless the request has one Host header naming an allowed host (port, case and
    a trailing dot aside); a request without one (HTTP/1.0) is refused too."""

    def __init__(self, app: ASGIApp, allowed: Collection[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed)
        # Browsers send the same Host on every request: each value is judged once.
        self._allows = lru_cache(maxsize=64)(self._judge)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or self._allowed(scope):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            refusal = PlainTextResponse(
                REFUSAL, status_code=400, headers={"Cache-Control": "no-store"}
            )
            await refusal(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        hosts = [value for name, value in scope["headers"] if name == b"host"]
        return len(hosts) == 1 and self._allows(hosts[0])

    def _judge(self, host: bytes) -> bool:
        return hostname_of(host.decode("latin-1")) in self.allowed
