"""`make lighthouse`: Lighthouse (mobile) on the public pages and a member's profile, against the
app served as in production on a PostgreSQL of its own; writes bench/LIGHTHOUSE.md.

python -m bench.lighthouse [--runs 3] [--no-write]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.results import machine
from bench.seed import confirmed_member
from bench.services import MailSink, Postgres, Uvicorn

# Fetched by `npm exec` into npm's own cache: never a dependency of the site or of `make test`.
LIGHTHOUSE = "lighthouse@12.2.3"
CHROMIUM_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-quic --disable-background-networking"
    " --disable-component-update --disable-sync --no-first-run"
)
REPORT = Path(__file__).resolve().parent / "LIGHTHOUSE.md"
CATEGORIES = {
    "performance": "Performance",
    "accessibility": "Accessibility",
    "best-practices": "Best practices",
    "seo": "SEO",
}
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 100, "seo": 100}
TYPES = ("document", "stylesheet", "script", "font", "image", "other")
ATTEMPTS = 3


@dataclass(frozen=True)
class Page:
    path: str
    member: bool = False

    @property
    def targets(self) -> dict[str, int]:
        # The profile is kept out of search engines (robots.txt), which is what SEO audits.
        return {k: v for k, v in TARGETS.items() if not (self.member and k == "seo")}


PAGES = (
    Page("/"),
    Page("/about"),
    Page("/auth/login"),
    Page("/auth/signup"),
    Page("/auth/userprofile", member=True),
)


@dataclass(frozen=True)
class Audit:
    """One page's median run."""

    page: Page
    report: dict[str, Any]

    def score(self, category: str) -> int:
        return round(100 * (self.report["categories"][category]["score"] or 0))

    def value(self, audit: str) -> float:
        return float(self.report["audits"][audit]["numericValue"])

    def transfer(self) -> dict[str, tuple[int, int]]:
        """Bytes and requests by resource type."""
        items = self.report["audits"]["resource-summary"]["details"]["items"]
        return {i["resourceType"]: (i["transferSize"], i["requestCount"]) for i in items}

    def misses(self) -> list[str]:
        """Audits that cost points in the categories other than performance."""
        found = []
        for category in ("accessibility", "best-practices", "seo"):
            for ref in self.report["categories"][category]["auditRefs"]:
                audit = self.report["audits"][ref["id"]]
                if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                    found.append(f"{self.page.path}, {CATEGORIES[category]}: {audit['title']}")
        return found

    def errors(self) -> set[str]:
        """Audits this Lighthouse could not run in this browser, and the weight they lose."""
        weights = {
            ref["id"]: ref["weight"]
            for category in self.report["categories"].values()
            for ref in category["auditRefs"]
        }
        return {
            f"*{audit['title']}* (weight {weights.get(key, 0)}):"
            f" {(audit.get('errorMessage') or '').splitlines()[0]}"
            for key, audit in self.report["audits"].items()
            if audit.get("scoreDisplayMode") == "error"
        }

    def met(self) -> bool:
        return all(self.score(c) >= t for c, t in self.page.targets.items())


