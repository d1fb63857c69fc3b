"""Real servers for the tests: embedded PostgreSQL, the app in-process and under uvicorn."""

from __future__ import annotations

import asyncio
import email.policy
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Self

import httpx
import pytest
from aiosmtpd.controller import Controller
from databases import Database

ROOT = Path(__file__).resolve().parent.parent
RUN_DIR = ROOT / ".data" / f"test-{uuid.uuid4().hex[:8]}"
os.environ.update({"APP_ENV": "test", "DATA_DIR": str(RUN_DIR / "app")})

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pgserver
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

import settings as settings_module  # noqa: E402
from tests.servers import free_port  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Postgres:
    """A pgserver instance of this test run, with a database per purpose."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.server = pgserver.get_server(folder, cleanup_mode="delete")
        uri = self.server.get_uri()
        self.socket_dir = uri.split("host=", 1)[1]

    def stop(self) -> None:
        pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user
        )

    def start(self) -> None:
        options = [
            "-w",
            "-o",
            '-h ""',
            "-o",
            f"-k {self.socket_dir}",
            "-l",
            str(self.server.log),
            "start",
        ]
        pg_ctl(options, pgdata=self.server.pgdata, user=self.server.system_user, timeout=20)

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.server.psql(f"create database {name};")
        return f"postgresql://postgres@localhost/{name}?host={self.socket_dir}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    pg = Postgres(RUN_DIR / "pg")
    yield pg
    pg.server.cleanup()
    shutil.rmtree(RUN_DIR, ignore_errors=True)


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        "APP_ENV": "test",
        "DATA_DIR": str(RUN_DIR / "app"),
        "DATABASE_URL": database_url,
        "BASE_URL": "http://testserver",
        "MAIL_RETRY_CAP": "1",
        "THROTTLE_SIGNUP_IP": "100000/60",
        "THROTTLE_LOGIN_IP": "100000/60",
        "THROTTLE_FORGOT_IP": "100000/60",
        **extra,
    }


class Mailbox:
    """A real SMTP server (aiosmtpd) that keeps what it receives, parsed."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    async def wait_for(self, recipient: str, event_words: str = "") -> EmailMessage:
        """The newest message to that address whose subject has those words."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for message in reversed(self.messages):
                if message["To"] == recipient and event_words in message["Subject"]:
                    return message
            await asyncio.sleep(0.05)
        raise AssertionError(f"no email to {recipient} with {event_words!r} in its subject")

    def to(self, recipient: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == recipient]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.controller.start()
    yield box
    box.controller.stop()


@pytest.fixture(scope="session")
def database_url(postgres: Postgres) -> str:
    return postgres.create_database()


@pytest.fixture(scope="session")
async def app(database_url: str, mailbox: Mailbox) -> AsyncIterator[Any]:
    from app import create_app

    application = create_app(settings_module.load(app_env(database_url, SMTP_URL=mailbox.url)))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
def db(app: Any) -> Database:
    database: Database = app.state.db
    return database


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


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


__all__ = ["app_env", "csrf_token", "free_port", "post_form"]


class ServiceProcess:
    """A server of ours in its own process, on a port fixed before it first starts, so it can be
    stopped and started again at the same address."""

    name = "service"
    health = "/"

    def __init__(self, env: dict[str, str], port: int | None = None) -> None:
        self.env = env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = RUN_DIR / f"{self.name}-{self.port}.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self, wait: float = 30.0) -> Self:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=ROOT, env={**os.environ, **self.env}, stdout=log, stderr=log
            )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + self.health, timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer: {self.log.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class LiveServer(ServiceProcess):
    """The app run by uvicorn in its own process, as `make run` and production run it."""

    name = "uvicorn"
    health = "/robots.txt"

    def __init__(self, env: dict[str, str], port: int | None = None, workers: int = 1) -> None:
        super().__init__(env, port)
        self.workers = workers

    def command(self) -> list[str]:
        return [
            str(ROOT / ".venv" / "bin" / "uvicorn"),
            "app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--timeout-graceful-shutdown",
            "5",
        ]


class MailerProcess(ServiceProcess):
    """The external mailer as an operator runs it: `python -m mailer_service`."""

    name = "mailer"
    health = "/health"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "mailer_service", "--port", str(self.port)]
