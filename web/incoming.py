"""What a request brings, read without parsing the rest: one header; its cookies, parsed once."""

from __future__ import annotations

from starlette.types import Scope


def header(scope: Scope, name: bytes) -> str:
    """The first value of a header (its name in lower case, as servers pass it), or ""."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return ""


def cookie(scope: Scope, name: str) -> str | None:
    """One cookie's value (the first, if the browser sent two), or None. The Cookie header is
    parsed once per request, for every layer that reads a cookie."""
    jar: dict[str, str] | None = scope.get("cookie_jar")
    if jar is None:
        jar = scope["cookie_jar"] = {}
        for part in header(scope, b"cookie").split(";"):
            key, _, value = part.strip().partition("=")
            jar.setdefault(key, value)
    return jar.get(name)
