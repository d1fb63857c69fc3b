"""The Host check: a name the site does not answer to gets a plain 400 on every path, before any
other middleware, so a hostile DNS name pointed at the site (DNS rebinding) reads nothing."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

import settings as settings_module
from settings import SettingsError
from tests.servers import RUN_DIR, LiveServer, Postgres, app_env

EVERY_KIND_OF_PATH = [
    ("GET", "/"),
    ("GET", "/robots.txt"),
    ("GET", "/static/css/site.css"),
    ("GET", "/dev/outbox"),
    ("GET", "/tiles/tile-0123abcd.svg"),
    ("GET", "/no/such/page"),
    ("POST", "/auth/login"),
]
HOSTILE_HOSTS: list[str | bytes] = [
    "evil.example",
    "evil.example:8000",
    "testserver.evil.example",
    "testserver@evil.example",
    "a@b",
    "",
    " ",
    "x" * 70_000,
    "évil.example".encode(),
    b"\xff\xfe",
    "testserver:80:80",
    "testserver:http",
    "[::1",
    "::1",
    "[not-an-address]",
    "testserver, evil.example",
    "*",
]


def production(**changes: str) -> settings_module.Settings:
    env = {
        "APP_ENV": "production",
        "SECRET_KEY": "a-production-secret-for-the-host-tests-0123456789",
        "DATABASE_URL": "postgresql://site@db.internal:5432/site",
        "BASE_URL": "https://www.example.com",
        "SMTP_URL": "smtp://mail.internal:25",
        "DATA_DIR": str(RUN_DIR / "hosts"),
    }
    return settings_module.load({**env, **changes})


@pytest.mark.parametrize(("method", "path"), EVERY_KIND_OF_PATH)
async def test_an_unknown_host_is_refused_on_every_path(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    answer = await client.request(method, path, headers={"Host": "evil.example"})
    assert answer.status_code == 400, "before the CSRF guard (403) and the router (404)"
    assert answer.headers["content-type"].startswith("text/plain")
    assert "host name" in answer.text and len(answer.text) < 200


@pytest.mark.parametrize("host", HOSTILE_HOSTS, ids=lambda h: repr(h)[:24])
async def test_a_hostile_host_value_gets_a_plain_400_and_never_a_500(
    client: httpx.AsyncClient, host: str | bytes
) -> None:
    raw = host if isinstance(host, bytes) else host.encode()
    answer = await client.get("/", headers={b"Host": raw})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    "host",
    [
        *("testserver", "TestServer", "testserver:8000", "testserver.", "TESTSERVER.:443"),
        *("localhost:8000", "127.0.0.1", "127.0.0.1:8000", "[::1]:8000", "[::1]"),
    ],
)
async def test_the_site_answers_to_its_own_names_port_and_case_aside(
    client: httpx.AsyncClient, host: str
) -> None:
    answer = await client.get("/robots.txt", headers={"Host": host})
    assert answer.status_code == 200


async def raw_answer(app: Any, headers: list[tuple[bytes, bytes]]) -> int:
    """The status an ASGI app gives a GET / with exactly these headers (httpx always adds Host)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.0",
        "method": "GET",
        "scheme": "http",
        "path": "/robots.txt",
        "raw_path": b"/robots.txt",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status: int = sent[0]["status"]
    return status


async def test_a_request_with_no_host_or_two_hosts_is_refused(app: Any) -> None:
    assert await raw_answer(app, [(b"host", b"testserver")]) == 200
    assert await raw_answer(app, []) == 400
    assert await raw_answer(app, [(b"host", b"testserver"), (b"host", b"evil.example")]) == 400


@pytest.fixture
async def dev_app(postgres: Postgres) -> AsyncIterator[Any]:
    from app import create_app

    env = app_env(postgres.create_database(), APP_ENV="development")
    application = create_app(settings_module.load(env))
    async with application.router.lifespan_context(application):
        yield application


async def test_dns_rebinding_cannot_read_the_development_outbox(dev_app: Any) -> None:
    """A page on evil.example whose name now resolves to 127.0.0.1: the browser connects from
    this machine, but its requests say Host: evil.example."""
    local = httpx.ASGITransport(app=dev_app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=local, base_url="http://localhost:8000") as browser:
        assert (await browser.get("/dev/outbox")).status_code == 200
        rebound = await browser.get("/dev/outbox", headers={"Host": "evil.example:8000"})
    assert rebound.status_code == 400
    assert "dev-mail" not in rebound.text and "outbox" not in rebound.text.lower()


def test_allowed_hosts_default_to_base_url_plus_loopback_outside_production() -> None:
    assert production().allowed_hosts == {"www.example.com"}
    development = production(APP_ENV="development", BASE_URL="http://localhost:8000")
    assert development.allowed_hosts == {"localhost", "127.0.0.1", "::1"}
    assert production(APP_ENV="test", BASE_URL="http://site.test").allowed_hosts == {
        "site.test",
        "localhost",
        "127.0.0.1",
        "::1",
    }


def test_development_base_url_is_localhost_a_passkey_relying_party_may_be() -> None:
    env = {"APP_ENV": "development", "DATA_DIR": str(RUN_DIR / "hosts")}
    assert settings_module.load(env).base_url == "http://localhost:8000"


def test_allowed_hosts_lists_names_ports_case_and_brackets_aside() -> None:
    config = production(
        ALLOWED_HOSTS=" Example.com , api.example.com:8443,10.0.0.5,[::1], fd00::7 ,"
    )
    assert config.allowed_hosts == {
        "www.example.com",
        "example.com",
        "api.example.com",
        "10.0.0.5",
        "::1",
        "fd00::7",
    }
    for wrong in ("*", ".example.com", "a@b", "exa mple.com", "[::1"):
        with pytest.raises(SettingsError, match="ALLOWED_HOSTS"):
            production(ALLOWED_HOSTS=f"example.com,{wrong}")


async def test_production_refuses_a_name_it_was_not_given() -> None:
    """A load balancer's health check by IP address is refused until ALLOWED_HOSTS lists it."""
    from app import create_app

    application = create_app(production(ALLOWED_HOSTS="10.0.0.5"))
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="https://www.example.com") as c:
        for host in ("127.0.0.1", "localhost", "[::1]", "example.com"):
            assert (await c.get("/robots.txt", headers={"Host": host})).status_code == 400


@pytest.fixture(scope="module")
def live_site(postgres: Postgres) -> Iterator[LiveServer]:
    server = LiveServer(app_env(postgres.create_database())).start()
    yield server
    server.stop()


def raw_http(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /robots.txt HTTP/1.0\r\n\r\n", b"400"),
        (b"GET /robots.txt HTTP/1.0\r\nHost: rebound.example\r\n\r\n", b"400"),
        (b"GET /robots.txt HTTP/1.1\r\nHost: [::1]:8000\r\nConnection: close\r\n\r\n", b"200"),
        (b"GET /robots.txt HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", b"200"),
    ],
)
def test_under_uvicorn_a_request_without_an_allowed_host_is_refused(
    live_site: LiveServer, request_bytes: bytes, status: bytes
) -> None:
    answer = raw_http(live_site.port, request_bytes)
    assert answer.split(b" ", 2)[1] == status, answer[:200]
