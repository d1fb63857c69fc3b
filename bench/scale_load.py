"""`make bench-scale` over HTTP: the seeded accounts that log in, each request checked once and
then measured with wrk, and the pages and logins that run while the sweep does."""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen
from urllib.parse import quote

import httpx

from bench import wrk
from bench.scale_seed import KEY, eligible
from bench.seed import Browser, Member, guest_form
from bench.wrk import Load, Result

PROFILE = "/auth/userprofile"
# The pages and logins measured together, quietly and while the sweep runs.
PAGES = Load(threads=1, connections=8)
LOGINS = Load(threads=1, connections=4)
LONG_ENOUGH = 3600


@dataclass(frozen=True)
class Cast:
    """Who the requests are made as: a member (pages, export), an operator (search), the
    accounts that log in and ask for a new key (a file of "email<TAB>key" lines), and what the
    operator searches for (one account's address up to its @, another's nickname without its
    colour: one account found in either database)."""

    member: Member
    operator: str
    logins: Path
    email_query: str
    nickname_query: str


def accounts_to_use(accounts: int, count: int) -> list[int]:
    """`count` eligible accounts spread over the ids (fewer when there are not so many)."""
    step = max(accounts // count, 1)
    chosen: list[int] = []
    for start in range(1, accounts + 1, step):
        found = next((i for i in range(start, min(start + step, accounts + 1)) if eligible(i)), 0)
        if found and found not in chosen:
            chosen.append(found)
    return chosen[:count]


def email_of(user_id: int) -> str:
    return f"user{user_id}@example.com"


def log_in(base_url: str, email: str) -> Member:
    browser = Browser(base_url)
    try:
        answer = browser.post_form("/auth/login", {"email": email, "key": KEY})
        if answer.status_code != 303:
            raise RuntimeError(f"login of {email}: {answer.status_code} {answer.text[:300]}")
        return Member(email, KEY, browser.cookie, browser.csrf_token(PROFILE))
    finally:
        browser.close()


def check(
    base_url: str, method: str, path: str, cookie: str, expect: str, data: dict[str, str] | None
) -> None:
    """One request as wrk will make it, so a figure is never that of an error page."""
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        answer = client.request(method, path, headers={"Cookie": cookie}, data=data)
    if answer.status_code != 200 or expect not in answer.text:
        raise RuntimeError(f"{method} {path}: {answer.status_code}, no {expect!r} in the answer")


Prepared = tuple[str, str, dict[str, str]]  # wrk's path, script and environment


def _home(base_url: str, cast: Cast) -> Prepared:
    check(base_url, "GET", "/", cast.member.cookie, "Log out", None)
    return "/", "report.lua", {"BENCH_COOKIE": cast.member.cookie}


def _profile(base_url: str, cast: Cast) -> Prepared:
    check(base_url, "GET", PROFILE, cast.member.cookie, cast.member.email, None)
    return PROFILE, "report.lua", {"BENCH_COOKIE": cast.member.cookie}


def _search(query: Callable[[Cast], str]) -> Callable[[str, Cast], Prepared]:
    def prepare(base_url: str, cast: Cast) -> Prepared:
        path = f"/admin/?q={quote(query(cast))}"
        check(base_url, "GET", path, cast.operator, query(cast), None)
        return path, "report.lua", {"BENCH_COOKIE": cast.operator}

    return prepare


def _export(base_url: str, cast: Cast) -> Prepared:
    """The export asks for a login in the last 10 minutes: a fresh one."""
    fresh = log_in(base_url, cast.member.email)
    body = {"csrf_token": fresh.csrf_token}
    check(base_url, "POST", f"{PROFILE}/export", fresh.cookie, cast.member.email, body)
    env = {"BENCH_COOKIE": fresh.cookie, "BENCH_BODY": f"csrf_token={quote(fresh.csrf_token)}"}
    return f"{PROFILE}/export", "scale_post.lua", env


def _login(base_url: str, cast: Cast) -> Prepared:
    guest, token = guest_form(base_url, "/auth/login")
    return (
        "",
        "login.lua",
        {"BENCH_COOKIE": guest, "BENCH_CSRF": token, "BENCH_LOGINS": str(cast.logins)},
    )


def _email_form(path: str, known: bool) -> Callable[[str, Cast], Prepared]:
    """A guest's form with an address: a known one in turn, or a new one each time."""

    def prepare(base_url: str, cast: Cast) -> Prepared:
        guest, token = guest_form(base_url, path)
        env = {"BENCH_COOKIE": guest, "BENCH_CSRF": token, "BENCH_PATH": path}
        env["BENCH_RUN"] = uuid.uuid4().hex[:8]
        if known:
            env["BENCH_EMAILS"] = str(cast.logins)
        return "", "scale_email.lua", env

    return prepare


# Each request, checked once as wrk will make it, then measured: the pages, then the forms that
# write (the export needs the fresh login it makes to be less than 10 minutes old).
REQUESTS: dict[str, Callable[[str, Cast], Prepared]] = {
    "member home `/`": _home,
    f"profile `{PROFILE}`": _profile,
    "admin search, address prefix": _search(lambda cast: cast.email_query),
    "admin search, nickname prefix": _search(lambda cast: cast.nickname_query),
    "data export POST": _export,
    "login POST (valid key, 303)": _login,
    "sign-up POST (new address, 200)": _email_form("/auth/signup", known=False),
    "forgotten-key POST (known address, 303)": _email_form("/auth/forgotkey", known=True),
}


def measure(base_url: str, cast: Cast, name: str, load: Load) -> Result:
    path, script, env = REQUESTS[name](base_url, cast)
    return wrk.run(base_url + path, script, load, env)


class Mixed:
    """The member's home page and logins at once, each under its own wrk: for a fixed time, or
    from `start()` until `finish()` (wrk stops on SIGINT and reports what it measured)."""

    def __init__(self, base_url: str, cast: Cast) -> None:
        self.base_url = base_url
        self.page_env = {"BENCH_COOKIE": cast.member.cookie}
        guest, token = guest_form(base_url, "/auth/login")
        self.login_env = {"BENCH_COOKIE": guest, "BENCH_CSRF": token}
        self.login_env["BENCH_LOGINS"] = str(cast.logins)
        self.running: tuple[Popen[str], Popen[str]] | None = None

    def start(self, seconds: int = LONG_ENOUGH) -> None:
        pages = Load(seconds, PAGES.threads, PAGES.connections)
        logins = Load(seconds, LOGINS.threads, LOGINS.connections)
        self.running = (
            wrk.start(self.base_url + "/", "report.lua", pages, self.page_env),
            wrk.start(self.base_url, "login.lua", logins, self.login_env),
        )

    def finish(self, interrupt: bool = True) -> tuple[Result, Result]:
        """(pages, logins)."""
        assert self.running is not None
        if interrupt:
            for process in self.running:
                process.send_signal(signal.SIGINT)
        pages, logins = (wrk.finish(process) for process in self.running)
        self.running = None
        return pages, logins

    def quietly(self, seconds: int) -> tuple[Result, Result]:
        self.start(seconds)
        return self.finish(interrupt=False)

    def settle(self, since: float, at_least: float) -> None:
        """Keeps the load on until `at_least` seconds have passed since `since`."""
        time.sleep(max(0.0, since + at_least - time.monotonic()))
