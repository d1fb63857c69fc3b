"""Who is asking: the JWT in the session cookie, its session row, the current user and guards."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from functools import lru_cache, wraps
from typing import Any
from urllib.parse import quote
from uuid import UUID

import jwt
from starlette.requests import Request
from starlette.responses import Response

import web
from middleware import session_of
from sql import sessions
from sql.sessions import CurrentUser

SESSION_AUDIENCE = "session"
SESSION_SECONDS = sessions.REMEMBER_DAYS * 24 * 3600
ALGORITHM = "HS256"

Endpoint = Callable[[Request], Awaitable[Response]]


def encode(secret: str, audience: str, claims: dict[str, Any], seconds: int) -> str:
    now = int(time.time())
    payload = {**claims, "aud": audience, "iat": now, "exp": now + seconds}
    return jwt.encode(payload, secret, algorithm=ALGORITHM)


@lru_cache(maxsize=4096)
def _signed_claims(secret: str, audience: str, token: str) -> dict[str, Any] | None:
    """A browser sends the same token on every request: check each signature once."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=audience,
            options={"require": ["exp", "iat", "aud"], "verify_exp": False},
        )
    except jwt.PyJWTError:
        return None
    return claims


def decode(secret: str, audience: str, token: str) -> dict[str, Any] | None:
    """The claims of a valid, unexpired token for that purpose; None for anything else."""
    claims = _signed_claims(secret, audience, token)
    expires = claims.get("exp") if claims else None
    if not isinstance(expires, int | float) or expires <= time.time():
        return None
    return dict(claims) if claims else None


def start_session(request: Request, user_id: int, session_id: UUID, remember: bool) -> None:
    secret = request.app.state.settings.secret_key
    token = encode(
        secret, SESSION_AUDIENCE, {"sub": str(user_id), "sid": str(session_id)}, SESSION_SECONDS
    )
    session = session_of(request)
    session.set("t", token)
    session.set("r", remember)


def end_session(request: Request) -> None:
    session = session_of(request)
    session.drop("t")
    session.drop("r")


async def current_user(request: Request) -> CurrentUser | None:
    """Resolve the cookie into a user with one query; anything wrong makes a guest and clears it."""
    session = session_of(request)
    token = session.get("t")
    if not token:
        return None
    claims = decode(request.app.state.settings.secret_key, SESSION_AUDIENCE, str(token))
    user = None
    if claims is not None:
        try:
            user_id, session_id = int(claims["sub"]), UUID(str(claims["sid"]))
        except (KeyError, ValueError):
            pass
        else:
            user = await sessions.resolve(request.app.state.db, user_id, session_id)
    if user is None:
        end_session(request)
    return user


def _login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/auth/login?next={quote(target, safe='/')}"


def login_required(endpoint: Endpoint) -> Endpoint:
    @wraps(endpoint)
    async def guarded(request: Request) -> Response:
        if request.state.user is None:
            web.flash(request, "Please log in to see that page.", "info")
            return web.redirect(request, _login_url(request))
        return await endpoint(request)

    return guarded


def confirmation_required(endpoint: Endpoint) -> Endpoint:
    @login_required
    @wraps(endpoint)
    async def guarded(request: Request) -> Response:
        if not request.state.user.confirmed:
            return web.render(request, "templates/auth/confirm_needed.html", status=403)
        return await endpoint(request)

    return guarded


def guest_only(endpoint: Endpoint) -> Endpoint:
    @wraps(endpoint)
    async def guarded(request: Request) -> Response:
        if request.state.user is not None:
            return web.redirect(request, "/")
        return await endpoint(request)

    return guarded
