"""ASGI middleware: the signed session cookie, the CSRF and body-size guard, security headers."""

from __future__ import annotations

import hmac
import json
import secrets
import time
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, urlsplit

from itsdangerous import BadSignature, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "mu_session"
COOKIE_MAX_AGE = 30 * 24 * 3600
MAX_BODY = 64 * 1024
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class GZip(GZipMiddleware):
    """Starlette's gzip for the clients that accept it. The others get the response untouched:
    Starlette's pass-through would still parse the headers of every response (25 µs a page)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        accepted = scope["type"] == "http" and "gzip" in Headers(scope=scope).get(
            "accept-encoding", ""
        )
        await (super().__call__ if accepted else self.app)(scope, receive, send)


class Session(dict[str, Any]):
    """The cookie's content: JWT ("t"), CSRF token ("c"), flashes ("f"), remember-me ("r")."""

    modified = False

    def csrf_token(self) -> str:
        if "c" not in self:
            self["c"] = secrets.token_urlsafe(32)
            self.modified = True
        return str(self["c"])

    def set(self, key: str, value: Any) -> None:
        if self.get(key) != value:
            self[key] = value
            self.modified = True

    def drop(self, key: str) -> None:
        if key in self:
            del self[key]
            self.modified = True


def session_of(request: Request) -> Session:
    session: Session = request.scope["session_cookie"]
    return session


class SessionCookieMiddleware:
    """Loads the signed cookie into scope["session_cookie"]; writes it back only when it changed."""

    def __init__(self, app: ASGIApp, secret_key: str, secure: bool) -> None:
        self.app = app
        self.serializer = URLSafeTimedSerializer(secret_key, salt="session-cookie")
        self.signer = self.serializer.make_signer()
        self.secure = secure
        self._verified = lru_cache(maxsize=2048)(self._verify)

    def _verify(self, value: str) -> tuple[dict[str, Any], float]:
        """The payload of a well-signed cookie and when it was signed; raises BadSignature."""
        payload, signed = self.serializer.loads(value, return_timestamp=True)
        if not isinstance(payload, dict):
            raise TypeError("session cookie is not a mapping")
        return payload, signed.timestamp()

    def load(self, value: str) -> dict[str, Any]:
        """A browser sends the same cookie on every request: verify each value once."""
        payload, signed = self._verified(value)
        if time.time() - signed > COOKIE_MAX_AGE:
            raise BadSignature("session cookie expired")
        return {key: list(v) if isinstance(v, list) else v for key, v in payload.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        session = Session()
        raw = Headers(scope=scope).get("cookie", "")
        value = _cookie_value(raw, COOKIE)
        if value:
            try:
                session.update(self.load(value))
            except (BadSignature, ValueError, TypeError):
                session.modified = True
        scope["session_cookie"] = session

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and session.modified:
                headers = MutableHeaders(scope=message)
                headers.append("Set-Cookie", self.cookie_header(session))
                headers.append("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def cookie_header(self, session: Session) -> str:
        attrs = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")
        if not session:
            return f"{COOKIE}=; Max-Age=0{attrs}"
        age = f"; Max-Age={COOKIE_MAX_AGE}" if session.get("r") else ""
        return f"{COOKIE}={self.dumps(session)}{age}{attrs}"

    def dumps(self, session: Session) -> str:
        """The serializer's own format (compact JSON in URL-safe base64, the timestamp, the
        signature) without its try at compressing, which a cookie this small never gains from:
        a quarter less work on every first visit. `self.serializer.loads` reads it back."""
        payload = json.dumps(session, ensure_ascii=False, separators=(",", ":")).encode()
        return self.signer.sign(base64_encode(payload)).decode()


def _cookie_value(header: str, name: str) -> str | None:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


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


class SecurityHeadersMiddleware:
    """Adds the site's security headers to every response that does not set its own."""

    def __init__(self, app: ASGIApp, *, hsts: bool, img_sources: str = "") -> None:
        self.app = app
        policy = (
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            f"img-src 'self' data:{img_sources}; font-src 'self'; connect-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        headers = [
            ("content-security-policy", policy),
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "strict-origin-when-cross-origin"),
            ("cross-origin-opener-policy", "same-origin"),
            ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
        ]
        if hsts:
            headers.append(("strict-transport-security", "max-age=63072000; includeSubDomains"))
        self.headers = [(name.encode(), value.encode()) for name, value in headers]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = message["headers"] = list(message.get("headers", ()))
                present = {name.lower() for name, _ in raw}
                raw.extend(pair for pair in self.headers if pair[0] not in present)
            await send(message)

        await self.app(scope, receive, send_with_headers)
