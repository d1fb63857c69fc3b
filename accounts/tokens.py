"""Signed tokens (JWT, HS256) for each purpose: the session, confirmation and reset links."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

import jwt

ALGORITHM = "HS256"
SESSION_AUDIENCE = "session"
CONFIRM_AUDIENCE = "confirm-email"
CHANGE_AUDIENCE = "change-email"
RESET_AUDIENCE = "reset-key"


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


def decode(secrets: str | tuple[str, ...], audience: str, token: str) -> dict[str, Any] | None:
    """The claims of a valid, unexpired token for that purpose, signed with one of `secrets`
    (SECRET_KEY, then its fallbacks); None for anything else."""
    keys = (secrets,) if isinstance(secrets, str) else secrets
    claims = next(filter(None, (_signed_claims(key, audience, token) for key in keys)), None)
    expires = claims.get("exp") if claims else None
    if not isinstance(expires, int | float) or expires <= time.time():
        return None
    return dict(claims) if claims else None
