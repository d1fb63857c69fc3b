"""Mixed-traffic load test: browse, sign up (and follow the emailed link), log in, edit the profile.

By default it starts everything it needs: an embedded PostgreSQL (pgserver) under ./.data, an SMTP
sink (aiosmtpd) in this process, and the app as production runs it (`uvicorn app:app --workers 2`,
APP_ENV=production). It then runs a fixed number of virtual users, each one request at a time,
for --duration seconds, and reports throughput, p50/p99 per request kind, every 5xx, and whether
every sign-up's email reached the sink. Run by hand (see bench/LOAD.md), never inside pytest.

Each virtual user sends a distinct X-Forwarded-For per visit and the app trusts one proxy hop
(TRUSTED_PROXY_COUNT=1), as it would behind a reverse proxy: the per-IP throttles then see many
clients, as they would in production, instead of one machine signing up thousands of accounts.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import itertools
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ACCESS_KEY_LINE = re.compile(r"^Access key: (\S+)\r?$", re.MULTILINE)
CONFIRM_LINK = re.compile(r"/emailconfirmationhtml/\S+")
IMAGE = re.compile(r'href="(/album/imagedetails/\d+)"')
BROWSE = ["/", "/about", "/privacy-notice", "/terms-of-service", "/robots.txt", "/sitemap.xml"]


class Sink:
    """The SMTP server the app sends to: every message, by recipient, with its arrival time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.received: dict[str, list[tuple[float, EmailMessage]]] = defaultdict(list)
        self.arrived = asyncio.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.loop.call_soon_threadsafe(self._keep, str(message["To"]), message, time.monotonic())
        return "250 Message accepted for delivery"

    def _keep(self, recipient: str, message: EmailMessage, at: float) -> None:
        self.received[recipient].append((at, message))
        self.arrived.set()

    async def wait_for(self, recipient: str, within: float) -> tuple[float, EmailMessage] | None:
        deadline = time.monotonic() + within
        while not self.received.get(recipient):
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), timeout=min(left, 0.5))
            except TimeoutError:
                pass
        return self.received[recipient][0]


@dataclass
class Stats:
    started: float = field(default_factory=time.monotonic)
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    unexpected: list[str] = field(default_factory=list)
    signups: dict[str, float] = field(default_factory=dict)
    deliveries: list[float] = field(default_factory=list)

    def record(self, kind: str, status: int, seconds: float, expected: int) -> None:
        self.timings[kind].append(seconds)
        self.statuses[kind][status] += 1
        if status != expected and len(self.unexpected) < 20:
            self.unexpected.append(f"{kind}: {status} (expected {expected})")


