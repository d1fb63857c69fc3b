"""Running wrk with one of the Lua scripts beside this file and reading its figures back."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bench.services import ROOT

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Load:
    """wrk's settings for one run."""

    seconds: int = 10
    threads: int = 2
    connections: int = 20


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    bytes: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def command(url: str, script: str, load: Load) -> list[str]:
    return [
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{load.seconds}s",
        "--timeout",
        "10s",
        "-s",
        str((HERE / script).relative_to(ROOT)),
        url,
    ]


def start(url: str, script: str, load: Load, env: dict[str, str]) -> subprocess.Popen[str]:
    """wrk in the background, for runs that overlap; read it with `finish`."""
    return subprocess.Popen(
        command(url, script, load),
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> Result:
    output, _ = process.communicate()
    for line in output.splitlines():
        if line.startswith("BENCH "):
            figures = json.loads(line.removeprefix("BENCH "))
            return Result(
                requests=figures["requests"],
                seconds=figures["duration_us"] / 1e6,
                bytes=figures["bytes"],
                p50_ms=figures["p50_us"] / 1000,
                p99_ms=figures["p99_us"] / 1000,
                max_ms=figures["max_us"] / 1000,
                errors=figures["status_errors"] + figures["socket_errors"],
            )
    raise RuntimeError(f"wrk gave no figures:\n{output}")


def run(url: str, script: str, load: Load, env: dict[str, str] | None = None) -> Result:
    return finish(start(url, script, load, env or {}))
