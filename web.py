"""Answering a request: page or fragment, flash messages, redirects, the client's address."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, PrefixLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from middleware import session_of

ROOT = Path(__file__).parent
STATIC = ROOT / "static"
VARY = "HX-Request, HX-Request-Type"


@cache
def static_url(path: str) -> str:
    """A content-hashed URL, so static files can be cached for a year."""
    digest = hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]
    return f"/static/{path}?v={digest}"


def environment(auto_reload: bool) -> Environment:
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
    return env


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


def context(request: Request, **values: Any) -> dict[str, Any]:
    """What every template sees: the request, its user, its CSRF token, its consent policy."""
    state = request.state
    session = session_of(request)
    return {
        "request": request,
        "user": getattr(state, "user", None),
        "csrf_token": session.csrf_token,
        "policy": getattr(state, "policy", None),
        "take_flashes": lambda: take_flashes(request),
        "settings": request.app.state.settings,
        "tile_url": request.app.state.tiles.url,
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
    """The whole page, or to an htmx partial request the fragment plus out-of-band parts."""
    env: Environment = request.app.state.templates
    ctx = context(request, **(values or {}))
    if fragment is not None and wants_fragment(request):
        parts = [env.get_template(fragment).render(ctx)]
        parts += [env.get_template(name).render(ctx, oob=True) for name in oob]
        if session_of(request).get("f"):
            parts.append(env.get_template("partials/flashes.html").render(ctx, oob=True))
        body = "".join(parts)
    else:
        body = env.get_template(page).render(ctx)
    return HTMLResponse(body, status_code=status, headers={**(headers or {}), "Vary": VARY})


def redirect(request: Request, url: str) -> Response:
    """After a successful POST: 303 for a plain form, HX-Redirect for htmx."""
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


def client_ip(request: Request) -> str:
    hops = request.app.state.settings.trusted_proxy_count
    if hops:
        forwarded = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",")]
        forwarded = [h for h in forwarded if h]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.client.host if request.client else "unknown"


ERROR_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    413: "Too much data",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


def error_page(request: Request, status: int, headers: dict[str, str] | None = None) -> Response:
    """A rendered error page; to htmx a short fragment its error handler shows inline."""
    status = status if status in ERROR_TITLES else 500
    values = {"status": status, "title": ERROR_TITLES[status]}
    return render(
        request,
        "templates/error.html",
        values,
        fragment="partials/error_message.html",
        status=status,
        headers=headers,
    )
