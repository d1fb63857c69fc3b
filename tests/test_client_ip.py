"""Who the client is: the one place that decides (web.guards.client_ip), with TRUSTED_PROXY_COUNT
hops counted from the right of every X-Forwarded-For line, or with 0 the socket's address, which
a forged header never replaces, not even through a uvicorn that trusts proxy headers itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from starlette.requests import Request
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import settings as settings_module
from tests.accounts_helpers import new_email
from tests.forms import csrf_token
from tests.servers import ROOT, LiveServer, Postgres, app_env
from web.guards import client_ip

LOGIN_IP_LIMIT = 10  # settings.Limits.login_ip: 10 a minute
Lines = Sequence[str]


def request_from(host: str, port: int, forwarded: Lines, proxies: int) -> Request:
    settings = SimpleNamespace(trusted_proxy_count=proxies)
    app = SimpleNamespace(state=SimpleNamespace(services=SimpleNamespace(settings=settings)))
    headers = [(b"x-forwarded-for", line.encode("latin-1")) for line in forwarded]
    return Request({"type": "http", "headers": headers, "client": (host, port), "app": app})


@pytest.mark.parametrize(
    ("forwarded", "proxies", "expected"),
    [
        (["203.0.113.9, 10.0.0.1", "198.51.100.7"], 1, "198.51.100.7"),
        (["203.0.113.9, 10.0.0.1", "198.51.100.7"], 2, "10.0.0.1"),
        (["203.0.113.9", "", " , 198.51.100.7 "], 1, "198.51.100.7"),
        (["198.51.100.7"], 2, "10.8.0.1"),
        ([], 1, "10.8.0.1"),
        (["203.0.113.9", "198.51.100.7"], 0, "10.8.0.1"),
        (["x" * 100], 1, "x" * 64),
    ],
)
def test_the_client_is_counted_from_the_right_of_every_forwarded_line(
    forwarded: Lines, proxies: int, expected: str
) -> None:
    assert client_ip(request_from("10.8.0.1", 5555, forwarded, proxies)) == expected


@pytest.mark.parametrize(
    ("host", "port", "forwarded"),
    [
        ("203.0.113.9", 0, ["203.0.113.9"]),
        ("203.0.113.9", 8080, ["203.0.113.9:8080"]),
        ("2001:db8::9", 443, ["[2001:db8::9]:443"]),
        ("127.0.0.1", 0, ["127.0.0.1, 127.0.0.1"]),
        ("not-an-address", 0, ["10.0.0.1", "not-an-address"]),
    ],
)
def test_with_no_trusted_proxy_a_forwarded_hop_never_stands_for_the_socket(
    host: str, port: int, forwarded: Lines
) -> None:
    """What uvicorn with its proxy headers on leaves of a loopback peer: a hop in its place."""
    assert client_ip(request_from(host, port, forwarded, 0)) == "unknown"


@asynccontextmanager
async def login_app(postgres: Postgres, proxies: int) -> AsyncIterator[Any]:
    """An app of its own database, with the real per-address login limit."""
    from app import create_app

    env = app_env(postgres.create_database(), TRUSTED_PROXY_COUNT=str(proxies))
    env.pop("THROTTLE_LOGIN_IP")
    application = create_app(settings_module.load(env))
    async with application.router.lifespan_context(application):
        yield application


async def failed_login(client: httpx.AsyncClient, forwarded: Lines) -> int:
    """One wrong login, its POST carrying those X-Forwarded-For lines; the answer's status."""
    token = await csrf_token(client, "/auth/login")
    headers = [("X-Forwarded-For", line) for line in forwarded]
    data = {"email": new_email(), "key": "guess", "csrf_token": token}
    return (await client.post("/auth/login", data=data, headers=headers)).status_code


async def spoofed_logins(client: httpx.AsyncClient, last_line: str | None = None) -> list[int]:
    """Eleven wrong logins, each claiming another address in a header line of its own (and,
    when given, a last line as a proxy would append)."""
    statuses = []
    for i in range(LOGIN_IP_LIMIT + 1):
        forwarded = [f"203.0.113.{i + 1}"] + ([last_line] if last_line else [])
        statuses.append(await failed_login(client, forwarded))
    return statuses


async def test_a_proxy_line_of_its_own_names_the_client_for_the_throttle(
    postgres: Postgres,
) -> None:
    """TRUSTED_PROXY_COUNT=1 and a proxy that adds its own X-Forwarded-For line: the client's
    own first line changes nothing, the proxy's last hop is the address that is throttled."""
    async with login_app(postgres, proxies=1) as application:
        transport = httpx.ASGITransport(app=application, client=("10.8.0.1", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            statuses = await spoofed_logins(c, last_line="198.51.100.7")
    assert statuses == [422] * LOGIN_IP_LIMIT + [429]


async def test_without_trusted_proxies_a_forged_header_never_changes_the_throttle(
    postgres: Postgres,
) -> None:
    async with login_app(postgres, proxies=0) as application:
        transport = httpx.ASGITransport(app=application, client=("10.8.0.2", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            statuses = await spoofed_logins(c)
    assert statuses == [422] * LOGIN_IP_LIMIT + [429]


async def test_a_server_that_trusts_proxy_headers_itself_gives_no_fresh_throttle(
    postgres: Postgres,
) -> None:
    """uvicorn's own proxy-headers middleware, as a plain `uvicorn app:app` puts it in front of
    the app for a loopback peer: it moves a forged hop into the socket's address."""
    async with login_app(postgres, proxies=0) as application:
        fronted: Any = ProxyHeadersMiddleware(application, trusted_hosts="127.0.0.1")
        transport = httpx.ASGITransport(app=fronted, client=("127.0.0.1", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            statuses = await spoofed_logins(c)
    assert statuses == [422] * LOGIN_IP_LIMIT + [429]


async def test_plain_uvicorn_with_its_proxy_headers_on_gives_no_fresh_throttle(
    postgres: Postgres,
) -> None:
    env = app_env(postgres.create_database())
    env.pop("THROTTLE_LOGIN_IP")
    server = LiveServer(env, proxy_headers=True).start()
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as c:
            statuses = await spoofed_logins(c)
    finally:
        server.stop()
    assert statuses == [422] * LOGIN_IP_LIMIT + [429]


def test_the_procfile_leaves_the_client_address_to_the_app() -> None:
    web = (ROOT / "Procfile").read_text()
    assert "--no-proxy-headers" in web
    assert "--proxy-headers" not in web.replace("--no-proxy-headers", "")
    assert "--forwarded-allow-ips" not in web
    assert "--no-proxy-headers" in LiveServer({}).command()
    assert "--no-proxy-headers" not in LiveServer({}, proxy_headers=True).command()


@pytest.fixture(scope="module")
async def dev_app(postgres: Postgres) -> AsyncIterator[Any]:
    from app import create_app

    application = create_app(
        settings_module.load(app_env(postgres.create_database(), APP_ENV="development"))
    )
    async with application.router.lifespan_context(application):
        yield application


@pytest.mark.parametrize(
    "headers",
    [
        [],
        [("X-Forwarded-For", ""), ("X-Forwarded-For", "203.0.113.9")],
        [("Forwarded", "for=203.0.113.9")],
        [("X-Real-IP", "203.0.113.9")],
    ],
)
async def test_the_development_pages_refuse_anything_a_proxy_forwarded(
    dev_app: Any, headers: list[tuple[str, str]]
) -> None:
    transport = httpx.ASGITransport(app=dev_app, client=("127.0.0.1", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        answer = await c.get("/dev/outbox", headers=headers)
    assert answer.status_code == (200 if not headers else 404)
