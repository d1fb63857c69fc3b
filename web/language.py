"""The one place that chooses the language of a request: the visitor's choice (a cookie the
switcher sets, and a login sets to the account's language), else the best of Accept-Language,
else English. Pages say which, and vary on what chose it."""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.language import DEFAULT, LANGUAGES, current, negotiate

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
        headers = Headers(scope=scope)
        chosen = cookie_parser(headers.get("cookie", "")).get(COOKIE)
        code = chosen if chosen in LANGUAGES else None
        code = code or negotiate(headers.get("accept-language", "")) or DEFAULT
        state = scope.setdefault("state", {})
        # Kept in the request too: Starlette's outermost handler renders a 500 page after this
        # middleware has put the context variable back.
        state["language"] = code
        token = current.set(code)

        async def send_with_language(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer = MutableHeaders(scope=message)
                if answer.get("content-type", "").startswith("text/html"):
                    answer["Content-Language"] = code
                    answer.add_vary_header("Accept-Language")
                    answer.add_vary_header("Cookie")
                follow = state.get("language_cookie")
                if follow and follow != chosen:
                    answer.append("Set-Cookie", f"{COOKIE}={follow}; {self.attributes}")
            await send(message)

        try:
            await self.app(scope, receive, send_with_language)
        finally:
            current.reset(token)
