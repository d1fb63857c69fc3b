"""Real servers for the tests, and the addresses, environments and clients to reach them.

Every server of a run keeps its files under RUN_DIR, one folder per run (conftest.py removes it):
embedded PostgreSQL, an SMTP mailbox (aiosmtpd), the app under uvicorn and the external mailer
in their own processes, and moto's S3.
"""

from __future__ import annotations

import asyncio
import email.policy
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from typing import IO, Any, ClassVar, Self

import httpx
from aiosmtpd.controller import Controller

from services.language import LANGUAGES, catalogue

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import pgserver
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

ROOT = Path(__file__).resolve().parent.parent
# One folder per test run: computed here only, once, and imported wherever it is needed.
RUN_DIR = ROOT / ".data" / f"test-{uuid.uuid4().hex[:8]}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of an app of this run on that database, in-process or under uvicorn."""
    return {
        "APP_ENV": "test",
        "DATA_DIR": str(RUN_DIR / "app"),
        "DATABASE_URL": database_url,
        "BASE_URL": "http://testserver",
        "MAIL_RETRY_CAP": "1",
        "THROTTLE_SIGNUP_IP": "100000/60",
        "THROTTLE_LOGIN_IP": "100000/60",
        "THROTTLE_FORGOT_IP": "100000/60",
        "THROTTLE_LOGIN_CODE_IP": "100000/60",
        **extra,
    }


class Postgres:
    """A pgserver instance of this test run, with a database per purpose."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.server = pgserver.get_server(folder, cleanup_mode="delete")
        uri = self.server.get_uri()
        self.socket_dir = uri.split("host=", 1)[1]

    def stop(self) -> None:
        pg_ctl(
            ["-w", "-m", "fast", "stop"], pgdata=self.server.pgdata, user=self.server.system_user
        )

    def start(self) -> None:
        options = [
            "-w",
            "-o",
            '-h ""',
            "-o",
            f"-k {self.socket_dir}",
            "-l",
            str(self.server.log),
            "start",
        ]
        pg_ctl(options, pgdata=self.server.pgdata, user=self.server.system_user, timeout=20)

    def create_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.server.psql(f"create database {name};")
        return f"postgresql://postgres@localhost/{name}?host={self.socket_dir}"


class Mailbox:
    """A real SMTP server (aiosmtpd) that keeps what it receives, parsed. Every mailbox of the
    run is listed in `opened`, so a helper can find a sign-up email wherever it was sent."""

    opened: ClassVar[list[Mailbox]] = []

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        Mailbox.opened.append(self)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    async def wait_for(self, recipient: str, event_words: str = "") -> EmailMessage:
        """The newest message to that address whose subject has those words."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            for message in reversed(self.messages):
                if message["To"] == recipient and event_words in message["Subject"]:
                    return message
            await asyncio.sleep(0.05)
        raise AssertionError(f"no email to {recipient} with {event_words!r} in its subject")

    def to(self, recipient: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == recipient]


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def in_every_language(label: str) -> str:
    """A regular expression for `label` as any catalogue writes it."""
    said = {label, *(catalogue(code).gettext(label) for code in LANGUAGES)}
    return "(?:" + "|".join(map(re.escape, sorted(said))) + ")"


# The sign-up email's key line, in whichever language the account speaks.
KEY_LINE = re.compile(rf"^{in_every_language('Access key:')} (\S+)\r?$", re.MULTILINE)


async def signup_letter(recipient: str) -> str:
    """The text of the sign-up email to that address, in whichever mailbox it arrived: the
    site shows the access key only there."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for box in Mailbox.opened:
            for message in box.to(recipient):
                text = text_of(message)
                if KEY_LINE.search(text):
                    return text
        await asyncio.sleep(0.05)
    raise AssertionError(f"no sign-up email with an access key to {recipient}")


async def emailed_key(recipient: str) -> str:
    found = KEY_LINE.search(await signup_letter(recipient))
    assert found
    return found.group(1)


class ServiceProcess:
    """A server of ours in its own process, on a port fixed before it first starts, so it can be
    stopped and started again at the same address."""

    name = "service"
    health = "/"

    def __init__(self, env: dict[str, str], port: int | None = None) -> None:
        self.env = env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = RUN_DIR / f"{self.name}-{self.port}.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self, wait: float = 30.0) -> Self:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=ROOT, env={**os.environ, **self.env}, stdout=log, stderr=log
            )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + self.health, timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer: {self.log.read_text()[-3000:]}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class LiveServer(ServiceProcess):
    """The app run by uvicorn in its own process, as `make run` and production run it."""

    name = "uvicorn"
    health = "/robots.txt"

    def __init__(
        self,
        env: dict[str, str],
        port: int | None = None,
        workers: int = 1,
        *,
        proxy_headers: bool = False,
    ) -> None:
        super().__init__(env, port)
        self.workers = workers
        # Off, as in the Procfile: the app decides the client's address (TRUSTED_PROXY_COUNT).
        # On is uvicorn's own default, as a plain `uvicorn app:app` runs.
        self.proxy_headers = proxy_headers

    def command(self) -> list[str]:
        return [
            str(ROOT / ".venv" / "bin" / "uvicorn"),
            "app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--timeout-graceful-shutdown",
            "5",
            *([] if self.proxy_headers else ["--no-proxy-headers"]),
        ]


class MailerProcess(ServiceProcess):
    """The external mailer as an operator runs it: `python -m mailer_service`."""

    name = "mailer"
    health = "/health"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "mailer_service", "--port", str(self.port)]


def answers_http(url: str, timeout: float = 0.5) -> bool:
    """True once anything speaks HTTP at url, whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=timeout):  # noqa: S310 - a local test URL
            return True
    except urllib.error.HTTPError as exc:
        exc.close()
        return True
    except OSError:
        return False


class MotoServer:
    """moto in server mode; stop() and start() again keep the port, for outage tests.

    moto keeps its state in memory: a restarted server has no buckets.
    """

    def __init__(self, port: int | None = None, start_timeout: float = 30.0) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.start_timeout = start_timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> str:
        if self.running:
            return self.url
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.start_timeout
        while not answers_http(f"{self.url}/moto-api/"):
            if self._process.poll() is not None or time.monotonic() > deadline:
                log = self._read_log()
                self.stop()
                raise RuntimeError(f"moto server did not start on {self.url}:\n{log}")
            time.sleep(0.1)
        return self.url

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log, self._log = self._log, None
        if log is not None:
            log.close()

    def __enter__(self) -> MotoServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _read_log(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read()[-4000:].decode(errors="replace")


@contextmanager
def moto_s3() -> Iterator[str]:
    """A running moto S3 endpoint for the duration of the block; yields its URL."""
    with MotoServer() as server:
        yield server.url


BUCKET = "tiles"
# moto's dummy credentials for an app process, and nothing read from this machine's AWS set-up.
AWS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": str(RUN_DIR / "no-aws-config"),
    "AWS_SHARED_CREDENTIALS_FILE": str(RUN_DIR / "no-aws-credentials"),
    "AWS_EC2_METADATA_DISABLED": "true",
}


@asynccontextmanager
async def s3_at(url: str) -> AsyncIterator[Any]:
    """An S3 client of the test's own for the endpoint at url (moto's)."""
    from aiobotocore.session import get_session

    async with get_session().create_client(
        "s3",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    ) as client:
        yield client
