"""The figures of `make bench-scale` as markdown, written below the marker in bench/SCALE.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench.results import machine
from bench.scale_db import Drain
from bench.scale_watch import Locks, Sweep
from bench.wrk import Load, Result

SCALE = Path(__file__).resolve().parent / "SCALE.md"
MARKER = "<!-- figures: written by `make bench-scale` below this line -->"
REQUEST_TARGET = 1.3
SWEEP_TARGET = 2.0
LOCK_TARGET_MS = 100.0
X = "\N{MULTIPLICATION SIGN}"


@dataclass
class Figures:
    """One database's: how it was seeded, then what was measured on it."""

    accounts: int
    seeding: dict[str, float] = field(default_factory=dict)
    sizes: dict[str, str] = field(default_factory=dict)
    requests: dict[str, Result] = field(default_factory=dict)
    quiet: tuple[Result, Result] | None = None  # the home page, logins: no sweep
    quiet_locks: Locks | None = None
    swept: tuple[Result, Result] | None = None  # the same while the sweep runs
    sweep: Sweep | None = None
    drain: Drain | None = None


@dataclass
class ScaleRun:
    command: str
    postgres: str
    load: Load
    pending: int
    note: str = ""
    empty: Figures | None = None
    full: Figures | None = None
    seconds: float = 0.0
    missed: list[str] = field(default_factory=list)


def _ratio(full: float, empty: float) -> float:
    """full / empty; NaN (never within a target) when either is missing: no request finished."""
    return full / empty if full and empty else float("nan")


def _times(ratio: float) -> str:
    return "n/a" if ratio != ratio else f"{ratio:.2f}"


