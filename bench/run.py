"""`make bench`: the app and the floor under wrk, on a PostgreSQL of their own, then the checks.

python -m bench.run [--seconds 10] [--threads 2] [--connections 20] [--no-write]
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import jwt
from itsdangerous import URLSafeTimedSerializer

from bench import checks, results, wrk
from bench.seed import Browser, Member, confirmed_member, guest_form
from bench.services import MailSink, Postgres, Uvicorn
from bench.wrk import Load, Result

MEMBERS = 6
IMAGE_LINK = "/album/imagedetails/"


class Page(NamedTuple):
    name: str
    path: str
    cookie: str
    floor_cookie: str
    target: float


def floor_cookie(secret_key: str, member: Member) -> str:
    """The floor's unsigned `user:session` cookie for the session in the app's signed one."""
    session = URLSafeTimedSerializer(secret_key, salt="session-cookie").loads(member.session)
    claims = jwt.decode(session["t"], secret_key, algorithms=["HS256"], audience="session")
    return f"floor_session={claims['sub']}:{claims['sid']}"


def first_image(base_url: str, member: Member) -> str:
    browser = Browser(base_url, member.session)
    try:
        album = browser.get("/album/").text
    finally:
        browser.close()
    start = album.index(IMAGE_LINK)
    return album[start : album.index('"', start)]


def contention(app: Uvicorn, load: Load, logins: dict[str, str]) -> tuple[Result, Result]:
    """The guest home page while 20 clients log in continuously: (home, login)."""
    login_load = Load(load.seconds + 2, load.threads, 20)
    login = wrk.start(app.url, "login.lua", login_load, logins)
    time.sleep(1)
    home = wrk.run(app.url + "/", "report.lua", load)
    return home, wrk.finish(login)


# Shares of the floor's throughput the app must reach, and the guest home's p99 with 32 clients.
GUEST_SHARE = 0.85
MEMBER_SHARE = 0.8
BUSY = 32
BUSY_P99_MS = 30


def pages(run: results.Run, app: Uvicorn, floor: Uvicorn, secret_key: str, reader: Member) -> None:
    """Each page on the app, then at once on the floor, as the same guest or member."""
    as_reader = (reader.cookie, floor_cookie(secret_key, reader))
    image = first_image(app.url, reader)
    measured = [
        Page("guest home `/`", "/", "", "", GUEST_SHARE),
        Page("member home `/`", "/", *as_reader, MEMBER_SHARE),
        Page("album list `/album/`", "/album/", *as_reader, MEMBER_SHARE),
        Page(f"image details `{image}`", image, *as_reader, MEMBER_SHARE),
    ]
    same = [p for p in measured if checks.same_html(app.url, floor.url, *p[1:4])]
    run.findings.append(
        checks.Finding(
            "floor renders the app's HTML",
            f"{len(same)}/{len(measured)} pages identical up to CSRF tokens",
            len(same) == len(measured),
        )
    )
    for name, path, cookie, cookie_for_floor, target in measured:
        ours, theirs = wrk.side_by_side(
            (app.url + path, {"BENCH_COOKIE": cookie}),
            (floor.url + path, {"BENCH_COOKIE": cookie_for_floor}),
            run.load,
        )
        run.rows.append(results.Row(name, ours, theirs, target))
        print(f"{name}: app {ours.rate:.0f}/s, floor {theirs.rate:.0f}/s", flush=True)
    crowd = replace(run.load, connections=BUSY)
    busy, busy_floor = wrk.side_by_side((app.url + "/", {}), (floor.url + "/", {}), crowd)
    run.rows.append(results.Row(f"guest home `/`, {BUSY} connections", busy, busy_floor))
    run.findings.append(
        checks.Finding(
            f"guest home p99 at {BUSY} connections",
            f"{busy.p99_ms:.1f} ms (at most {BUSY_P99_MS}; the floor's {busy_floor.p99_ms:.1f} ms)",
            busy.p99_ms <= BUSY_P99_MS,
        )
    )


def posts(run: results.Run, app: Uvicorn, members: list[Member], folder: Path) -> None:
    """Logins, nickname changes, then the guest home page while 20 clients log in."""
    guest_cookie, login_token = guest_form(app.url, "/auth/login")
    credentials = folder / "logins.tsv"
    credentials.write_text("".join(f"{m.email}\t{m.key}\n" for m in members))
    logins = {"BENCH_COOKIE": guest_cookie, "BENCH_CSRF": login_token}
    logins["BENCH_LOGINS"] = str(credentials)
    login = wrk.run(app.url, "login.lua", run.load, logins)
    run.rows.append(results.Row("login POST (valid key, 303)", login))

    changers = folder / "members.tsv"
    changers.write_text("".join(f"{m.cookie}\t{m.csrf_token}\n" for m in members[1:]))
    nickname = wrk.run(app.url, "nickname.lua", run.load, {"BENCH_MEMBERS": str(changers)})
    run.rows.append(results.Row("htmx nickname change (partial POST)", nickname))

    home, busy_login = contention(app, run.load, logins)
    run.rows.append(results.Row("guest home while 20 clients log in", home))
    run.rows.append(results.Row("… the login POST meanwhile", busy_login))
    alone = run.rows[0].app.p99_ms
    factor = home.p99_ms / alone
    run.findings.append(
        checks.Finding(
            "guest home p99 under login load",
            f"{alone:.1f} ms alone, {home.p99_ms:.1f} ms with 20 clients logging in"
            f" = {factor:.1f} times (at most 3)",
            factor <= 3,
        )
    )


def at_rest(app: Uvicorn, quiet: float = 2.0, limit: float = 120.0) -> None:
    """Waits until the workers use under 2% of a core for `quiet` seconds: the logins still queued
    when wrk stops are hashed by then, and argon2's memory is given back after a second without
    a hash (accounts/keys.py: RELEASE_AFTER)."""
    deadline = time.monotonic() + limit
    before = app.cpu_seconds()
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = app.cpu_seconds()
        if now - before < 0.02 * quiet:
            return
        before = now


def bench(run: results.Run) -> None:
    with contextlib.ExitStack() as stack:
        pg = Postgres()
        stack.callback(pg.stop)
        database_url = pg.create_database("bench")
        mail = stack.enter_context(MailSink())
        secret_key = secrets.token_urlsafe(36)
        app = Uvicorn("app:app", {}, pg.folder / "app.log")
        env = {
            "APP_ENV": "production",
            "SECRET_KEY": secret_key,
            "DATABASE_URL": database_url,
            "BASE_URL": app.url,
            "SMTP_URL": mail.url,
            "DATA_DIR": str(pg.folder / "app"),
            # wrk logs in from one address, many at once: each login in flight holds a slot
            # of the login throttles until its key is checked (a right key gives it back).
            "THROTTLE_LOGIN_IP": "100000/60",
            "THROTTLE_LOGIN_ACCOUNT": "100000/300",
        }
        app.env = env
        stack.enter_context(app)
        floor_env = {"FLOOR_DATABASE_URL": database_url, "FLOOR_BASE_URL": app.url}
        floor = stack.enter_context(Uvicorn("bench.floor:app", floor_env, pg.folder / "floor.log"))

        members = [confirmed_member(app.url, mail) for _ in range(MEMBERS)]
        run.findings.append(checks.fragment_share(app.url, members[1]))
        pages(run, app, floor, secret_key, members[0])
        posts(run, app, members, pg.folder)
        at_rest(app)
        run.rss_mib = app.peak_rss_mib()
        run.floor_rss_mib = floor.peak_rss_mib()
        run.resident_mib = app.peak_rss_mib("VmRSS")
        run.floor_resident_mib = floor.peak_rss_mib("VmRSS")
        run.findings.append(checks.static_assets(app.url))
        run.findings.append(checks.cookies(app.url, members[0].cookie))
        app.stop()
        floor.stop()
        run.findings.append(checks.start_up(env, pg.folder / "startup.log"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md alone")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (make bench does it as root).")
    load = Load(options.seconds, options.threads, options.connections)
    args = " ".join(sys.argv[1:])
    command = f"make bench BENCH_ARGS='{args}'" if args else "make bench"
    run = results.Run(load, command)
    bench(run)
    print(results.markdown(run) if options.no_write else results.write(run))


if __name__ == "__main__":
    main()
