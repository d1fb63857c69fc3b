"""The floor: a bare ASGI application, no framework, that renders the app's pages.

The same templates, the same Jinja options and the same queries as the app (a raw asyncpg
pool), so the app's throughput can be read as a share of what Python, uvicorn, Jinja and
PostgreSQL allow here. A member is named by an unsigned cookie `floor_session=<user>:<session>`
and resolved with the app's session query; there is no cookie signing, CSRF check or middleware.
`uvicorn bench.floor:app` with FLOOR_DATABASE_URL and FLOOR_BASE_URL set.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit
from uuid import UUID

import asyncpg

from sql.images import ON_AIR, ON_HOME_PAGE, ONE, from_row
from sql.query import positional
from sql.sessions import IDLE_HOURS, REMEMBER_DAYS, RESOLVE
from web.render import environment

# The floor speaks English, as the app does for the bench's clients (no Accept-Language).
HOME_SQL, ON_AIR_SQL, ONE_SQL = (positional(q)[0] for q in (ON_HOME_PAGE, ON_AIR, ONE))
RESOLVE_SQL = positional(RESOLVE)[0]

COOKIE = "floor_session"
Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Member:
    id: int
    email: str
    nickname: str
    confirmed: bool
    tile: str
    operator: bool


class Floor:
    def __init__(self) -> None:
        self.env = environment(auto_reload=False)
        self.pool: asyncpg.Pool | None = None
        self.site = SimpleNamespace(base_url=os.environ.get("FLOOR_BASE_URL", ""))

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        status, body = await self.page(scope)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"text/html; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.pool = await connect(os.environ["FLOOR_DATABASE_URL"])
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.pool is not None:
                    await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def page(self, scope: dict[str, Any]) -> tuple[int, bytes]:
        assert self.pool is not None
        path: str = scope["path"]
        async with self.pool.acquire() as conn:
            member = await self.member(conn, scope)
            if path == "/":
                images = [from_row(r) for r in await conn.fetch(HOME_SQL, "en")]
                return 200, self.render(path, "templates/home.html", member, images=images)
            if member is None:
                return 303, b""
            if path == "/album/" and member.confirmed:
                images = [from_row(r) for r in await conn.fetch(ON_AIR_SQL, "en")]
                return 200, self.render(path, "templates/album/album.html", member, images=images)
            prefix = "/album/imagedetails/"
            if path.startswith(prefix) and path[len(prefix) :].isdigit():
                row = await conn.fetchrow(ONE_SQL, "en", int(path[len(prefix) :]))
                if row is not None:
                    page = "templates/album/image_details.html"
                    return 200, self.render(path, page, member, image=from_row(row))
        return 404, b"not found"

    async def member(self, conn: asyncpg.Connection, scope: dict[str, Any]) -> Member | None:
        value = cookie_value(scope, COOKIE)
        if not value:
            return None
        user_id, _, session_id = value.partition(":")
        row = await conn.fetchrow(
            RESOLVE_SQL, UUID(session_id), int(user_id), REMEMBER_DAYS, IDLE_HOURS
        )
        if row is None:
            return None
        return Member(
            row["aut_id"],
            row["aut_email"],
            row["aut_name"],
            row["aut_confirmed"],
            row["aut_tile"],
            row["aut_operator"],
        )

    def render(self, path: str, template: str, member: Member | None, **values: Any) -> bytes:
        token = secrets.token_urlsafe(32)
        context = {
            "request": SimpleNamespace(url=SimpleNamespace(path=path, query="")),
            "user": member,
            "csrf_token": lambda: token,
            "policy": None,
            "take_flashes": list,
            "site": self.site,
            "tile_url": lambda name: f"/tiles/{name}",
            **values,
        }
        return self.env.get_template(template).render(context).encode()


def cookie_value(scope: dict[str, Any], name: str) -> str | None:
    for key, value in scope["headers"]:
        if key == b"cookie":
            for part in value.decode("latin-1").split(";"):
                cookie, _, content = part.strip().partition("=")
                if cookie == name:
                    return content
    return None


async def connect(url: str) -> asyncpg.Pool:
    parts = urlsplit(url)
    host = parse_qs(parts.query).get("host", [None])[0]
    pool = await asyncpg.create_pool(
        parts._replace(query="").geturl(), host=host, min_size=1, max_size=10
    )
    assert pool is not None
    return pool


app = Floor()