class Person:
    """One virtual user: a browser (cookies, one request at a time) at one forwarded address."""

    def __init__(self, base: str, stats: Stats, sink: Sink, address: str) -> None:
        self.stats = stats
        self.sink = sink
        self.base = base
        self.client = httpx.AsyncClient(
            base_url=base,
            headers={"X-Forwarded-For": address, "User-Agent": "bench/load.py"},
            timeout=30,
        )
        self.cookies: dict[str, str] = {}

    async def close(self) -> None:
        await self.client.aclose()

    def _headers(self) -> dict[str, str]:
        """The cookies this virtual user holds, sent as a browser would send them."""
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    def _keep_cookies(self, response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value

    async def get(self, kind: str, path: str, expected: int = 200) -> httpx.Response:
        started = time.monotonic()
        response = await self.client.get(path, headers=self._headers())
        self.stats.record(kind, response.status_code, time.monotonic() - started, expected)
        self._keep_cookies(response)
        return response

    async def post(
        self, kind: str, path: str, data: dict[str, str], page: str, expected: int = 303
    ) -> httpx.Response:
        form = await self.get("form page", page)
        token = CSRF.search(form.text)
        started = time.monotonic()
        response = await self.client.post(
            path,
            data={**data, "csrf_token": token.group(1) if token else ""},
            headers=self._headers(),
        )
        self.stats.record(kind, response.status_code, time.monotonic() - started, expected)
        self._keep_cookies(response)
        return response

    async def visit(self, number: int) -> None:
        """One visit: look around, sign up, confirm from the email, edit, log out and in again."""
        for path in BROWSE:
            await self.get("browse", path)
        address = f"load-{number}-{secrets.token_hex(4)}@example.com"
        signing_up = time.monotonic()
        welcome = await self.post(
            "signup", "/auth/signup", {"email": address}, "/auth/signup", expected=200
        )
        if welcome.status_code != 200:
            return
        self.stats.signups[address] = signing_up
        arrived = await self.sink.wait_for(address, within=60)
        if arrived is None:
            self.stats.unexpected.append(f"no email for {address} within 60 s")
            return
        self.stats.deliveries.append(arrived[0] - self.stats.signups[address])
        # The key is only in the email now, beside the link: read both from its plain text.
        body = arrived[1].get_body(("plain",))
        text = str(body.get_content()) if body else ""
        link, key = CONFIRM_LINK.search(text), ACCESS_KEY_LINE.search(text)
        if link is None or key is None:
            self.stats.unexpected.append(f"no link or no access key in the email to {address}")
            return
        await self.get("confirm", link.group(0), expected=303)
        album = await self.get("album", "/album/")
        for image in IMAGE.findall(album.text)[:2]:
            await self.get("album", image)
        await self.get("profile", "/auth/userprofile")
        nickname = f"load-{number}-{secrets.token_hex(3)}"
        profile = "/auth/userprofile"
        await self.post("profile edit", f"{profile}/nickname", {"username": nickname}, profile)
        new_key = secrets.token_urlsafe(12)
        await self.post(
            "key change",
            "/auth/userprofile/key",
            {"accesskey": key.group(1), "newaccesskey": new_key, "confirmaccesskey": new_key},
            "/auth/userprofile",
        )
        await self.post("logout", "/auth/logout", {}, "/auth/userprofile")
        await self.post("login", "/auth/login", {"email": address, "key": new_key}, "/auth/login")
        await self.get("browse", "/")
        await self.post("logout", "/auth/logout", {}, "/")


async def virtual_user(
    index: int, base: str, stats: Stats, sink: Sink, until: float, numbers: Iterator[int]
) -> None:
    visit = 0
    while time.monotonic() < until:
        visit += 1
        address = f"10.{index // 256}.{index % 256}.{visit % 250 + 1}"
        person = Person(base, stats, sink, address)
        try:
            await person.visit(next(numbers))
        except httpx.HTTPError as exc:
            stats.unexpected.append(f"{type(exc).__name__}: {exc}")
        finally:
            await person.close()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def report(stats: Stats, elapsed: float, sink: Sink) -> bool:
    total = sum(len(t) for t in stats.timings.values())
    errors = sum(n for s in stats.statuses.values() for code, n in s.items() if code >= 500)
    missing = [a for a in stats.signups if not sink.received.get(a)]
    print(f"\n{total} requests in {elapsed:.1f} s: {total / elapsed:.1f} requests/s")
    print(f"{'kind':<14}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}  statuses")
    for kind, values in sorted(stats.timings.items()):
        codes = ", ".join(f"{c}x{n}" for c, n in sorted(stats.statuses[kind].items()))
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        print(f"{kind:<14}{len(values):>7}{p50:>9.0f}{p99:>9.0f}  {codes}")
    deliveries = stats.deliveries
    print(
        f"sign-ups: {len(stats.signups)}, emails delivered: {len(stats.signups) - len(missing)}"
        f" (from the sign-up form to the sink: p50 {percentile(deliveries, 0.5) * 1000:.0f} ms,"
        f" p99 {percentile(deliveries, 0.99) * 1000:.0f} ms)"
    )
    print(f"5xx: {errors}; unexpected: {len(stats.unexpected)}")
    for line in stats.unexpected:
        print("  ", line)
    return errors == 0 and not missing and not stats.unexpected


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def postgres(folder: Path) -> Iterator[str]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    server = pgserver.get_server(folder / "pg", cleanup_mode="delete")
    try:
        server.psql("create database bench;")
        socket_dir = server.get_uri().split("host=", 1)[1]
        yield f"postgresql://postgres@localhost/bench?host={socket_dir}"
    finally:
        server.cleanup()


@contextmanager
def app(database_url: str, smtp_port: int, workers: int, data_dir: Path) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "APP_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "BASE_URL": base,
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "TRUSTED_PROXY_COUNT": "1",
        "DATA_DIR": str(data_dir),
    }
    command = [
        str(ROOT / ".venv" / "bin" / "uvicorn"),
        "app:app",
        "--host=127.0.0.1",
        f"--port={port}",
        f"--workers={workers}",
        "--no-access-log",
        "--log-level=warning",
        "--no-proxy-headers",
    ]
    print("app:", " ".join(command[1:]), "(APP_ENV=production, TRUSTED_PROXY_COUNT=1)")
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the app did not start")
            try:
                if httpx.get(f"{base}/robots.txt", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


async def run(args: argparse.Namespace) -> bool:
    loop = asyncio.get_running_loop()
    sink = Sink(loop)
    controller = Controller(sink, hostname="127.0.0.1", port=args.smtp_port or free_port())
    controller.start()
    try:
        with target(args.url, controller.port, args.workers) as base:
            stats = Stats()
            until = time.monotonic() + args.duration
            numbers = itertools.count(1)
            print(f"{args.users} virtual users for {args.duration:.0f} s against {base}")
            await asyncio.gather(
                *(virtual_user(i, base, stats, sink, until, numbers) for i in range(args.users))
            )
            elapsed = time.monotonic() - stats.started
            return report(stats, elapsed, sink)
    finally:
        controller.stop()


@contextmanager
def target(url: str | None, smtp_port: int, workers: int) -> Iterator[str]:
    """The app at --url, or one started here with its own PostgreSQL."""
    if url:
        yield url.rstrip("/")
        return
    (ROOT / ".data").mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="bench-", dir=ROOT / ".data"))
    try:
        with (
            postgres(folder) as database_url,
            app(database_url, smtp_port, workers, folder / "app") as base,
        ):
            yield base
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of traffic")
    parser.add_argument("--users", type=int, default=24, help="virtual users at once")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers of the app")
    parser.add_argument(
        "--url", help="an app already running (its SMTP_URL pointing at --smtp-port)"
    )
    parser.add_argument("--smtp-port", type=int, default=0, help="the sink's port")
    args = parser.parse_args()
    if args.url and not args.smtp_port:
        parser.error("--url needs --smtp-port, where the app sends its emails")
    sys.exit(0 if asyncio.run(run(args)) else 1)


if __name__ == "__main__":
    main()
