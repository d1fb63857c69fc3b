"""Walking the account forms as a person would: sign up, read the email, follow its link,
and the forgotten-key flow: the emailed code, then the new key."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import httpx

from tests.forms import post_form
from tests.servers import Mailbox, text_of

KEY_LINE = re.compile(r"^Access key: (\S+)\r?$", re.MULTILINE)
CONFIRM_LINK = re.compile(r"http://testserver(/emailconfirmationhtml/\S+)")
NICKNAME = re.compile(r"^[a-z]+-[a-z]+-\d{6}-[a-z]+$")
CODE_LINE = re.compile(r"^One-time code: (\d{6})\r?$", re.MULTILINE)
RESET_LINK = re.compile(r"http://testserver(/auth/resetkey/[\w.-]+)")
NEW_KEY = "correct horse battery staple"


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


async def emailed_code(mailbox: Mailbox, email: str, already: int = 0) -> tuple[str, str]:
    """The code and reset link of the next forgotten-key email after `already` of them."""
    for _ in range(600):
        letters = [m for m in mailbox.to(email) if "one-time code" in m["Subject"]]
        if len(letters) > already:
            text = text_of(letters[already])
            code, link = CODE_LINE.search(text), RESET_LINK.search(text)
            assert code and link, text
            return code.group(1), link.group(1)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no forgotten-key email to {email}")


async def reset(
    client: httpx.AsyncClient, path: str, otp: str, key: str = NEW_KEY, **extra: Any
) -> httpx.Response:
    data = {"otp": otp, "newaccesskey": key, "confirmaccesskey": extra.pop("confirm", key)}
    return await post_form(client, path, data, page="/auth/forgotkey", **extra)
