"""Walking the account forms as a person would: sign up, read the email, follow its link,
and the forgotten-key flow: the emailed code, then the new key."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import httpx

from tests.forms import post_form
from tests.servers import KEY_LINE, Mailbox, signup_letter, text_of

CONFIRM_LINK = re.compile(r"http://testserver(/emailconfirmationhtml/\S+)")
NICKNAME = re.compile(r"^[a-z]+-[a-z]+-\d{6}-[a-z]+$")
CODE_LINE = re.compile(r"^One-time code: (\d{6})\r?$", re.MULTILINE)
RESET_LINK = re.compile(r"http://testserver(/auth/resetkey/[\w.-]+)")
NEW_KEY = "correct horse battery staple"


def client_for(app: Any, ip: str) -> httpx.AsyncClient:
    """A client of the in-process app that comes from that IP address."""
    transport = httpx.ASGITransport(app=app, client=(ip, 5555))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:10]}@example.com"


async def sign_up(
    client: httpx.AsyncClient, email: str | None = None, *, confirmed: bool = False
) -> tuple[str, str]:
    """Signs up through the form; returns the email and the access key, read from the sign-up
    email (the page never shows it); `confirmed` follows the email's link too."""
    email = email or new_email()
    page = await post_form(client, "/auth/signup", {"email": email})
    assert page.status_code == 200, page.text
    letter = await signup_letter(email)
    key = KEY_LINE.search(letter)
    assert key and key.group(1) not in page.text
    if confirmed:
        link = CONFIRM_LINK.search(letter)
        assert link
        assert (await client.get(link.group(1))).status_code == 303
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
