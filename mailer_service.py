"""The external mailer: renders and sends the emails of several sites, each message id once."""

from __future__ import annotations

import argparse
import logging
import os
import re
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiosmtplib
import jwt
import uvicorn
from databases import Database
from jinja2 import TemplateError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from services.delivery import MAILER_AUDIENCE, Smtp
from services.language import DEFAULT, LANGUAGES
from services.letters import Letter, Renderer
from settings import MIN_SECRET_BYTES, SettingsError, check_url, smtp_starttls_required
from sql.pool import UNAVAILABLE

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent
MAX_BODY = 256 * 1024
LEEWAY = 30
SCHEMA_LOCK = 7_242_018
SITE_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,59}")
EVENT_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")

CREATE_SCHEMA = "create schema if not exists mailer"
CREATE_TABLE = (
    "create table if not exists mailer.tbl_accepted ("
    " acc_message_id uuid primary key,"
    " acc_site varchar(60) not null,"
    " acc_event varchar(40) not null,"
    " acc_accepted_at timestamptz not null default now())"
)
CLAIM = (
    "insert into mailer.tbl_accepted (acc_message_id, acc_site, acc_event)"
    " values (:message_id, :site, :event) on conflict do nothing returning acc_message_id"
)


@dataclass(frozen=True)
class MailerConfig:
    secret: str
    smtp_url: str
    database_url: str
    sites: Mapping[str, Path]
    mail_from: str = "Minimal+User <no-reply@localhost>"
    production: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MailerConfig:
        env = os.environ if env is None else env
        missing = [n for n in ("MAILER_SECRET", "SMTP_URL", "DATABASE_URL") if not env.get(n)]
        if missing:
            raise SettingsError(f"the mailer needs {', '.join(missing)}")
        secret = env["MAILER_SECRET"]
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(f"MAILER_SECRET must be at least {MIN_SECRET_BYTES} bytes long")
        production = env.get("APP_ENV", "production") == "production"
        smtp_starttls_required(env["SMTP_URL"], production)
        check_url(env["DATABASE_URL"], "DATABASE_URL", ("postgresql", "postgres"))
        sites: dict[str, Path] = {}
        for pair in env.get("MAILER_SITES", "minimal-user=templates/emails").split(","):
            site, _, folder = pair.strip().partition("=")
            if not SITE_NAME.fullmatch(site) or not folder:
                raise SettingsError(f"MAILER_SITES wants site=templates_folder pairs, not {pair!r}")
            sites[site] = ROOT / folder.strip()
            if not sites[site].is_dir():
                raise SettingsError(f"the templates folder of {site} is missing: {sites[site]}")
        mail_from = env.get("MAIL_FROM") or cls.mail_from
        return cls(secret, env["SMTP_URL"], env["DATABASE_URL"], sites, mail_from, production)


def database_for(url: str) -> Database:
    """A pool for DATABASE_URL; `databases` ignores ?host=, so a socket folder goes as a keyword."""
    parts = urlsplit(url)
    options: dict[str, Any] = {"min_size": 1, "max_size": 10, "timeout": 5}
    options["server_settings"] = {"application_name": "mailer"}
    host = parse_qs(parts.query).get("host")
    if host and host[0].startswith("/"):
        options["host"] = host[0]
        url = parts._replace(query="").geturl()
    return Database(url, **options)


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class Mailer:
    def __init__(self, config: MailerConfig) -> None:
        self.config = config
        self.db = database_for(config.database_url)
        self.smtp = {
            site: Smtp(
                config.smtp_url, config.mail_from, Renderer(folder), production=config.production
            )
            for site, folder in config.sites.items()
        }

    async def open(self) -> None:
        await self.db.connect()
        async with self.db.connection() as connection, connection.transaction():
            await connection.execute("select pg_advisory_xact_lock(:key)", {"key": SCHEMA_LOCK})
            await connection.execute(CREATE_SCHEMA)
            await connection.execute(CREATE_TABLE)

    async def close(self) -> None:
        await self.db.disconnect()

    def letter(self, token: bytes) -> Letter | JSONResponse:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.config.secret,
                algorithms=["HS256"],
                audience=MAILER_AUDIENCE,
                leeway=LEEWAY,
                options={"require": ["aud", "exp", "iat", "jti"]},
            )
        except jwt.InvalidTokenError:
            return error(401, "invalid token")
        site, event, to, values = (claims.get(k) for k in ("site", "event", "to", "values"))
        language = claims.get("language", DEFAULT)
        if site not in self.smtp:
            return error(422, "unknown site")
        if not isinstance(event, str) or not EVENT_NAME.fullmatch(event):
            return error(422, "invalid event")
        if not isinstance(to, str) or "@" not in to or len(to) > 320 or set(to) & {"\r", "\n"}:
            return error(422, "invalid recipient")
        if not isinstance(values, dict):
            return error(422, "values must be an object")
        if language not in LANGUAGES:
            return error(422, "unknown language")
        try:
            message_id = uuid.UUID(str(claims["jti"]))
        except ValueError:
            return error(422, "jti must be a UUID")
        return Letter(str(message_id), str(site), event, to, values, str(language))

    async def send_once(self, letter: Letter) -> str:
        """Claim the id in a transaction held while SMTP runs: a failure rolls the claim back,
        and a concurrent delivery of the same id waits for the outcome instead of sending too."""
        values = {"message_id": uuid.UUID(letter.message_id), "site": letter.site}
        async with self.db.connection() as connection, connection.transaction():
            if await connection.fetch_val(CLAIM, {**values, "event": letter.event}) is None:
                return "duplicate"
            await self.smtp[letter.site].deliver(letter)
        return "sent"


async def read_body(request: Request) -> bytes | None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


async def messages(request: Request) -> Response:
    mailer: Mailer = request.app.state.mailer
    token = await read_body(request)
    if token is None:
        return error(413, "message too large")
    letter = mailer.letter(token)
    if isinstance(letter, JSONResponse):
        return letter
    try:
        status = await mailer.send_once(letter)
    except TemplateError as exc:
        return error(422, f"cannot render {letter.event}: {type(exc).__name__}")
    except (aiosmtplib.SMTPException, *UNAVAILABLE) as exc:
        log.warning("message %s not sent (%s); the sender retries", letter.message_id, exc)
        return error(503, "mail delivery unavailable")
    log.info("%s message %s (%s, %s)", status, letter.message_id, letter.site, letter.event)
    return JSONResponse({"status": status})


async def health(request: Request) -> Response:
    return PlainTextResponse("ok")


def create_service(config: MailerConfig | None = None) -> Starlette:
    """The mailer app; without a config it reads the environment as it starts."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        mailer = Mailer(config or MailerConfig.from_env())
        await mailer.open()
        app.state.mailer = mailer
        try:
            yield
        finally:
            await mailer.close()

    routes = [Route("/messages", messages, methods=["POST"]), Route("/health", health)]
    return Starlette(routes=routes, lifespan=lifespan)


service = create_service()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the mailer service under uvicorn.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        MailerConfig.from_env()
    except SettingsError as exc:
        parser.exit(2, f"mailer_service: {exc}\n")
    uvicorn.run(
        "mailer_service:service",
        host=args.host,
        port=args.port,
        workers=args.workers,
        app_dir=str(ROOT),
    )


if __name__ == "__main__":
    main()
