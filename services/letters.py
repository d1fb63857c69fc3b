"""An email to deliver: the secrets it carries, sealed while they wait in the outbox (a key
derived from SECRET_KEY), and how each event's templates render it."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from settings import Settings
from sql import outbox

SITE = "minimal-user"
EMAIL_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "emails"


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


def letter_of(message: outbox.Message, settings: Settings) -> Letter:
    values = {
        **message.context,
        **unseal(settings.secret_key, message.secret),
        "base_url": settings.base_url,
        "recipient": message.recipient,
    }
    return Letter(str(message.message_id), SITE, message.event, message.recipient, values)
