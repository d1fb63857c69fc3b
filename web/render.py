"""Answering a request: page or fragment, flash messages, redirects, error pages."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, urlsplit

from jinja2 import Environment, FileSystemLoader, PrefixLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from accounts.security_log import describe
from services.language import DEFAULT, LANGUAGES, N_, current, gettext, speaking
from services.words import install
from web.session import session_of

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
VARY = "HX-Request, HX-Request-Type"
# A page also varies with its language, chosen by the language cookie or Accept-Language.
PAGE_VARY = (VARY + ", Accept-Language, Cookie").encode()
# Kept as they are in a redirect's URL: the reserved characters, and % (already encoded).
URL_SAFE = "!#$%&'()*+,/:;=?@[]~"


@dataclass(frozen=True)
class Site:
    """What templates know of the configuration: never the settings object, never a secret."""

    name: str
    base_url: str
    development: bool


class Address(NamedTuple):
    """The part of a request's URL that templates read: its path and its query string."""

    path: str
    query: str


class RequestView(NamedTuple):
    """The request as templates see it: its URL, not the app behind it."""

    url: Address


@cache
def static_url(path: str) -> str:
    """A content-hashed URL, so static files can be cached for a year."""
    digest = hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]
    return f"/static/{path}?v={digest}"


BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device(user_agent: str) -> str:
    browser = next((name for mark, name in BROWSERS if mark in user_agent), None)
    system = next((name for mark, name in SYSTEMS if mark in user_agent), None)
    if browser and system:
        return gettext("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or (user_agent[:40] or gettext("Unknown device"))


def environment(auto_reload: bool, language: str = DEFAULT) -> Environment:
    """The pages' templates in one language (the words without values are folded in when a
    template compiles, so there is one environment per language)."""
    env = Environment(
        loader=PrefixLoader(
            {
                "templates": FileSystemLoader(ROOT / "templates"),
                "partials": FileSystemLoader(ROOT / "partials"),
            }
        ),
        autoescape=True,
        undefined=StrictUndefined,
        auto_reload=auto_reload,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static_url"] = static_url
    env.globals["device"] = device
    env.globals["languages"] = LANGUAGES
    env.globals["describe"] = describe
    install(env, language)
    return env


def environments(auto_reload: bool) -> dict[str, Environment]:
    return {code: environment(auto_reload, code) for code in LANGUAGES}


def language_of(request: Request) -> str:
    """The language the middleware chose for this request (English before it ran)."""
    language: str = request.scope.get("state", {}).get("language", DEFAULT)
    return language


def templates(request: Request) -> Environment:
    """The templates in the request's language."""
    envs: dict[str, Environment] = request.app.state.templates
    return envs[language_of(request)]


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def wants_fragment(request: Request) -> bool:
    """htmx 4 says "partial" when it swaps part of the page; "full" for body or boosted swaps."""
    return is_htmx(request) and request.headers.get("hx-request-type") == "partial"


def flash(request: Request, message: str, category: str = "success") -> None:
    session = session_of(request)
    session.set("f", [*session.get("f", []), [category, message]])


def take_flashes(request: Request) -> list[tuple[str, str]]:
    session = session_of(request)
    flashes = [(str(c), str(m)) for c, m in session.get("f", [])]
    session.drop("f")
    return flashes


def tile_url(request: Request) -> Callable[[str], str]:
    """The URL of a user's tile: on the site, or under TILES_BASE_URL."""
    url: Callable[[str], str] = request.app.state.tile_url
    return url


def context(request: Request, **values: Any) -> dict[str, Any]:
    """What every template sees: the request, its user, its CSRF token, its consent policy, the
    site (name, base URL, flags) and the tile URLs."""
    scope = request.scope
    state = scope.get("state", {})
    session = session_of(request)
    return {
        "request": RequestView(Address(scope["path"], scope["query_string"].decode("latin-1"))),
        "user": state.get("user"),
        "csrf_token": session.csrf_token,
        "policy": state.get("policy"),
        "take_flashes": lambda: take_flashes(request),
        "site": request.app.state.site,
        "tile_url": tile_url(request),
        **values,
    }


def render(
    request: Request,
    page: str,
    values: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    oob: Iterable[str] = (),
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """The whole page, or to an htmx partial request the fragment plus out-of-band parts, in
    the request's language, which the answer names."""
    language = language_of(request)
    env = templates(request)
    ctx = context(request, **(values or {}))
    token = current.set(language)
    try:
        if fragment is not None and wants_fragment(request):
            parts = [env.get_template(fragment).render(ctx)]
            parts += [env.get_template(name).render(ctx, oob=True) for name in oob]
            if session_of(request).get("f"):
                parts.append(env.get_template("partials/flashes.html").render(ctx, oob=True))
            body = "".join(parts)
        else:
            body = env.get_template(page).render(ctx)
    finally:
        current.reset(token)
    response = HTMLResponse(body, status_code=status, headers=headers)
    response.raw_headers += [(b"vary", PAGE_VARY), (b"content-language", language.encode())]
    return response


def redirect(request: Request, url: str) -> Response:
    """After a successful POST: 303 for a plain form, HX-Redirect for htmx. Headers are
    Latin-1: anything else in the URL (a `next` in Japanese) is percent-encoded as UTF-8."""
    url = quote(url, safe=URL_SAFE)
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": url, "Vary": VARY})
    return RedirectResponse(url, status_code=303, headers={"Vary": VARY})


def local_path(target: str | None, default: str = "/") -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative trick."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    return target


ERROR_TITLES = {
    400: N_("Bad request"),
    403: N_("Not allowed"),
    404: N_("Page not found"),
    405: N_("Method not allowed"),
    413: N_("Too much data"),
    429: N_("Too many attempts"),
    500: N_("Something went wrong"),
    503: N_("Temporarily unavailable"),
}


def error_page(request: Request, status: int, headers: dict[str, str] | None = None) -> Response:
    """A rendered error page; to htmx a short fragment its error handler shows inline."""
    status = status if status in ERROR_TITLES else 500
    # The "try again" link follows the request's path, which anyone can write: a local one only.
    retry = local_path(request.url.path)
    with speaking(language_of(request)):
        title = gettext(ERROR_TITLES[status])
    values = {"status": status, "title": title, "retry": retry}
    return render(
        request,
        "templates/error.html",
        values,
        fragment="partials/error_message.html",
        status=status,
        headers=headers,
    )
