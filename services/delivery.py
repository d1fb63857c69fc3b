"""How a letter leaves: by SMTP, through the external mailer service, or kept for /dev/outbox."""

from __future__ import annotations

import logging
import time
from typing import Protocol
from urllib.parse import unquote, urlsplit

import jwt

from services.letters import Letter, Renderer
from settings import Settings, smtp_starttls_required

log = logging.getLogger(__name__)

MAILER_AUDIENCE = "mailer"
SEND_TIMEOUT = 10.0


class Delivery(Protocol):
    keeps: bool

    async def deliver(self, letter: Letter) -> None: ...


class Smtp:
    """Delivers by SMTP: TLS from the start for smtps://; otherwise STARTTLS when the server
    offers it, or nothing is sent when STARTTLS is required (?starttls=required, or a password
    in production) and the server does not offer it."""

    keeps = False

    def __init__(
        self, url: str, mail_from: str, renderer: Renderer, *, production: bool = False
    ) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "localhost"
        self.tls = parts.scheme == "smtps"
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        # aiosmtplib: True requires STARTTLS, None uses it when offered.
        self.start_tls = True if smtp_starttls_required(url, production) else None
        self.mail_from = mail_from
        self.renderer = renderer

    async def deliver(self, letter: Letter) -> None:
        import aiosmtplib  # only where mail goes by SMTP

        message = self.renderer.render(letter, self.mail_from)
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.tls,
            start_tls=self.start_tls,
            timeout=SEND_TIMEOUT,
        )


class MailerService:
    """Hands each message to the external mailer as a JWT signed with MAILER_SECRET."""

    keeps = False

    def __init__(self, url: str, secret: str) -> None:
        self.url = url.rstrip("/") + "/messages"
        self.secret = secret

    async def deliver(self, letter: Letter) -> None:
        import httpx  # only for the mailer service: 4 MiB a worker where rich is installed

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
                "language": letter.language,
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
        return Smtp(settings.smtp_url, settings.mail_from, renderer, production=settings.production)
    return Keep()
