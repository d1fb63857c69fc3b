"""The signed session cookie: JWT, CSRF token, flashes; written back only when it changed."""

from __future__ import annotations

import binascii
import hmac
import json
import secrets
import time
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from itsdangerous.encoding import int_to_bytes
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.incoming import cookie

COOKIE = "mu_session"
# Under https: a __Host- cookie can only be set by this origin itself (Secure, Path=/, no Domain),
# so a sibling subdomain cannot plant or overwrite it.
HOST_COOKIE = "__Host-mu_session"
COOKIE_MAX_AGE = 30 * 24 * 3600
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_URL_SAFE = bytes.maketrans(b"+/", b"-_")


class Session(dict[str, Any]):
    """The cookie's content: JWT ("t"), CSRF token ("c"), flashes ("f"), remember-me ("r")."""

    modified = False

    def csrf_token(self) -> str:
        if "c" not in self:
            self["c"] = secrets.token_urlsafe(32)
            self.modified = True
        return str(self["c"])

    rotated = False

    def rotate_csrf_token(self) -> None:
        """A new token (at login and logout): one read before is refused from now on. The
        response names it in `X-CSRF-Token`, so a page that logged in in place (htmx) updates
        its forms without a reload."""
        self.drop("c")
        self.csrf_token()
        self.rotated = True

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
    """Loads the signed cookie into scope["session_cookie"]; writes it back only when it changed.

    A response that writes the cookie, and every response to a logged-in user (the session holds
    a login token "t"), is marked no-store, unless, for the latter, it set its own Cache-Control
    (static files and tiles, which hold nothing personal).
    """

    def __init__(
        self, app: ASGIApp, secret_key: str, secure: bool, fallbacks: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        # itsdangerous signs with the last key and accepts any: SECRET_KEY last, older before.
        keys = [*reversed(fallbacks), secret_key]
        self.serializer = URLSafeTimedSerializer(keys, salt="session-cookie")
        # The signing key as itsdangerous derives it (from the newest secret), once.
        self.key = self.serializer.make_signer().derive_key()
        self.secure = secure
        self.name = HOST_COOKIE if secure else COOKIE
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
        value = cookie(scope, self.name)
        # Moving to https renames the cookie: the old one is read once, then reissued and expired.
        old = cookie(scope, COOKIE) if self.secure else None
        if value is None and old is not None:
            value = old
            session.modified = True
        if value:
            try:
                session.update(self.load(value))
            except (BadSignature, ValueError, TypeError):
                session.modified = True
        scope["session_cookie"] = session

        async def send_with_cookie(message: Message) -> None:
            writes = session.modified or old is not None
            if message["type"] == "http.response.start" and (writes or "t" in session):
                raw = message["headers"] = list(message.get("headers", ()))
                names = dict(raw)
                if session.modified:
                    raw.append((b"set-cookie", self.cookie_header(session).encode()))
                if old is not None:
                    raw.append((b"set-cookie", f"{COOKIE}=; Max-Age=0{self.attributes}".encode()))
                if writes or b"cache-control" not in names:
                    _put(raw, names, b"cache-control", b"no-store")
                if session.rotated:
                    _put(raw, names, b"x-csrf-token", session.csrf_token().encode())
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    @property
    def attributes(self) -> str:
        return "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure else "")

    def cookie_header(self, session: Session) -> str:
        if not session:
            return f"{self.name}=; Max-Age=0{self.attributes}"
        age = f"; Max-Age={COOKIE_MAX_AGE}" if session.get("r") else ""
        return f"{self.name}={self.dumps(session)}{age}{self.attributes}"

    def dumps(self, session: Session) -> str:
        """The serializer's own format (compact JSON in URL-safe base64, the timestamp, an
        HMAC-SHA1 of both) made in one pass: without its try at compressing, which a cookie this
        small never gains from, and with the key derived once (a first visit's cookie costs a
        third of what `serializer.dumps` takes). `self.serializer.loads` reads it back."""
        stamp = _base64(int_to_bytes(int(time.time())))
        value = _base64(_encode(session).encode()) + b"." + stamp
        return (value + b"." + _base64(hmac.digest(self.key, value, "sha1"))).decode()


def _put(
    raw: list[tuple[bytes, bytes]], names: dict[bytes, bytes], name: bytes, value: bytes
) -> None:
    """Sets a response header (names are lower case in ASGI), dropping any earlier value."""
    if name in names:
        raw[:] = [pair for pair in raw if pair[0] != name]
    raw.append((name, value))


def _base64(data: bytes) -> bytes:
    """URL-safe base64 without padding, as itsdangerous writes it."""
    return binascii.b2a_base64(data, newline=False).translate(_URL_SAFE).rstrip(b"=")
