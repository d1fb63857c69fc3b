"""Running wrk with one of the Lua scripts beside this file and reading its figures back."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from bench.services import ROOT

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Load:
    """wrk's settings for one run."""

    seconds: int = 10
    threads: int = 2
    connections: int = 20


# The percentiles report.lua writes, in its order.
LEVELS = (*range(1, 100), 99.5, 99.9)


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    bytes: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    quantiles_ms: tuple[float, ...] = ()  # the latency at each of LEVELS

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
                quantiles_ms=tuple(us / 1000 for us in figures["quantiles_us"]),
            )
    raise RuntimeError(f"wrk gave no figures:\n{output}")


def run(url: str, script: str, load: Load, env: dict[str, str] | None = None) -> Result:
    return finish(start(url, script, load, env or {}))


def pooled(runs: list[Result]) -> Result:
    """Several runs of the same request as one: their counts added, the percentiles those of
    all their requests together (each run weighs as many requests as it made)."""
    total = sum(run.requests for run in runs)

    def below(latency: float) -> float:
        """The share of all requests answered within `latency`."""
        share = 0.0
        for run in runs:
            within = [
                level for level, ms in zip(LEVELS, run.quantiles_ms, strict=True) if ms <= latency
            ]
            share += run.requests * (max(within, default=0) / 100)
        return share / total if total else 0.0

    def percentile(level: float) -> float:
        candidates = sorted({ms for run in runs for ms in run.quantiles_ms})
        return next((ms for ms in candidates if below(ms) >= level / 100), candidates[-1])

    return Result(
        requests=total,
        seconds=sum(run.seconds for run in runs),
        bytes=sum(run.bytes for run in runs),
        p50_ms=percentile(50),
        p99_ms=percentile(99),
        max_ms=max(run.max_ms for run in runs),
        errors=sum(run.errors for run in runs),
    )


def side_by_side(
    ours: tuple[str, dict[str, str]],
    theirs: tuple[str, dict[str, str]],
    load: Load,
) -> tuple[Result, Result]:
    """The same request on two servers for load.seconds each, in turns of two seconds, in the
    order ABBAAB…: a machine that speeds up or slows down during the run weighs on both alike."""
    turns = max(1, load.seconds // 2)
    slice_ = replace(load, seconds=load.seconds // turns)
    runs: tuple[list[Result], list[Result]] = ([], [])
    for turn in range(turns):
        order = (0, 1) if turn % 2 == 0 else (1, 0)
        for side in order:
            url, env = (ours, theirs)[side]
            runs[side].append(run(url, "report.lua", slice_, env))
    return pooled(runs[0]), pooled(runs[1])
