"""The Procfile's web command, as a platform runs it: production settings, several workers."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.reliability_helpers import WAIT
from tests.servers import ROOT, RUN_DIR, Mailbox, Postgres, free_port


def web_command(procfile: Path = ROOT / "Procfile") -> str:
    for line in procfile.read_text().splitlines():
        kind, _, command = line.partition(":")
        if kind.strip() == "web":
            return command.strip()
    raise AssertionError("the Procfile has no web process")


@pytest.fixture
def procfile_web(postgres: Postgres, mailbox: Mailbox) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "APP_ENV": "production",
        "SECRET_KEY": "a-production-secret-for-the-procfile-test-0123456789",
        "DATABASE_URL": postgres.create_database(),
        "BASE_URL": "https://minimal-user.example",
        # The test reaches the site by its address, as a load balancer's health check does.
        "ALLOWED_HOSTS": "minimal-user.example,127.0.0.1",
        "SMTP_URL": mailbox.url,
        "DATA_DIR": str(RUN_DIR / "procfile"),
    }
    log = RUN_DIR / f"procfile-{port}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            ["/bin/sh", "-c", f"exec {web_command()}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + WAIT
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Procfile's web did not start: {log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/robots.txt", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
        process.send_signal(signal.SIGTERM)
        process.wait(WAIT)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_the_procfile_web_command_serves_the_site_in_production(procfile_web: str) -> None:
    about = httpx.get(f"{procfile_web}/about", timeout=WAIT)
    assert about.status_code == 200
    assert "strict-transport-security" in about.headers
    assert "server" not in about.headers
    home = httpx.get(f"{procfile_web}/", timeout=WAIT)
    assert home.status_code == 200
    assert 'href="https://minimal-user.example/"' in home.text, "BASE_URL, not the Host header"
