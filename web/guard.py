"""The guard of every unsafe request: a bounded body, a same-origin check, a valid CSRF token."""

from __future__ import annotations

import hmac
from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_BODY = 64 * 1024
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class GuardMiddleware:
    """Every unsafe request: a bounded body, a same-origin check and a valid CSRF token."""

    def __init__(self, app: ASGIApp, base_url: str, refuse: ASGIApp) -> None:
        self.app = app
        self.base_origin = _origin(base_url)
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > MAX_BODY:
            await self._refuse(scope, receive, send, 413)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > MAX_BODY:
                await self._refuse(scope, receive, send, 413)
                return
        expected = scope["session_cookie"].get("c")
        if not (
            self._same_origin(headers) and expected and _token_matches(headers, body, expected)
        ):
            await self._refuse(scope, receive, send, 403)
            return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _same_origin(self, headers: Headers) -> bool:
        site = headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            return False
        origin = headers.get("origin")
        if origin is None:
            return True
        return origin == self.base_origin or urlsplit(origin).netloc == headers.get("host")

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int) -> None:
        scope["refusal"] = status
        await self.refuse(scope, receive, send)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _token_matches(headers: Headers, body: bytes, expected: str) -> bool:
    token = headers.get("x-csrf-token")
    if token is None and headers.get("content-type", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        values = parse_qs(body.decode("latin-1"), max_num_fields=200).get("csrf_token", [])
        token = values[0] if values else None
    return token is not None and hmac.compare_digest(token.encode(), expected.encode())