def lighthouse(url: str, cookie: str, folder: Path) -> dict[str, Any]:
    chromium = shutil.which("chromium")
    if chromium is None:
        sys.exit("chromium is missing: make browser (as root) installs it.")
    output = folder / "report.json"
    command = ["npm", "exec", "--yes", f"--package={LIGHTHOUSE}", "--", "lighthouse", url]
    command += ["--quiet", "--output=json", f"--output-path={output}"]
    command += [f"--only-categories={','.join(CATEGORIES)}", f"--chrome-flags={CHROMIUM_FLAGS}"]
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    env = {**os.environ, "CHROME_PATH": chromium}
    # A busy machine now and then fails a run (Chromium slow to start): it is tried again.
    for attempt in range(1, ATTEMPTS + 1):
        output.unlink(missing_ok=True)
        answer = subprocess.run(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        report: dict[str, Any] = json.loads(output.read_text()) if output.exists() else {}
        problem = report.get("runtimeError") or (answer.returncode and answer.stderr[-2000:])
        if report and not problem:
            break
        print(f"Lighthouse on {url}, attempt {attempt}: {problem}", file=sys.stderr, flush=True)
    else:
        raise RuntimeError(f"Lighthouse failed {ATTEMPTS} times on {url}")
    if report["finalDisplayedUrl"] != url:
        raise RuntimeError(f"{url} ended at {report['finalDisplayedUrl']}")
    return report


def audit(base_url: str, page: Page, cookie: str, runs: int) -> Audit:
    """The run of median performance score, as Lighthouse advises for its variance."""
    reports = []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(runs):
            reports.append(lighthouse(base_url + page.path, cookie, Path(folder)))
    reports.sort(key=lambda r: r["categories"]["performance"]["score"] or 0)
    found = Audit(page, reports[len(reports) // 2])
    scores = ", ".join(f"{c} {found.score(c)}" for c in CATEGORIES)
    print(f"{page.path}: {scores}", flush=True)
    return found


def measure(runs: int) -> list[Audit]:
    with contextlib.ExitStack() as stack:
        pg = Postgres()
        stack.callback(pg.stop)
        mail = stack.enter_context(MailSink())
        app = Uvicorn("app:app", {}, pg.folder / "app.log")
        app.env = {
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(36),
            "DATABASE_URL": pg.create_database("lighthouse"),
            "BASE_URL": app.url,
            "SMTP_URL": mail.url,
            "DATA_DIR": str(pg.folder / "app"),
        }
        stack.enter_context(app)
        member = confirmed_member(app.url, mail)
        return [audit(app.url, p, member.cookie if p.member else "", runs) for p in PAGES]


def chromium_version() -> str:
    answer = subprocess.run(["chromium", "--version"], capture_output=True, text=True)
    return answer.stdout.strip().splitlines()[-1] if answer.stdout.strip() else "unknown"


def kib(size: float) -> str:
    return f"{size / 1024:.1f}"


def markdown(audits: list[Audit], runs: int, command: str) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Lighthouse",
        "",
        f"Written by `{command}` (bench/lighthouse.py) on {when}.",
        "",
        f"- Machine: {machine()}.",
        f"- {LIGHTHOUSE.replace('@', ' ')}, default mobile settings (Moto G Power screen,"
        " simulated slow 4G: 150 ms, 1.6 Mbit/s; CPU slowed down 4 times),"
        f" in {chromium_version()} (`{CHROMIUM_FLAGS}`).",
        "- The app under uvicorn (2 workers) with `APP_ENV=production`, on its own PostgreSQL;"
        " the profile as a confirmed member (its session cookie), the other pages as a new guest.",
        f"- Each page: the median of {runs} runs by performance score.",
        "",
        "| Page | Performance | Accessibility | Best practices | SEO | FCP | LCP | TBT | CLS"
        " | Transfer (KiB) | Targets |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for found in audits:
        scores = [str(found.score(c)) for c in CATEGORIES]
        if found.page.member:
            scores[3] += " (not a target)"
        lines.append(
            f"| `{found.page.path}` | {' | '.join(scores)}"
            f" | {found.value('first-contentful-paint') / 1000:.1f} s"
            f" | {found.value('largest-contentful-paint') / 1000:.1f} s"
            f" | {found.value('total-blocking-time'):.0f} ms"
            f" | {found.value('cumulative-layout-shift'):.3f}"
            f" | {kib(found.value('total-byte-weight'))}"
            f" | {'met' if found.met() else '**missed**'} |"
        )
    lines += [
        "",
        "Targets: performance at least 95; accessibility, best practices and SEO 100. The"
        " profile's SEO is no target: robots.txt disallows `/auth/userprofile` (a crawler is"
        " only ever redirected to the login there), so Lighthouse's *Page is blocked from"
        " indexing* audit fails on it by design.",
        "",
        "## Transfer by type",
        "",
        "KiB over the wire (gzip), requests in brackets.",
        "",
        "| Page | " + " | ".join(t.capitalize() for t in TYPES) + " | Total |",
        "|---|" + "---:|" * (len(TYPES) + 1),
    ]
    for found in audits:
        sizes = found.transfer()
        cells = [f"{kib(sizes[t][0])} ({sizes[t][1]})" for t in (*TYPES, "total")]
        lines.append(f"| `{found.page.path}` | " + " | ".join(cells) + " |")
    misses = [m for found in audits for m in found.misses()]
    lines += ["", "## Audits that cost points", ""]
    lines += [f"- {m}" for m in misses] or ["None outside performance."]
    errors = sorted(set().union(*(found.errors() for found in audits)))
    if errors:
        lines += ["", "## Audits this Lighthouse could not run in this Chromium", ""]
        lines += [f"- {e}" for e in errors]
        lines += ["", "An audit of weight 0 counts in no score; the scores and metrics stand."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print, leave LIGHTHOUSE.md alone")
    options = parser.parse_args()
    args = " ".join(sys.argv[1:])
    command = f"make lighthouse LIGHTHOUSE_ARGS='{args}'" if args else "make lighthouse"
    text = markdown(measure(options.runs), options.runs, command)
    if options.no_write:
        print(text)
    else:
        REPORT.write_text(text)
        print(f"Written to {REPORT}")


if __name__ == "__main__":
    main()
