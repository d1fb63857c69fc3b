"""One-request checks: caching and gzip, cookies, fragment size, the floor's HTML, start-up time."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.seed import Browser, Member
from bench.services import Uvicorn

STATIC_URL = re.compile(r'"(/static/[^"?]+\?v=[0-9a-f]{12})"')
TOKEN = re.compile(r"(csrf_token\" value=\"|X-CSRF-Token\": \")[^\"]+")
IMMUTABLE = "max-age=31536000"
GZIP_MINIMUM = 600  # app.py: GZipMiddleware(minimum_size=600); smaller bodies go plain


@dataclass(frozen=True)
class Finding:
    name: str
    figure: str
    ok: bool


def static_assets(base_url: str) -> Finding:
    """Every static URL in the home page is hashed and cached for a year; text is gzipped."""
    with httpx.Client(base_url=base_url) as client:
        page = client.get("/", headers={"Accept-Encoding": "gzip"})
        urls = STATIC_URL.findall(page.text)
        problems, plain = [], []
        for url in urls:
            answer = client.get(url, headers={"Accept-Encoding": "gzip"})
            cache = answer.headers.get("cache-control", "")
            if answer.status_code != 200 or IMMUTABLE not in cache or "immutable" not in cache:
                problems.append(f"{url}: {answer.status_code} {cache!r}")
            textual = url.split("?")[0].endswith((".css", ".js", ".svg"))
            if textual and answer.headers.get("content-encoding") != "gzip":
                plain.append(f"{url.split('?')[0]} ({len(answer.content)} B)")
        html_gzip = page.headers.get("content-encoding") == "gzip"
    figure = (
        f"{len(urls)} hashed URLs, {len(urls) - len(problems)} with `max-age=31536000, immutable`;"
        f" HTML gzipped: {html_gzip}; css/js/svg not gzipped: {', '.join(plain) or 'none'}"
    )
    small = all(int(p.rsplit("(", 1)[1].split()[0]) < GZIP_MINIMUM for p in plain)
    return Finding("static assets", figure, bool(urls) and not problems and html_gzip and small)


def cookies(base_url: str, member_cookie: str) -> Finding:
    """Set-Cookie only where the session changes: a first visit (it gets its CSRF token)."""
    with httpx.Client(base_url=base_url) as client:
        first = client.get("/")
        returning = first.headers.get("set-cookie", "").split(";")[0]
        client.cookies.clear()
        again = client.get("/", headers={"Cookie": returning})
        client.cookies.clear()
        member = client.get("/album/", headers={"Cookie": member_cookie})
    setters = {
        "first visit": "set-cookie" in first.headers,
        "returning guest": "set-cookie" in again.headers,
        "member": "set-cookie" in member.headers,
    }
    figure = ", ".join(f"{who}: {'Set-Cookie' if on else 'none'}" for who, on in setters.items())
    return Finding("Set-Cookie", figure, not setters["returning guest"] and not setters["member"])


def fragment_share(base_url: str, member: Member) -> Finding:
    """The nickname change as htmx gets it (with its out-of-band parts) against the full page."""
    browser = Browser(base_url, member.session)
    try:
        page = browser.get("/auth/userprofile")
        headers = {"HX-Request": "true", "HX-Request-Type": "partial"}
        headers["X-CSRF-Token"] = member.csrf_token
        fragment = browser.request(
            "POST", "/auth/userprofile/nickname", headers, data={"username": "bench-fragment"}
        )
    finally:
        browser.close()
    if page.status_code != 200 or fragment.status_code != 200:
        raise RuntimeError(f"profile {page.status_code}, nickname change {fragment.status_code}")
    share = len(fragment.content) / len(page.content)
    figure = f"{len(fragment.content)} B of {len(page.content)} B = {share:.0%}"
    return Finding("htmx fragment / full page", figure, share <= 0.25)


def same_html(app_url: str, floor_url: str, path: str, app_cookie: str, floor_cookie: str) -> bool:
    """The floor renders the app's page, up to the per-request CSRF token."""
    with httpx.Client() as client:
        ours = client.get(app_url + path, headers={"Cookie": app_cookie} if app_cookie else {})
        client.cookies.clear()
        theirs = client.get(
            floor_url + path, headers={"Cookie": floor_cookie} if floor_cookie else {}
        )
    return TOKEN.sub(r"\1*", ours.text) == TOKEN.sub(r"\1*", theirs.text)


def start_up(env: dict[str, str], log: Path, tries: int = 3) -> Finding:
    """Process start to the first 200 from `/`, one worker, the database already running."""
    times = []
    for _ in range(tries):
        server = Uvicorn("app:app", env, log, workers=1)
        server.env = {**env, "BASE_URL": server.url}
        try:
            started = server.launch()
            times.append(server.wait_until_served("/") - started)
        finally:
            server.stop()
    median = statistics.median(times)
    figure = f"median {median:.2f} s, worst {max(times):.2f} s of {tries}"
    return Finding("start to first page", figure, max(times) < 2.0)
