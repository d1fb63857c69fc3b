"""Times login and forgotten-key requests for known and unknown addresses, side by side.

    .venv/bin/python -m bench.enumeration [--rounds 40]

Runs the app in-process on an embedded PostgreSQL with production argon2 parameters, and
writes the medians to bench/ENUMERATION.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

import settings as settings_module

HERE = Path(__file__).parent
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def token(client: httpx.AsyncClient, path: str) -> str:
    match = CSRF.search((await client.get(path)).text)
    assert match
    return match.group(1)


async def timed(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> tuple[float, int]:
    data = {**data, "csrf_token": await token(client, path)}
    started = time.perf_counter()
    answer = await client.post(path, data=data)
    return time.perf_counter() - started, answer.status_code


def visitor(app: Any, n: int) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(f"10.99.{n // 250}.{n % 250 + 1}", 1))
    return httpx.AsyncClient(transport=transport, base_url="http://localhost")


async def measure(rounds: int, folder: Path) -> dict[str, list[float]]:
    os.environ.update(
        {
            "APP_ENV": "development",
            "DATA_DIR": str(folder),
            "THROTTLE_SIGNUP_IP": "100000/60",
            "THROTTLE_LOGIN_IP": "100000/60",
            "THROTTLE_FORGOT_IP": "100000/60",
        }
    )
    from app import create_app

    application = create_app(settings_module.load())
    times: dict[str, list[float]] = {
        k: [] for k in ("login known", "login unknown", "forgot known", "forgot unknown")
    }
    try:
        async with application.router.lifespan_context(application):
            known = []
            for n in range(rounds):
                email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
                async with visitor(application, n) as c:
                    await c.post(
                        "/auth/signup",
                        data={"email": email, "csrf_token": await token(c, "/auth/signup")},
                    )
                known.append(email)
            for n, email in enumerate(known):
                unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
                async with visitor(application, 1000 + n) as c:
                    for label, path, address in (
                        ("login known", "/auth/login", email),
                        ("login unknown", "/auth/login", unknown),
                        ("forgot known", "/auth/forgotkey", email),
                        ("forgot unknown", "/auth/forgotkey", unknown),
                    ):
                        seconds, status = await timed(
                            c, path, {"email": address, "key": "not-the-key"}
                        )
                        if status not in (303, 422):
                            raise SystemExit(f"{label}: answered {status}, not a form's answer")
                        times[label].append(seconds)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return times


def report(times: dict[str, list[float]], rounds: int) -> str:
    def median_ms(label: str) -> float:
        return statistics.median(times[label]) * 1000

    lines = [
        "# Known and unknown addresses: timings",
        "",
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()},"
        f" {os.cpu_count()} cores,"
        f" with `.venv/bin/python -m bench.enumeration --rounds {rounds}`: the app in-process,"
        " embedded PostgreSQL, production argon2 parameters (m=19 MiB, t=2), requests alternating.",
        "",
        "| flow | known address, median ms | unknown address, median ms | unknown / known |",
        "|---|---|---|---|",
    ]
    for flow in ("login", "forgot"):
        known, unknown = median_ms(f"{flow} known"), median_ms(f"{flow} unknown")
        lines.append(f"| {flow} | {known:.1f} | {unknown:.1f} | {unknown / known:.2f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    data_dir = Path(".data").resolve()
    data_dir.mkdir(exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="bench-enum-", dir=data_dir))
    text = report(asyncio.run(measure(args.rounds, folder)), args.rounds)
    (HERE / "ENUMERATION.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
