"""An email to deliver: the secrets it carries, sealed while they wait in the outbox (a key
derived from SECRET_KEY), and how each event's templates render it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from cryptography.fernet import InvalidToken
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.keyring import Keyring
from services.language import DEFAULT, LANGUAGES, speaking
from services.words import install
from settings import Settings
from sql import outbox

SITE = "minimal-user"
EMAIL_TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "emails"


OUTBOX_INFO = b"outbox-secrets"


def seal(keyring: Keyring, values: dict[str, str]) -> bytes | None:
    """The secrets of an email, encrypted with SECRET_KEY's outbox key while they wait."""
    return keyring.fernet(OUTBOX_INFO).encrypt(json.dumps(values).encode()) if values else None


def unseal(keyring: Keyring, sealed: bytes | None) -> dict[str, str]:
    """What `seal` made, with SECRET_KEY or one of its fallbacks; {} if none opens it."""
    if not sealed:
        return {}
    try:
        values: dict[str, str] = json.loads(keyring.fernet(OUTBOX_INFO).decrypt(bytes(sealed)))
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
    language: str = DEFAULT


class Renderer:
    """Each event's subject, plain text and HTML, from templates/emails/<event>.{txt,html}."""

    def __init__(self, folder: Path = EMAIL_TEMPLATES) -> None:
        self.folder = folder
        self.envs = {code: self.environment(code) for code in LANGUAGES}
        self.env = self.envs[DEFAULT]

    def environment(self, language: str) -> Environment:
        """The emails in one language (their words without values folded in at compile time)."""
        env = Environment(
            loader=FileSystemLoader(self.folder),
            undefined=StrictUndefined,
            autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        )
        install(env, language)
        return env

    def render(self, letter: Letter, mail_from: str) -> EmailMessage:
        env = self.envs.get(letter.language, self.env)
        with speaking(letter.language):
            text = env.get_template(f"{letter.event}.txt").render(letter.values)
            html = env.get_template(f"{letter.event}.html").render(letter.values)
        subject, _, body = text.partition("\n\n")
        message = EmailMessage()
        message["Subject"] = subject.removeprefix("Subject: ").strip()
        message["From"] = mail_from
        message["To"] = letter.recipient
        message["Message-ID"] = make_msgid(idstring=letter.message_id, domain="minimal-user")
        message.set_content(body.strip() + "\n")
        message.add_alternative(html, subtype="html")
        # After the parts: set_content would take a Content- header into the text part.
        message["Content-Language"] = letter.language
        return message


def letter_of(message: outbox.Message, settings: Settings) -> Letter:
    values = {
        **message.context,
        **unseal(Keyring(settings.secret_key, settings.secret_key_fallbacks), message.secret),
        "base_url": settings.base_url,
        "recipient": message.recipient,
    }
    return Letter(
        str(message.message_id), SITE, message.event, message.recipient, values, message.language
    )
