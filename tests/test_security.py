"""Abuse resistance: CSRF on every POST, headers and cookies, tokens, throttles, enumeration."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from itsdangerous import URLSafeTimedSerializer
from starlette.routing import Mount, Route

import settings as settings_module
from accounts import tokens
from accounts.tokens import CONFIRM_AUDIENCE
from tests.accounts_helpers import client_for, emailed_code, log_in, new_email, reset, sign_up
from tests.forms import csrf_token, post_form
from tests.servers import Mailbox, Postgres, app_env

BACKGROUND_TASKS = {"outbox-dispatcher", "tile-jobs", "housekeeping"}
SAMPLE_PARAMS = {"token": "x.y.z", "img_id": "1", "name": "tile-0.svg", "outbox_id": "1"}


def post_paths(app: Any) -> list[str]:
    """Every path of the route table that takes a POST, its parameters filled in."""
    paths = []
    for route in app.routes:
        if isinstance(route, Route) and route.methods and "POST" in route.methods:
            paths.append(re.sub(r"{(\w+)(:\w+)?}", lambda m: SAMPLE_PARAMS[m.group(1)], route.path))
        elif isinstance(route, Mount):
            paths.append(route.path + "/any")
    return paths


def get_paths(app: Any) -> list[str]:
    return [
        re.sub(r"{(\w+)(:\w+)?}", lambda m: SAMPLE_PARAMS[m.group(1)], route.path)
        for route in app.routes
        if isinstance(route, Route) and route.methods and "GET" in route.methods
    ]


async def test_every_post_route_refuses_a_missing_or_wrong_csrf_token(
    app: Any, client: httpx.AsyncClient
) -> None:
    await sign_up(client)
    paths = post_paths(app)
    assert "/auth/signup" in paths and "/auth/deleteaccount" in paths and "/consent" in paths
    for path in paths:
        for data in ({}, {"csrf_token": "forged"}):
            answer = await client.post(path, data={**data, "email": new_email()})
            assert answer.status_code == 403, path
        header = await client.post(path, headers={"X-CSRF-Token": "forged"})
        assert header.status_code == 403, path
    assert "Log out" in (await client.get("/")).text


async def test_every_page_has_security_headers_and_every_cookie_its_flags(
    app: Any, client: httpx.AsyncClient
) -> None:
    await sign_up(client)
    for path in get_paths(app):
        answer = await client.get(path)
        assert answer.status_code < 500, path
        headers = answer.headers
        assert "default-src" in headers["content-security-policy"], path
        assert "unsafe-inline" not in headers["content-security-policy"].split("style-src")[0]
        assert headers["x-content-type-options"] == "nosniff", path
        assert "referrer-policy" in headers and "x-frame-options" in headers, path
        for cookie in headers.get_list("set-cookie"):
            assert "HttpOnly" in cookie and "SameSite=Lax" in cookie, (path, cookie)


@asynccontextmanager
async def production_client(postgres: Postgres, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a production app whose public address is `base_url`."""
    from app import create_app

    env = app_env(
        postgres.create_database(),
        APP_ENV="production",
        SECRET_KEY="p" * 48,
        BASE_URL=base_url,
        SMTP_URL="smtp://127.0.0.1:1",
    )
    application = create_app(settings_module.load(env))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client


async def test_production_over_https_sets_hsts_and_secure_cookies(postgres: Postgres) -> None:
    async with production_client(postgres, "https://example.com") as client:
        answer = await client.get("/")
    assert "max-age=" in answer.headers["strict-transport-security"]
    assert "Secure" in answer.headers["set-cookie"]


async def test_a_site_served_over_plain_http_gets_its_cookies_back(postgres: Postgres) -> None:
    """Secure follows BASE_URL's scheme, not APP_ENV: over http a Secure cookie never comes
    back from an HTTP client (nor from a browser, localhost aside), and every form fails."""
    async with production_client(postgres, "http://127.0.0.1:8000") as client:
        page = await client.get("/")
        assert "strict-transport-security" not in page.headers
        assert "Secure" not in page.headers["set-cookie"]
        welcome = await post_form(client, "/auth/signup", {"email": new_email()})
    assert welcome.status_code == 200, welcome.text
    assert "We sent your access key to" in welcome.text


def session_cookie(secret: str, token: str) -> str:
    return URLSafeTimedSerializer(secret, salt="session-cookie").dumps({"t": token})


async def test_a_confirmation_token_never_serves_as_a_session(
    app: Any, client: httpx.AsyncClient
) -> None:
    email, _ = await sign_up(client)
    secret = app.state.services.settings.secret_key
    user_id = await app.state.services.db.fetch_val(
        "select aut_id from minimaluser.tbl_auth where aut_email = :e", {"e": email}
    )
    confirm = tokens.encode(secret, CONFIRM_AUDIENCE, {"sub": str(user_id), "email": email}, 60)
    unsigned = tokens.encode(secret, tokens.SESSION_AUDIENCE, {"sub": str(user_id)}, 60)
    none_alg = ".".join(unsigned.split(".")[:2]) + "."
    for token in (confirm, none_alg, tokens.encode(secret, tokens.SESSION_AUDIENCE, {}, -10)):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as other:
            other.cookies.set("mu_session", session_cookie(secret, token))
            assert "Log out" not in (await other.get("/")).text


async def test_a_session_or_expired_token_is_no_confirmation_link(
    app: Any, client: httpx.AsyncClient
) -> None:
    email, _ = await sign_up(client)
    secret = app.state.services.settings.secret_key
    claims = {"sub": "1", "email": email}
    for token in (
        tokens.encode(secret, tokens.SESSION_AUDIENCE, claims, 60),
        tokens.encode(secret, CONFIRM_AUDIENCE, claims, -10),
        tokens.encode("another secret that is 32 bytes long!", CONFIRM_AUDIENCE, claims, 60),
    ):
        assert (await client.get(f"/emailconfirmationhtml/{token}")).status_code == 400


