"""Emails go out in the account's language, whatever the page that caused them speaks; the
outbox row keeps it (the goodbye outlives its account); the external mailer renders it too."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from typing import Any

import httpx
import jwt
import pytest
from jinja2 import meta

from mailer_service import MailerConfig, create_service
from services.letters import EMAIL_TEMPLATES, Renderer
from sql.pool import PooledDatabase
from tests.accounts_helpers import client_for, log_in, new_email
from tests.forms import post_form
from tests.servers import Mailbox, Postgres, emailed_key, text_of
from tests.test_mailer_service import SmtpServer

SECRET = "mailer-secret-for-the-language-tests-long-enough-0123456789"


async def italian_sign_up(app: Any, mailbox: Mailbox, ip: str) -> tuple[str, str, EmailMessage]:
    async with client_for(app, ip) as client:
        client.headers["Accept-Language"] = "it-IT,it;q=0.9"
        email = new_email()
        assert (await post_form(client, "/auth/signup", {"email": email})).status_code == 200
    letter = await mailbox.wait_for(email)
    assert text_of(letter).count("\nChiave di accesso: ") == 1, text_of(letter)
    return email, await emailed_key(email), letter


async def test_a_sign_up_in_italian_gets_its_email_in_italian(
    app: Any, mailbox: Mailbox, db: PooledDatabase
) -> None:
    email, _key, letter = await italian_sign_up(app, mailbox, "10.11.0.1")
    assert letter["Content-Language"] == "it"
    assert "Welcome" not in letter["Subject"]
    assert "/emailconfirmationhtml/" in text_of(letter)
    html = letter.get_body(("html",))
    assert html is not None and '<html lang="it" dir="ltr">' in str(html.get_content())
    language = await db.fetch_val(
        "select obx_language from minimaluser.tbl_outbox where obx_recipient = :email",
        {"email": email},
    )
    assert language == "it"


async def test_emails_follow_the_account_not_the_page_that_caused_them(
    app: Any, mailbox: Mailbox
) -> None:
    email, key, _letter = await italian_sign_up(app, mailbox, "10.11.0.2")
    async with client_for(app, "10.11.0.3") as english:
        english.headers["Accept-Language"] = "en"
        before = len(mailbox.to(email))
        assert (await post_form(english, "/auth/forgotkey", {"email": email})).status_code == 303
    reset = await next_letter(mailbox, email, before)
    assert reset["Content-Language"] == "it"
    assert "One-time code" not in text_of(reset)
    async with client_for(app, "10.11.0.4") as arabic:
        arabic.headers["Accept-Language"] = "ar"
        await log_in(arabic, email, key)
        await post_form(arabic, "/language", {"language": "ar"})
        before = len(mailbox.to(email))
        answer = await post_form(
            arabic, "/auth/deleteaccount", {"accesskey": key}, page="/auth/userprofile"
        )
        assert answer.status_code == 303
    goodbye = await next_letter(mailbox, email, before)
    assert goodbye["Content-Language"] == "ar"
    assert "Goodbye" not in goodbye["Subject"]


async def next_letter(mailbox: Mailbox, email: str, before: int) -> EmailMessage:
    """The first email to that address after the `before` it had."""
    for _ in range(600):
        letters = mailbox.to(email)
        if len(letters) > before:
            return letters[before]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no new email to {email}")


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
async def mailer(postgres: Postgres, smtp: SmtpServer) -> AsyncIterator[httpx.AsyncClient]:
    config = MailerConfig(
        SECRET, smtp.url, postgres.create_database(), {"minimal-user": EMAIL_TEMPLATES}
    )
    service = create_service(config)
    async with service.router.lifespan_context(service):
        transport = httpx.ASGITransport(app=service)
        async with httpx.AsyncClient(transport=transport, base_url="http://mailer") as client:
            yield client


def mailer_token(event: str, language: str) -> str:
    source = (EMAIL_TEMPLATES / f"{event}.txt").read_text()
    names = meta.find_undeclared_variables(Renderer().env.parse(source))
    now = int(time.time())
    claims = {
        "aud": "mailer",
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        "site": "minimal-user",
        "event": event,
        "to": "ada@example.com",
        "values": {name: f"sample-{name}" for name in names},
        "language": language,
    }
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def test_the_external_mailer_renders_the_language_it_is_given(
    mailer: httpx.AsyncClient, smtp: SmtpServer
) -> None:
    smtp.messages.clear()
    headers = {"Content-Type": "application/jwt"}
    answer = await mailer.post("/messages", content=mailer_token("goodbye", "ar"), headers=headers)
    assert answer.status_code == 200, answer.text
    [message] = smtp.messages
    assert message["Content-Language"] == "ar"
    assert "Goodbye" not in message["Subject"]
    refused = await mailer.post("/messages", content=mailer_token("goodbye", "xx"), headers=headers)
    assert refused.status_code == 422
    assert refused.json() == {"error": "unknown language"}
