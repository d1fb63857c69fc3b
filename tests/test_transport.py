"""Mail and database URLs: their passwords never reach a message or a log, and mail crosses the
network encrypted when the settings ask for it (and, in production, whenever a password goes)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

import settings as settings_module
from mailer_service import MailerConfig
from services.delivery import Smtp
from services.letters import Letter, Renderer
from settings import SettingsError, redact
from tests.accounts_helpers import new_email
from tests.forms import post_form
from tests.servers import ROOT, RUN_DIR, Mailbox, Postgres, app_env, free_port

PASSWORD = "hunter2secretpw"
PRODUCTION = {
    "APP_ENV": "production",
    "SECRET_KEY": "a-production-secret-for-the-transport-tests-0123456789",
    "DATABASE_URL": "postgresql://site@db.internal:5432/site",
    "BASE_URL": "https://example.com",
    "SMTP_URL": "smtp://mail.internal:25",
}


def production(**changes: str) -> settings_module.Settings:
    return settings_module.load({**PRODUCTION, "DATA_DIR": str(RUN_DIR / "transport"), **changes})


def start_output(env: dict[str, str], *command: str) -> tuple[int, str]:
    """What a failed start prints, stdout and stderr together."""
    done = subprocess.run(
        command or (sys.executable, "-c", "import app"),
        cwd=ROOT,
        env={**os.environ, **PRODUCTION, "DATA_DIR": str(RUN_DIR / "transport"), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout.decode(errors="replace")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DATABASE_URL", f"postgresql//site:{PASSWORD}@db.internal/site"),
        ("DATABASE_URL", f"postgresql://site:hunter2/{PASSWORD}@db.internal:5432/site"),
        ("DATABASE_URL", f"postgresql://site:{PASSWORD}@[db.internal/site"),
        ("DATABASE_URL", f"postgresql://site:{PASSWORD}"),
        ("SMTP_URL", f"smtp//mailer:{PASSWORD}@mail.internal:587"),
        ("SMTP_URL", f"smtp://mailer:{PASSWORD}@mail.internal:port"),
        ("MAILER_URL", f"htps://site:{PASSWORD}@mailer.internal"),
    ],
)
def test_a_malformed_url_is_named_at_start_without_its_password(name: str, value: str) -> None:
    extra = {"MAILER_SECRET": "m" * 40} if name == "MAILER_URL" else {}
    status, output = start_output({name: value, **extra})
    assert status != 0
    assert f"{name} must look like" in output
    assert "hunter2" not in output and "secretpw" not in output, output


def test_a_database_that_refuses_connections_fails_the_start_without_its_password() -> None:
    url = f"postgresql://site:{PASSWORD}@127.0.0.1:{free_port()}/site"
    uvicorn = str(ROOT / ".venv" / "bin" / "uvicorn")
    status, output = start_output(
        {"DATABASE_URL": url}, uvicorn, "app:app", "--port", str(free_port())
    )
    assert status != 0
    assert "Application startup failed" in output
    assert PASSWORD not in output, output


def test_the_mailer_names_a_malformed_url_without_its_password() -> None:
    env = {"MAILER_SECRET": "m" * 40, "SMTP_URL": "smtp://mail.internal:25"}
    with pytest.raises(SettingsError) as refused:
        MailerConfig.from_env({**env, "DATABASE_URL": f"postgres//mailer:{PASSWORD}@db/mail"})
    assert "DATABASE_URL" in str(refused.value) and PASSWORD not in str(refused.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"postgresql://site:{PASSWORD}@db:5432/site", "postgresql://site:***@db:5432/site"),
        (f"smtp://mailer:{PASSWORD}@mail:587", "smtp://mailer:***@mail:587"),
        (
            f"postgresql://site@db/site?password={PASSWORD}",
            "postgresql://site@db/site?password=***",
        ),
        (f"postgresql://site:{PASSWORD}", "postgresql://site:***"),
        ("https://[::1]:8001/", "https://[::1]:8001/"),
        ("postgresql://site@db:5432/site", "postgresql://site@db:5432/site"),
    ],
)
def test_redact_keeps_the_shape_of_a_url_and_hides_its_password(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_an_unknown_smtp_url_parameter_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="'tls'"):
        production(SMTP_URL="smtp://mail.internal:587?tls=yes")
    with pytest.raises(SettingsError, match="starttls=required"):
        production(SMTP_URL="smtp://mail.internal:587?starttls=maybe")
    with pytest.raises(SettingsError, match="smtps:// is TLS"):
        production(SMTP_URL="smtps://mail.internal:465?starttls=required")


@pytest.mark.parametrize(
    ("app_env_name", "url", "start_tls", "use_tls"),
    [
        ("production", f"smtp://mailer:{PASSWORD}@mail.internal:587", True, False),
        ("production", "smtp://mail.internal:25", None, False),
        ("production", f"smtps://mailer:{PASSWORD}@mail.internal:465", None, True),
        ("production", "smtp://mail.internal:25?starttls=required", True, False),
        ("development", f"smtp://mailer:{PASSWORD}@mail.internal:587", None, False),
        ("development", "smtp://mail.internal:25?starttls=required", True, False),
    ],
)
def test_starttls_is_required_when_asked_and_for_a_password_in_production(
    app_env_name: str, url: str, start_tls: bool | None, use_tls: bool
) -> None:
    config = production(APP_ENV=app_env_name, SMTP_URL=url)
    smtp = Smtp(url, config.mail_from, Renderer(), production=config.production)
    assert (smtp.start_tls, smtp.tls) == (start_tls, use_tls)


@pytest.mark.parametrize(
    "url",
    [
        "https://mailer.example",
        "http://localhost:8001",
        "http://127.0.0.9:8001",
        "http://[::1]:8001",
        "http://10.0.0.7:8001",
        "http://192.168.1.20",
        "http://[fd00::7]:8001",
    ],
)
def test_production_reaches_the_mailer_over_https_or_a_private_network(url: str) -> None:
    assert production(MAILER_URL=url, MAILER_SECRET="m" * 40).mailer_url == url


@pytest.mark.parametrize("url", ["http://mailer.example", "http://8.8.8.8:8001"])
def test_production_refuses_a_plain_http_mailer_on_a_public_address(url: str) -> None:
    with pytest.raises(SettingsError, match=r"MAILER_URL must be https://.*private"):
        production(MAILER_URL=url, MAILER_SECRET="m" * 40)
    development = production(APP_ENV="development", MAILER_URL=url, MAILER_SECRET="m" * 40)
    assert development.mailer_url == url


class Recorder:
    """An SMTP server without STARTTLS that takes a login in clear and records it."""

    def __init__(self) -> None:
        self.passwords: list[bytes] = []
        self.messages: list[bytes] = []
        self.port = free_port()
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self.authenticate,
            auth_require_tls=False,
        )

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        self.passwords.append(data.password)
        return AuthResult(success=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"


async def test_a_password_never_crosses_the_wire_in_clear_in_production(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("Subject: Hello\n\nHello {{ name }}\n")
    (tmp_path / "hello.html").write_text("<p>Hello {{ name }}</p>\n")
    recorder = Recorder()
    recorder.controller.start()
    try:
        url = f"smtp://mailer:{PASSWORD}@127.0.0.1:{recorder.port}"
        smtp = Smtp(url, "Site <site@example.com>", Renderer(tmp_path), production=True)
        letter = Letter(str(uuid.uuid4()), "site", "hello", "grace@example.com", {"name": "G"})
        with pytest.raises(aiosmtplib.SMTPException, match="STARTTLS"):
            await smtp.deliver(letter)
    finally:
        recorder.controller.stop()
    assert recorder.passwords == [] and recorder.messages == []


async def test_starttls_required_keeps_the_email_queued_when_the_server_offers_none(
    postgres: Postgres,
) -> None:
    from app import create_app

    box = Mailbox()
    box.controller.start()
    try:
        env = app_env(postgres.create_database(), SMTP_URL=f"{box.url}?starttls=required")
        application = create_app(settings_module.load(env))
        async with application.router.lifespan_context(application):
            email = new_email()
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                signed_up = await post_form(c, "/auth/signup", {"email": email})
            assert signed_up.status_code == 200
            row = None
            for _ in range(100):
                row = await application.state.services.db.fetch_one(
                    "select obx_sent_at, obx_last_error from minimaluser.tbl_outbox"
                    " where obx_recipient = :email",
                    {"email": email},
                )
                if row is not None and row["obx_last_error"]:
                    break
                await asyncio.sleep(0.05)
    finally:
        box.controller.stop()
    assert row is not None and row["obx_sent_at"] is None
    assert "STARTTLS" in row["obx_last_error"]
    assert box.messages == []
