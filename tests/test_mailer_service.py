"""The external mailer against a real SMTP server and PostgreSQL: each message id is sent once."""

from __future__ import annotations

import asyncio
import email
import email.policy
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import httpx
import jwt
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette

from mailer_service import MailerConfig, create_service
from services.delivery import MailerService
from services.letters import Letter
from tests.servers import MailerProcess, Postgres, free_port

SECRET = "mailer-secret-for-the-tests-long-enough-for-hs512-too-0123456789"
SITE = "test-site"


class Collector:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = cast(bytes, envelope.content)
        self.messages.append(
            cast(EmailMessage, email.message_from_bytes(content, policy=email.policy.default))
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on a fixed port; stop() and start() again keep the port, for outage tests."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.collector = Collector()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.collector.messages

    def start(self) -> None:
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def token(
    *,
    jti: str | None = None,
    secret: str = SECRET,
    audience: str = "mailer",
    site: str = SITE,
    lifetime: int = 300,
    name: str = "Ada",
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {
        "aud": audience,
        "iat": min(now, now + lifetime - 60),
        "exp": now + lifetime,
        "jti": jti or str(uuid.uuid4()),
        "site": site,
        "event": "hello",
        "to": "ada@example.com",
        "values": {"name": name},
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def plain_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return cast(str, cast(EmailMessage, body).get_content())


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("emails")
    (folder / "hello.txt").write_text("Subject: Hello\n\nHello {{ name }}\n")
    (folder / "hello.html").write_text("<p>Hello {{ name }}</p>\n")
    return folder


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mailer_config(postgres: Postgres, smtp: SmtpServer, templates: Path) -> MailerConfig:
    return MailerConfig(SECRET, smtp.url, postgres.create_database(), {SITE: templates})


@pytest.fixture(scope="module")
async def service(mailer_config: MailerConfig) -> AsyncIterator[Starlette]:
    application = create_service(mailer_config)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(service: Starlette, smtp: SmtpServer) -> AsyncIterator[httpx.AsyncClient]:
    smtp.messages.clear()
    transport = httpx.ASGITransport(app=service)
    async with httpx.AsyncClient(transport=transport, base_url="http://mailer") as c:
        yield c


async def post(client: httpx.AsyncClient, body: str | bytes) -> httpx.Response:
    return await client.post("/messages", content=body, headers={"Content-Type": "application/jwt"})


async def test_health_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert (response.status_code, response.text) == (200, "ok")


async def test_signed_message_is_delivered_once_as_its_templates_render_it(
    client: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    response = await post(client, token(name="Ada Lovelace"))

    assert (response.status_code, response.json()) == (200, {"status": "sent"})
    [message] = smtp.messages
    assert message["Subject"] == "Hello"
    assert message["To"] == "ada@example.com"
    assert plain_text(message).strip() == "Hello Ada Lovelace"
    html = message.get_body(preferencelist=("html",))
    assert html is not None and "<p>Hello Ada Lovelace</p>" in str(
        cast(EmailMessage, html).get_content()
    )


async def test_same_message_id_sent_twice_is_delivered_once(
    client: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    message_id = str(uuid.uuid4())

    first = await post(client, token(jti=message_id))
    again = await post(client, token(jti=message_id))

    assert first.json() == {"status": "sent"}
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert len(smtp.messages) == 1


async def test_two_concurrent_deliveries_of_one_message_send_it_once(
    client: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    body = token()

    answers = await asyncio.gather(post(client, body), post(client, body))

    assert sorted(a.json()["status"] for a in answers) == ["duplicate", "sent"]
    assert len(smtp.messages) == 1


@pytest.mark.parametrize(
    "claims",
    [
        pytest.param({"secret": "someone-else-s-secret-0123456789abcdef"}, id="bad-signature"),
        pytest.param({"lifetime": -120}, id="expired"),
        pytest.param({"audience": "somebody-else"}, id="wrong-audience"),
        pytest.param(None, id="malformed"),
    ],
)
async def test_a_token_the_mailer_cannot_trust_is_refused_and_nothing_sent(
    client: httpx.AsyncClient, smtp: SmtpServer, claims: dict[str, Any] | None
) -> None:
    response = await post(client, "not.a.token" if claims is None else token(**claims))

    assert (response.status_code, response.json()) == (401, {"error": "invalid token"})
    assert smtp.messages == []


async def test_a_token_signed_with_another_algorithm_is_refused(
    client: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    claims = jwt.decode(token(), options={"verify_signature": False})
    response = await post(client, jwt.encode(claims, SECRET, algorithm="HS512"))

    assert response.status_code == 401
    assert smtp.messages == []


async def test_unknown_site_is_refused(client: httpx.AsyncClient, smtp: SmtpServer) -> None:
    response = await post(client, token(site="another-site"))

    assert (response.status_code, response.json()) == (422, {"error": "unknown site"})
    assert smtp.messages == []


async def test_an_oversized_body_is_refused(client: httpx.AsyncClient) -> None:
    response = await post(client, b"x" * (256 * 1024 + 1))

    assert response.status_code == 413


async def test_message_refused_while_smtp_is_down_is_delivered_once_smtp_is_back(
    client: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    body = token()
    smtp.stop()
    try:
        down = await post(client, body)
    finally:
        smtp.start()

    back = await post(client, body)

    assert (down.status_code, down.json()) == (503, {"error": "mail delivery unavailable"})
    assert (back.status_code, back.json()) == (200, {"status": "sent"})
    assert len(smtp.messages) == 1


@pytest.fixture(scope="module")
def mailer_process(mailer_config: MailerConfig, templates: Path) -> Iterator[str]:
    process = MailerProcess(
        {
            "MAILER_SECRET": SECRET,
            "SMTP_URL": mailer_config.smtp_url,
            "DATABASE_URL": mailer_config.database_url,
            "MAILER_SITES": f"{SITE}={templates}",
            "MAIL_FROM": "Test Site <no-reply@test-site.example>",
        }
    )
    try:
        process.start()
        yield process.url
    finally:
        process.stop()


async def test_the_app_side_delivers_through_the_running_mailer_once(
    mailer_process: str, smtp: SmtpServer
) -> None:
    smtp.messages.clear()
    letter = Letter(str(uuid.uuid4()), SITE, "hello", "grace@example.com", {"name": "Grace"})

    await MailerService(mailer_process, SECRET).deliver(letter)
    await MailerService(mailer_process, SECRET).deliver(letter)

    [message] = smtp.messages
    assert message["To"] == "grace@example.com"
    assert message["From"] == "Test Site <no-reply@test-site.example>"
    assert plain_text(message).strip() == "Hello Grace"


async def test_the_app_side_is_told_when_the_mailer_refuses_its_secret(
    mailer_process: str, smtp: SmtpServer
) -> None:
    smtp.messages.clear()
    letter = Letter(str(uuid.uuid4()), SITE, "hello", "grace@example.com", {"name": "Grace"})

    with pytest.raises(RuntimeError, match="401"):
        await MailerService(mailer_process, "a-secret-the-mailer-does-not-know-012345").deliver(
            letter
        )
    assert smtp.messages == []
