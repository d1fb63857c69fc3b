"""Walking the account forms as a person would: sign up, read the email, follow its link."""

from __future__ import annotations

import re
import uuid

import httpx

from tests.conftest import Mailbox, post_form, text_of

KEY_LINE = re.compile(r"^Access key: (\S+)\r?$", re.MULTILINE)
CONFIRM_LINK = re.compile(r"http://testserver(/emailconfirmationhtml/\S+)")
NICKNAME = re.compile(r"^[a-z]+-[a-z]+-\d{6}-[a-z]+$")


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


async def sign_up(client: httpx.AsyncClient, email: str | None = None) -> tuple[str, str]:
    """Signs up through the form; returns the email and the access key shown once."""
    email = email or new_email()
    page = await post_form(client, "/auth/signup", {"email": email})
    assert page.status_code == 200, page.text
    key = re.search(r'<code id="access-key" class="access-key[^"]*">(\w+)</code>', page.text)
    assert key, page.text
    return email, key.group(1)


async def confirmation_path(mailbox: Mailbox, email: str, subject: str = "Welcome") -> str:
    message = await mailbox.wait_for(email, subject)
    link = CONFIRM_LINK.search(text_of(message))
    assert link
    return link.group(1)


async def confirmed_user(client: httpx.AsyncClient, mailbox: Mailbox) -> tuple[str, str]:
    email, key = await sign_up(client)
    await client.get(await confirmation_path(mailbox, email))
    return email, key


async def log_in(client: httpx.AsyncClient, email: str, key: str, **extra: str) -> httpx.Response:
    return await post_form(client, "/auth/login", {"email": email, "key": key, **extra})
