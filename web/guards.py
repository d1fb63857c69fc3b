"""Who is asking: the client, the logged-in user (the JWT in the session cookie and its session
row), the page guards; and the app's services, the one way a route reaches the database."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable
from functools import wraps
from urllib.parse import quote
from uuid import UUID

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from accounts import mfa, tokens
from accounts.runtime import Client, Services
from services.language import gettext
from sql import sessions, users
from sql.sessions import CurrentUser
from web.language import follow
from web.render import flash, redirect, render
from web.session import session_of

SESSION_SECONDS = sessions.REMEMBER_DAYS * 24 * 3600
UNKNOWN_CLIENT = "unknown"
MAX_ADDRESS = 64  # tbl_session.ses_ip: a longer hop would fail the login that stores it
# Headers a proxy adds: their presence says the request did not come from this machine itself.
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")

Endpoint = Callable[[Request], Awaitable[Response]]


def services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def client_ip(request: Request) -> str:
    """The one place that decides the client's address: the one TRUSTED_PROXY_COUNT hops back in
    X-Forwarded-For (every line of it, joined: a proxy may add a line of its own rather than
    extend the client's), or with 0 the socket's address."""
    hops = services(request).settings.trusted_proxy_count
    forwarded = [
        hop.strip()
        for line in request.headers.getlist("x-forwarded-for")
        for hop in line.split(",")
        if hop.strip()
    ]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops][:MAX_ADDRESS]
    host = request.client.host if request.client else UNKNOWN_CLIENT
    if forwarded and host in {_host_of(hop) for hop in forwarded} | set(forwarded):
        # A server that trusts proxy headers itself (plain `uvicorn app:app` for a loopback peer)
        # put a hop the client may have written in place of the socket's address: all such
        # requests share one address, so a forged header never buys a fresh throttle.
        return UNKNOWN_CLIENT
    return host


def _host_of(hop: str) -> str:
    """A hop as uvicorn reads it: without its port, an IPv6 address without its brackets."""
    if hop.startswith("["):
        return hop[1:].partition("]")[0]
    host, colon, port = hop.rpartition(":")
    return host if colon and host and ":" not in host and port.isdigit() else hop


def client_of(request: Request) -> Client:
    return Client(client_ip(request), request.headers.get("user-agent", "")[:512])


async def start_session(request: Request, user_id: int, session_id: UUID, remember: bool) -> None:
    """Logged in: the cookie names the session, and the account's language, when it chose one,
    becomes the browser's."""
    svc = services(request)
    secret = svc.settings.secret_key
    claims = {"sub": str(user_id), "sid": str(session_id)}
    token = tokens.encode(secret, tokens.SESSION_AUDIENCE, claims, SESSION_SECONDS)
    session = session_of(request)
    session.set("t", token)
    session.set("r", remember)
    session.rotate_csrf_token()
    chosen = await users.language_of(svc.db, user_id)
    if chosen:
        follow(request, chosen)


def start_pending_login(request: Request, pending_id: UUID) -> None:
    """The key was right; the second factor is asked in this browser only (its cookie)."""
    session_of(request).set("p", str(pending_id))


def pending_login_of(request: Request) -> UUID | None:
    value = session_of(request).get("p")
    try:
        return UUID(str(value)) if value else None
    except ValueError:
        return None


def end_pending_login(request: Request) -> None:
    session_of(request).drop("p")


def end_session(request: Request) -> None:
    _forget_login(request)
    session_of(request).rotate_csrf_token()


def _forget_login(request: Request) -> None:
    session = session_of(request)
    session.drop("t")
    session.drop("r")


async def current_user(request: Request) -> CurrentUser | None:
    """Resolve the cookie into a user with one query; anything wrong makes a guest and clears it."""
    session = session_of(request)
    token = session.get("t")
    if not token:
        return None
    svc = services(request)
    claims = tokens.decode(svc.settings.secret_keys, tokens.SESSION_AUDIENCE, str(token))
    user = None
    if claims is not None:
        try:
            user_id, session_id = int(claims["sub"]), UUID(str(claims["sid"]))
        except (KeyError, ValueError):
            pass
        else:
            user = await sessions.resolve(svc.db, user_id, session_id)
    if user is None:
        # The token rotates at an explicit login or logout; a session ended elsewhere keeps it,
        # so the form this request carries is still judged by the token it was given.
        _forget_login(request)
    return user


def _login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/auth/login?next={quote(target, safe='/')}"


def login_required(endpoint: Endpoint) -> Endpoint:
    @wraps(endpoint)
    async def guarded(request: Request) -> Response:
        if request.state.user is None:
            flash(request, gettext("Please log in to see that page."), "info")
            return redirect(request, _login_url(request))
        return await endpoint(request)

    return guarded


def confirmation_required(endpoint: Endpoint) -> Endpoint:
    @login_required
    @wraps(endpoint)
    async def guarded(request: Request) -> Response:
        if not request.state.user.confirmed:
            return render(request, "templates/auth/confirm_needed.html", status=403)
        return await endpoint(request)

    return guarded


def fresh_authentication_required(page: str) -> Callable[[Endpoint], Endpoint]:
    """Sensitive actions: this browser's session proved its user (key, second-factor code) in
    the last 10 minutes, or re-authentication comes first. A GET comes back to itself after it;
    a POST is not replayed: it comes back to `page`, which says to do it again."""

    def decorate(endpoint: Endpoint) -> Endpoint:
        @confirmation_required
        @wraps(endpoint)
        async def guarded(request: Request) -> Response:
            if mfa.fresh(request.state.user, services(request).clock.now()):
                return await endpoint(request)
            if request.method == "GET":
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return redirect(request, f"/auth/reauthenticate?next={quote(target, safe='/')}")
            return redirect(request, f"/auth/reauthenticate?next={quote(page, safe='/')}&again=1")

        return guarded

    return decorate


def guest_only(endpoint: Endpoint) -> Endpoint:
    @wraps(endpoint)
    async def guarded(request: Request) -> Response:
        if request.state.user is not None:
            return redirect(request, "/")
        return await endpoint(request)

    return guarded


def local_only(request: Request) -> None:
    """The development pages: 404 outside development, to anyone but this machine, via a proxy
    (any forwarding header, even an empty line of it: a loopback proxy forwards strangers)."""
    host = request.client.host if request.client else ""
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    development = request.app.state.site.development
    proxied = any(name in request.headers for name in FORWARDING_HEADERS)
    if not development or not local or proxied:
        raise HTTPException(404)
