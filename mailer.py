"""The outbox dispatcher and the mail delivery: render, then SMTP, the external mailer, or keep."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import aiosmtplib
import httpx
import jwt
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from databases import Database
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from settings import Settings
from sql import outbox

log = logging.getLogger(__name__)

SITE = "minimal-user"
EMAIL_TEMPLATES = Path(__file__).parent / "templates" / "emails"
MAILER_AUDIENCE = "mailer"
BATCH = 10
SEND_TIMEOUT = 10.0


def fernet(secret_key: str) -> Fernet:
    """The key that seals secrets waiting in the outbox, derived from SECRET_KEY."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"outbox-secrets").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret_key: str, values: dict[str, str]) -> bytes | None:
    return fernet(secret_key).encrypt(json.dumps(values).encode()) if values else None


def unseal(secret_key: str, sealed: bytes | None) -> dict[str, str]:
    if not sealed:
        return {}
    try:
        values: dict[str, str] = json.loads(fernet(secret_key).decrypt(bytes(sealed)))
    except InvalidToken:
        return {}
    return values


async def queue(
    db: Database,
    secret_key: str,
    event: str,
    recipient: str,
    context: dict[str, Any],
    secrets: dict[str, str] | None = None,
) -> None:
    """Write an email into the outbox; call it inside the transaction of the change."""
    await outbox.add(db, event, recipient, context, seal(secret_key, secrets or {}))


@dataclass(frozen=True)
class Letter:
    """One message to deliver: who, which event, its values (secrets included), its id."""

    message_id: str
    site: str
    event: str
    recipient: str
    values: dict[str, Any]


class Renderer:
    """Each event's subject, plain text and HTML, from templates/emails/<event>.{txt,html}."""

    def __init__(self, folder: Path = EMAIL_TEMPLATES) -> None:
        self.env = Environment(
            loader=FileSystemLoader(folder),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        )

    def render(self, letter: Letter, mail_from: str) -> EmailMessage:
        text = self.env.get_template(f"{letter.event}.txt").render(letter.values)
        subject, _, body = text.partition("\n\n")
        message = EmailMessage()
        message["Subject"] = subject.removeprefix("Subject: ").strip()
        message["From"] = mail_from
        message["To"] = letter.recipient
        message["Message-ID"] = make_msgid(idstring=letter.message_id, domain="minimal-user")
        message.set_content(body.strip() + "\n")
        html = self.env.get_template(f"{letter.event}.html").render(letter.values)
        message.add_alternative(html, subtype="html")
        return message


class Delivery(Protocol):
    keeps: bool

    async def deliver(self, letter: Letter) -> None: ...


class Smtp:
    """Delivers by SMTP: STARTTLS when the server offers it, TLS from the start for smtps://."""

    keeps = False

    def __init__(self, url: str, mail_from: str, renderer: Renderer) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "localhost"
        self.tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.mail_from = mail_from
        self.renderer = renderer

    async def deliver(self, letter: Letter) -> None:
        message = self.renderer.render(letter, self.mail_from)
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.tls,
            timeout=SEND_TIMEOUT,
        )


class MailerService:
    """Hands each message to the external mailer as a JWT signed with MAILER_SECRET."""

    keeps = False

    def __init__(self, url: str, secret: str) -> None:
        self.url = url.rstrip("/") + "/messages"
        self.secret = secret

    async def deliver(self, letter: Letter) -> None:
        now = int(time.time())
        token = jwt.encode(
            {
                "aud": MAILER_AUDIENCE,
                "iat": now,
                "exp": now + 300,
                "jti": letter.message_id,
                "site": letter.site,
                "event": letter.event,
                "to": letter.recipient,
                "values": letter.values,
            },
            self.secret,
            algorithm="HS256",
        )
        async with httpx.AsyncClient(timeout=SEND_TIMEOUT) as client:
            response = await client.post(
                self.url, content=token, headers={"Content-Type": "application/jwt"}
            )
        if response.status_code not in (200, 202):
            raise RuntimeError(f"mailer answered {response.status_code}")


class Keep:
    """Development without SMTP: messages stay in the outbox, shown at /dev/outbox."""

    keeps = True

    async def deliver(self, letter: Letter) -> None:
        log.info("kept %s for %s at /dev/outbox", letter.event, letter.recipient)


def delivery_for(settings: Settings, renderer: Renderer) -> Delivery:
    if settings.mailer_url and settings.mailer_secret:
        return MailerService(settings.mailer_url, settings.mailer_secret)
    if settings.smtp_url:
        return Smtp(settings.smtp_url, settings.mail_from, renderer)
    return Keep()


def letter_of(message: outbox.Message, settings: Settings) -> Letter:
    values = {
        **message.context,
        **unseal(settings.secret_key, message.secret),
        "base_url": settings.base_url,
        "recipient": message.recipient,
    }
    return Letter(str(message.message_id), SITE, message.event, message.recipient, values)


def retry_delay(attempts: int, cap: float) -> float:
    """Exponential backoff up to the cap; never under half a second, so no setting can spin."""
    return max(0.5, min(cap, 2.0 ** (attempts + 1)))


class Dispatcher:
    """Claims due outbox rows (FOR UPDATE SKIP LOCKED), delivers them, retries with backoff.

    Each message is claimed, delivered and marked in a transaction of its own, committed as soon
    as the SMTP server (or the mailer) has accepted it: a process that dies can leave at most the
    one message it was sending to be sent again, never a batch.
    """

    def __init__(
        self, db: Database, settings: Settings, delivery: Delivery, poll: float = 1.0
    ) -> None:
        self.db = db
        self.settings = settings
        self.delivery = delivery
        self.poll = poll
        self.wakeup = asyncio.Event()
        self.stopping = False
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.run(), name="outbox-dispatcher")

    def wake(self) -> None:
        self.wakeup.set()

    async def stop(self) -> None:
        """Stop between messages: a delivery under way finishes (or times out) first."""
        self.stopping = True
        self.wakeup.set()
        if self.task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self.task, timeout=SEND_TIMEOUT + 5)

    async def run(self) -> None:
        while not self.stopping:
            try:
                tried = await self.dispatch_once()
            except Exception:
                log.exception("outbox dispatch failed; trying again shortly")
                tried = 0
            if tried < BATCH and not self.stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wakeup.wait(), timeout=self.poll)
                self.wakeup.clear()

    async def dispatch_once(self) -> int:
        """Up to BATCH due messages, one at a time; returns how many were tried. A failed one is
        put off, so a full batch means more may be due (failures never hold up the rest)."""
        tried = 0
        while tried < BATCH and not self.stopping:
            if await self.dispatch_next() is None:
                break
            tried += 1
        return tried

    async def dispatch_next(self) -> bool | None:
        """The next due message: True when delivered, False when put off, None when none is due."""
        async with self.db.connection() as connection, connection.transaction():
            claimed = await outbox.claim_due(self.db, 1)
            if not claimed:
                return None
            message = claimed[0]
            try:
                await self.delivery.deliver(letter_of(message, self.settings))
            except Exception as exc:
                delay = retry_delay(message.attempts, self.settings.mail_retry_cap)
                log.warning(
                    "email %s failed (%s); retry in %.0fs", message.id, type(exc).__name__, delay
                )
                await outbox.mark_failed(self.db, message.id, delay, f"{type(exc).__name__}: {exc}")
                return False
            await outbox.mark_sent(self.db, message.id, kept=self.delivery.keeps)
            return True