async def test_five_failed_logins_lock_the_account_for_a_while(strict_app: Any) -> None:
    async with (
        client_for(strict_app, "10.5.0.1") as owner,
        client_for(strict_app, "10.5.0.2") as thief,
    ):
        email, key = await sign_up(owner)
        for _ in range(5):
            assert (await log_in(thief, email, "guess")).status_code == 422
        locked = await log_in(thief, email, key)
        assert locked.status_code == 429
        assert int(locked.headers["retry-after"]) > 0
        assert "Too many wrong keys for this account" in locked.text
        assert "forgotten-key page" in locked.text


async def test_ten_failures_a_minute_from_one_address_are_throttled(strict_app: Any) -> None:
    async with client_for(strict_app, "10.6.0.1") as c:
        for _ in range(10):
            assert (await log_in(c, new_email(), "guess")).status_code == 422
        assert (await log_in(c, new_email(), "guess")).status_code == 429


async def test_sign_up_is_limited_per_address_of_origin(strict_app: Any) -> None:
    async with client_for(strict_app, "10.7.0.1") as c:
        for _ in range(20):
            assert (await post_form(c, "/auth/signup", {"email": new_email()})).status_code == 200
            c.cookies.clear()
        over = await post_form(c, "/auth/signup", {"email": new_email()}, htmx=True)
        assert over.status_code == 429 and "Retry-After" in over.headers
    async with client_for(strict_app, "10.7.0.2") as other:
        assert (await post_form(other, "/auth/signup", {"email": new_email()})).status_code == 200


async def test_the_client_address_comes_from_trusted_proxies_only(
    postgres: Postgres, mailbox: Mailbox
) -> None:
    from app import create_app

    env = app_env(postgres.create_database(), SMTP_URL=mailbox.url, TRUSTED_PROXY_COUNT="1")
    env.pop("THROTTLE_LOGIN_IP")
    application = create_app(settings_module.load(env))
    async with (
        application.router.lifespan_context(application),
        client_for(application, "10.8.0.1") as c,
    ):
        for i in range(10):
            c.headers["X-Forwarded-For"] = f"198.51.100.7, 203.0.113.{i}"
            assert (await log_in(c, new_email(), "guess")).status_code == 422
        c.headers["X-Forwarded-For"] = "203.0.113.200"
        assert (await log_in(c, new_email(), "guess")).status_code == 422


class Recorder:
    """Records the SQL statements and key checks a request makes."""

    def __init__(self, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        db = app.state.services.db
        for name in ("execute", "fetch_one", "fetch_val", "fetch_all"):
            monkeypatch.setattr(db, name, self._wrap(getattr(db, name)))
        hasher = app.state.services.hasher
        for name in ("hash", "verify"):
            monkeypatch.setattr(hasher, name, self._wrap(getattr(hasher, name), f"hasher.{name}"))

    def _wrap(
        self, original: Callable[..., Awaitable[Any]], label: str | None = None
    ) -> Callable[..., Awaitable[Any]]:
        async def recorded(*args: Any, **kwargs: Any) -> Any:
            task = asyncio.current_task()
            if task is None or task.get_name() not in BACKGROUND_TASKS:
                query = kwargs.get("query", args[0] if args else "")
                self.calls.append(label or " ".join(str(query).split()))
            return await original(*args, **kwargs)

        return recorded

    def take(self) -> list[str]:
        calls, self.calls = self.calls, []
        return calls


async def test_login_answers_and_works_the_same_for_known_and_unknown_addresses(
    app: Any, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    known, _ = await sign_up(client)
    unknown = new_email()
    client.cookies.clear()
    await csrf_token(client, "/auth/login")
    recorder = Recorder(app, monkeypatch)
    token = await csrf_token(client, "/auth/login")
    recorder.take()
    answers = {}
    work = {}
    for email in (known, unknown):
        answers[email] = await client.post(
            "/auth/login", data={"email": email, "key": "wrong-key", "csrf_token": token}
        )
        work[email] = recorder.take()
    assert answers[known].status_code == answers[unknown].status_code == 422
    assert answers[known].text.replace(known, "E") == answers[unknown].text.replace(unknown, "E")
    assert work[known] == work[unknown]
    assert work[known].count("hasher.verify") == 1


async def test_escaped_everywhere_a_value_is_echoed(client: httpx.AsyncClient) -> None:
    hostile = '"><script>alert(1)</script>@example.com'
    answer = await post_form(client, "/auth/login", {"email": hostile, "key": "x", "next": hostile})
    assert answer.status_code == 422
    assert "<script>alert(1)" not in answer.text
    assert "&lt;script&gt;" in answer.text or "&#34;&gt;&lt;script" in answer.text


async def test_squatter_holds_nothing_the_owner_cannot_take_back(
    app: Any, mailbox: Mailbox
) -> None:
    victim = new_email()
    async with client_for(app, "10.9.200.1") as squatter, client_for(app, "10.9.200.2") as owner:
        await sign_up(squatter, victim)
        assert (await post_form(owner, "/auth/forgotkey", {"email": victim})).status_code == 303
        code, path = await emailed_code(mailbox, victim)
        owner_key = "the real owner of this address"
        taken = await reset(owner, path, code, owner_key)
        assert taken.status_code == 303
        assert "Log out" not in (await squatter.get("/")).text
        assert (await log_in(owner, victim, owner_key)).status_code == 303
        album = await owner.get("/album/")
        assert album.status_code == 200
