"""The figures of a run as markdown, written below the marker in bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.checks import Finding
from bench.wrk import Load, Result

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
MARKER = "<!-- figures: written by `make bench` below this line -->"


@dataclass(frozen=True)
class Row:
    name: str
    app: Result
    floor: Result | None = None
    target: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.floor is None or not self.floor.rate:
            return None
        return self.app.rate / self.floor.rate

    @property
    def met(self) -> bool | None:
        if self.target is None or self.ratio is None:
            return None
        return self.ratio >= self.target


@dataclass
class Run:
    load: Load
    command: str
    rows: list[Row] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    floor_rss_mib: list[float] = field(default_factory=list)
    resident_mib: list[float] = field(default_factory=list)
    floor_resident_mib: list[float] = field(default_factory=list)


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next(
        (line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if "model name" in line),
        platform.processor() or "unknown",
    )
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    total_kib = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal"))
    return (
        f"{os.cpu_count()} CPUs (nproc), {model}, {total_kib / 1024 / 1024:.1f} GiB RAM,"
        f" Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def _mark(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "**no**")


def markdown(run: Run) -> str:
    load = run.load
    lines = [
        f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `{run.command}`"
        " (the Makefile runs `.venv/bin/python -m bench.run $(BENCH_ARGS)`).",
        f"Machine: {machine()}.",
        f"wrk: {load.seconds} s per endpoint, {load.threads} threads, {load.connections}"
        " connections; app and floor each under `uvicorn --workers 2`; a page's app and floor"
        " runs in turns of 2 s (ABBA…), their percentiles pooled over the turns.",
        "",
        "| endpoint | app req/s | p50 ms | p99 ms | errors | floor req/s | app/floor | target"
        " | met |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in run.rows:
        floor = f"{row.floor.rate:,.0f}" if row.floor else ""
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else ""
        target = f"≥ {row.target}" if row.target is not None else ""
        lines.append(
            f"| {row.name} | {row.app.rate:,.0f} | {row.app.p50_ms:.1f} | {row.app.p99_ms:.1f}"
            f" | {row.app.errors} | {floor} | {ratio} | {target} | {_mark(row.met)} |"
        )

    def mib(figures: list[float]) -> str:
        return ", ".join(f"{figure:.0f}" for figure in figures)

    lines += [
        "",
        f"Peak RSS per worker (VmHWM): app {mib(run.rss_mib)} MiB; floor"
        f" {mib(run.floor_rss_mib)} MiB. Resident after the runs and a rest (VmRSS): app"
        f" {mib(run.resident_mib)} MiB; floor {mib(run.floor_resident_mib)} MiB.",
        "",
        "| check | figure | met |",
        "|---|---|---|",
    ]
    lines += [f"| {f.name} | {f.figure} | {_mark(f.ok)} |" for f in run.findings]
    return "\n".join(lines) + "\n"


def write(run: Run) -> str:
    """Replaces the figures below the marker, keeping the explanation above it."""
    text = RESULTS.read_text() if RESULTS.exists() else f"# Benchmark results\n\n{MARKER}\n"
    head = text.split(MARKER, 1)[0] if MARKER in text else text.rstrip() + "\n\n"
    figures = markdown(run)
    RESULTS.write_text(f"{head}{MARKER}\n\n{figures}")
    return figures
