"""What the benchmark runs beside wrk: its own PostgreSQL, an SMTP sink and uvicorn servers."""

from __future__ import annotations

import email.policy
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
import warnings
from collections import defaultdict
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
UVICORN = ROOT / ".venv" / "bin" / "uvicorn"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Postgres:
    """A pgserver instance in .data/bench-*, deleted with its folder when stopped."""

    def __init__(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver

        self.folder = ROOT / ".data" / f"bench-{uuid.uuid4().hex[:8]}"
        self.folder.mkdir(parents=True)
        self.server = pgserver.get_server(self.folder / "pg", cleanup_mode="delete")
        self.socket_dir = self.server.get_uri().split("host=", 1)[1]

    def create_database(self, name: str) -> str:
        self.server.psql(f"create database {name};")
        return f"postgresql://postgres@localhost/{name}?host={self.socket_dir}"

    def stop(self) -> None:
        self.server.cleanup()
        shutil.rmtree(self.folder, ignore_errors=True)


ACCESS_KEY_LINE = re.compile(r"^Access key: (\S+)\r?$", re.MULTILINE)
CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/emailconfirmationhtml/\S+)")


def plain_text(message: EmailMessage) -> str:
    """The plain-text part of a message, decoded ("" when it has none)."""
    body = message.get_body(("plain",))
    return str(body.get_content()) if body is not None else ""


@dataclass(frozen=True)
class SignupEmail:
    """What a new member reads in the sign-up email: the access key and the confirmation link."""

    key: str
    link: str  # the path of the confirmation link, /emailconfirmationhtml/<token>


def read_signup_email(message: EmailMessage) -> SignupEmail | None:
    """The `Access key:` line and the confirmation link of the plain-text part, if it has both."""
    text = plain_text(message)
    key, link = ACCESS_KEY_LINE.search(text), CONFIRM_LINK.search(text)
    if key is None or link is None:
        return None
    return SignupEmail(key.group(1), link.group(1))


class MailSink:
    """An SMTP server that keeps every message by recipient, so sign-ups can read their email."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: dict[str, list[EmailMessage]] = defaultdict(list)
        self.arrived = threading.Condition()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.arrived:
            for recipient in envelope.rcpt_tos:
                self.received[recipient.lower()].append(message)
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def signup_email(self, recipient: str, timeout: float = 20.0) -> SignupEmail:
        """Waits for the sign-up email to that address and reads it, as its owner would."""
        deadline = time.monotonic() + timeout
        mailbox = recipient.lower()
        with self.arrived:
            while True:
                for message in self.received.get(mailbox, []):
                    letter = read_signup_email(message)
                    if letter is not None:
                        return letter
                left = deadline - time.monotonic()
                if left <= 0:
                    subjects = [str(m["Subject"]) for m in self.received.get(mailbox, [])]
                    raise RuntimeError(
                        f"no sign-up email (access key and link) reached {recipient}"
                        f" within {timeout:.0f} s; received: {subjects or 'nothing'}"
                    )
                self.arrived.wait(left)

    def __enter__(self) -> MailSink:
        self.controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.controller.stop()


class Uvicorn:
    """`uvicorn <target> --workers N` in its own process group, with its log in a file."""

    def __init__(self, target: str, env: dict[str, str], log: Path, workers: int = 2) -> None:
        self.target = target
        self.env = env
        self.log = log
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def launch(self) -> float:
        """Starts the server and returns the monotonic time just before."""
        command = [str(UVICORN), self.target, "--host", "127.0.0.1", "--port", str(self.port)]
        command += ["--workers", str(self.workers), "--no-access-log", "--log-level", "warning"]
        command += ["--no-proxy-headers"]
        started = time.monotonic()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env={**os.environ, **self.env}, stdout=log, stderr=log
            )
        return started

    def wait_until_served(self, path: str = "/", timeout: float = 60.0) -> float:
        """Polls `path` until it answers 200; returns the monotonic time it did."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.target} exited:\n{self.log.read_text()[-3000:]}")
                try:
                    if client.get(self.url + path).status_code == 200:
                        return time.monotonic()
                except httpx.HTTPError:
                    pass
                time.sleep(0.01)
        raise RuntimeError(f"{self.target} did not answer:\n{self.log.read_text()[-3000:]}")

    def start(self) -> Uvicorn:
        self.launch()
        self.wait_until_served()
        return self

    def worker_pids(self) -> list[int]:
        """The worker processes uvicorn spawned (or the server itself with one worker)."""
        assert self.process is not None
        if self.workers == 1:
            return [self.process.pid]
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid and b"spawn_main" in cmdline:
                pids.append(int(entry.name))
        return sorted(pids)

    def peak_rss_mib(self, field: str = "VmHWM") -> list[float]:
        """VmHWM of each worker, in MiB (or another field of /proc/PID/status: VmRSS)."""
        peaks = []
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith(f"{field}:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return peaks

    def cpu_seconds(self) -> float:
        """The CPU time the workers have used so far (user and system)."""
        ticks = 0
        for pid in self.worker_pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def __enter__(self) -> Uvicorn:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
