"""The one place that chooses the language of a request: the visitor's choice (a cookie the
switcher sets, and a login sets to the account's language), else the best of Accept-Language,
else English. Pages say which, and vary on what chose it (web/render.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.language import DEFAULT, LANGUAGES, current, negotiate
from web.incoming import cookie, header

COOKIE = "language"
YEAR = 365 * 24 * 3600


def follow(request: Request, code: str) -> None:
    """From this answer on, the browser speaks `code`: the middleware sets its cookie."""
    if code in LANGUAGES:
        request.state.language_cookie = code


class LanguageMiddleware:
    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.attributes = f"Max-Age={YEAR}; Path=/; SameSite=Lax; HttpOnly" + (
            "; Secure" if secure else ""
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        chosen = cookie(scope, COOKIE)
        code = chosen if chosen in LANGUAGES else None
        code = code or negotiate(header(scope, b"accept-language")) or DEFAULT
        state = scope.setdefault("state", {})
        # Kept in the request too: render() names it in each page's Content-Language, and
        # Starlette's outermost handler renders a 500 page after the context variable is reset.
        state["language"] = code
        token = current.set(code)

        async def send_with_cookie(message: Message) -> None:
            follow = state.get("language_cookie")
            if follow and follow != chosen and message["type"] == "http.response.start":
                line = f"{COOKIE}={follow}; {self.attributes}".encode()
                message["headers"] = [*message.get("headers", ()), (b"set-cookie", line)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            current.reset(token)
