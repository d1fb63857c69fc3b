"""Filling in the site's forms as a browser does: the page's CSRF token, then the POST."""

from __future__ import annotations

import re

import httpx

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def csrf_token(client: httpx.AsyncClient, path: str = "/") -> str:
    """The token a page's forms carry, as a browser would read it."""
    page = await client.get(path)
    match = CSRF.search(page.text)
    assert match, f"no CSRF token in {path}"
    return match.group(1)


async def post_form(
    client: httpx.AsyncClient,
    path: str,
    data: dict[str, str],
    *,
    htmx: bool = False,
    page: str | None = None,
) -> httpx.Response:
    """Submit a form the way its page gives it: with the page's token, plainly or through htmx."""
    token = await csrf_token(client, page or path)
    headers = {"HX-Request": "true", "HX-Request-Type": "partial"} if htmx else {}
    return await client.post(path, data={**data, "csrf_token": token}, headers=headers)