def _mark(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _mark_or_blank(ok: bool | None) -> str:
    return "" if ok is None else _mark(ok)


def _requests(run: ScaleRun, empty: Figures, full: Figures) -> list[str]:
    lines = [
        f"| request | empty req/s | p50 ms | p99 ms | {full.accounts:,} req/s | p50 ms | p99 ms"
        f" | p50 {X} | p99 {X} | errors | within {REQUEST_TARGET}{X} |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, small in empty.requests.items():
        big = full.requests[name]
        p50, p99 = _ratio(big.p50_ms, small.p50_ms), _ratio(big.p99_ms, small.p99_ms)
        ok = p50 <= REQUEST_TARGET and p99 <= REQUEST_TARGET and not big.errors + small.errors
        if not ok:
            run.missed.append(
                f"{name}: p50 {_times(p50)}{X}, p99 {_times(p99)}{X} the empty database's,"
                f" {small.errors + big.errors} errors"
            )
        lines.append(
            f"| {name} | {small.rate:,.0f} | {small.p50_ms:.1f} | {small.p99_ms:.1f}"
            f" | {big.rate:,.0f} | {big.p50_ms:.1f} | {big.p99_ms:.1f} | {_times(p50)}"
            f" | {_times(p99)} | {small.errors + big.errors} | {_mark(ok)} |"
        )
    return lines


def _sweep(run: ScaleRun, empty: Figures, full: Figures) -> list[str]:
    assert empty.sweep and full.sweep and full.quiet and full.swept
    assert empty.quiet_locks and full.quiet_locks
    sweeps = (empty.sweep, full.sweep)
    lines = [
        f"| one sweep | empty | {full.accounts:,} accounts | target | met |",
        "|---|---:|---:|---|---|",
    ]

    def row(label: str, cells: list[str], target: str = "", ok: bool | None = None) -> None:
        lines.append(f"| {label} | {cells[0]} | {cells[1]} | {target} | {_mark_or_blank(ok)} |")

    row("rows removed", [f"{sum(s.removed.values()):,}" for s in sweeps])
    row("error", [s.error or "none" for s in sweeps], "none", not sweeps[1].error)
    if sweeps[1].error:
        run.missed.append(f"the sweep failed at scale: {sweeps[1].error}")
    row("duration", [f"{s.seconds:.1f} s" for s in sweeps])
    for index, name in ((0, "member home `/`"), (1, "login POST")):
        cells = []
        for figures in (empty, full):
            assert figures.quiet and figures.swept
            alone, swept = figures.quiet[index].p99_ms, figures.swept[index].p99_ms
            cells.append(f"{alone:.1f} → {swept:.1f} ms ({_times(_ratio(swept, alone))}{X})")
        label = f"{name} p99, without → during the sweep"
        if index:  # logins have no target: their hashing thread yields the CPU by design
            row(label, cells)
            continue
        factor = _ratio(full.swept[index].p99_ms, full.quiet[index].p99_ms)
        ok = factor <= SWEEP_TARGET
        if not ok:
            run.missed.append(f"{name} p99 during the sweep: {_times(factor)}{X} without it")
        row(label, cells, f"≤ {SWEEP_TARGET}{X}", ok)
    for label, values, missed in (
        (
            "longest a sweep transaction held row locks, seen by the server every 20 ms",
            [s.locks.holding_ms for s in sweeps],
            "a sweep transaction was seen holding its row locks {:.0f} ms",
        ),
        (
            "longest wait for a lock the sweep held",
            [s.locks.sweep_blocked_ms for s in sweeps],
            "a backend waited {:.0f} ms for a lock the sweep held",
        ),
    ):
        ok = values[1] <= LOCK_TARGET_MS
        if not ok:
            run.missed.append(missed.format(values[1]))
        row(label, [f"{v:.0f} ms" for v in values], f"≤ {LOCK_TARGET_MS:.0f} ms", ok)
    quiet = (empty.quiet_locks, full.quiet_locks)
    row(
        "longest lock wait of any kind, without the sweep",
        [f"{q.longest_wait_ms:.0f} ms" for q in quiet],
    )
    row("… during the sweep", [f"{s.locks.longest_wait_ms:.0f} ms" for s in sweeps])
    row(
        "samples with a backend waiting for a lock, without",
        [f"{q.waiting} of {q.samples}" for q in quiet],
    )
    row("… during the sweep", [f"{s.locks.waiting} of {s.locks.samples}" for s in sweeps])
    row("the sweep's backend, sample by sample", [s.locks.busiest() for s in sweeps])
    kinds = ", ".join(f"{kind} {n:,}" for kind, n in sweeps[1].removed.items() if n)
    lines += ["", f"Removed at {full.accounts:,} accounts: {kinds or 'nothing'}."]
    for label, locks in (("without the sweep", quiet[1]), ("during the sweep", sweeps[1].locks)):
        if locks.longest_wait:
            lines.append(
                f"The longest lock wait at {full.accounts:,} accounts {label},"
                f" {locks.longest_wait_ms:.0f} ms: `{locks.longest_wait}`."
            )
    return lines


def _drain(run: ScaleRun, empty: Figures, full: Figures) -> list[str]:
    assert empty.drain and full.drain
    lines = [
        "| outbox dispatcher, 2 workers | messages made due | delivered | reached the sink"
        " | first to last delivery | per second |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, drain in (("empty", empty.drain), (f"{full.accounts:,} accounts", full.drain)):
        lines.append(
            f"| {label} | {drain.messages:,} | {drain.sent:,} | {drain.received:,}"
            f" | {drain.seconds:.1f} s | {drain.rate:,.0f} |"
        )
    factor = _ratio(empty.drain.rate, full.drain.rate)
    ok = factor <= REQUEST_TARGET and full.drain.sent == full.drain.messages
    if not ok:
        run.missed.append(f"the dispatcher: {_times(factor)}{X} slower than on the empty database")
    within = f"within {REQUEST_TARGET}{X}: {_mark(ok)}"
    lines += ["", f"The empty database's rate over the big one's: {_times(factor)}{X} ({within})."]
    return lines


def _seeding(empty: Figures, full: Figures) -> list[str]:
    steps = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in full.seeding.items())
    sizes = ", ".join(f"{name} {size}" for name, size in full.sizes.items())
    return [
        f"Seeded {full.accounts:,} accounts: {steps}. Sizes: {sizes}.",
        f"The empty database holds {empty.accounts} accounts seeded the same way (the members"
        " who log in) and the same pending mail.",
    ]


def markdown(run: ScaleRun) -> str:
    empty, full = run.empty, run.full
    assert empty and full
    run.missed.clear()
    load = run.load
    lines = [
        f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, `{run.command}` (the Makefile runs"
        " `.venv/bin/python -m bench.scale $(SCALE_ARGS)`); the whole run took"
        f" {run.seconds / 60:.1f} min.",
        f"Machine: {machine()}; PostgreSQL {run.postgres} (pgserver's, its default"
        " configuration but max_wal_size 16GB and checkpoint_timeout 30min for the seeding).",
    ]
    if run.note:
        lines.append(f"Note: {run.note}")
    lines += [
        "",
        *_seeding(empty, full),
        "",
        f"wrk: {load.seconds} s per request, {load.threads} threads, {load.connections}"
        " connections; the app under `uvicorn --workers 2`, APP_ENV=production, throttles"
        " raised (THROTTLE_*).",
        "",
        *_requests(run, empty, full),
        "",
        "The sweep: services/housekeeping.py's, on a pool configured as the app's, while the"
        " member's home page (wrk, 8 connections) and logins (4 connections) run against the"
        f' app; "without" is the same load for {load.seconds} s just before (after 3 s to warm'
        f' up), "during" lasts as long as the sweep, at least {load.seconds} s. Locks sampled'
        " from pg_locks and pg_stat_activity every 20 ms, with how long the sweep's open"
        " transaction has held row locks.",
        "",
        *_sweep(run, empty, full),
        "",
        f"The dispatcher: {run.pending:,} pending emails, seeded with their due date a year"
        " ahead and then made due at once, delivered by SMTP to a sink (aiosmtpd).",
        "",
        *_drain(run, empty, full),
        "",
        "Targets missed: " + ("none." if not run.missed else ""),
        *(f"- {missed}" for missed in run.missed),
    ]
    return "\n".join(lines) + "\n"


def write(run: ScaleRun) -> str:
    """Replaces the figures below the marker, keeping the explanation above it."""
    text = SCALE.read_text() if SCALE.exists() else f"# At scale\n\n{MARKER}\n"
    head = text.split(MARKER, 1)[0] if MARKER in text else text.rstrip() + "\n\n"
    figures = markdown(run)
    SCALE.write_text(f"{head}{MARKER}\n\n{figures}")
    return figures
