"""`make bench-scale`: the same measurements on an empty database and on a million accounts.

python -m bench.scale [--accounts 1000000] [--pending 10000] [--seconds 10] [--threads 2]
                      [--connections 20] [--no-write] [--note TEXT]

One PostgreSQL (pgserver) holds two databases seeded by bench/scale_seed.py: "empty" (a hundred
accounts, the members who log in) and "big". An app runs on each, under `uvicorn --workers 2`
as in production, and wrk measures each request on one and then at once on the other
(bench/scale_load.py); then each one's pending mail is made due and its dispatchers deliver it
to an SMTP sink (bench/scale_db.py). Last, on each in turn, a new app serves the member's home
page and logins, alone and then while services/housekeeping.py sweeps, the lock waits watched
from pg_stat_activity (bench/scale_watch.py). The figures go below the marker in bench/SCALE.md
(bench/scale_report.py). `--accounts 100000 --pending 1000 --seconds 5` is a quick run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import shutil
import sys
import time

from bench import scale_db, scale_report, scale_seed, scale_watch
from bench.scale_load import REQUESTS, Cast, Mixed, accounts_to_use, email_of, log_in, measure
from bench.scale_report import Figures, ScaleRun
from bench.services import MailSink, Postgres, Uvicorn
from bench.wrk import Load
from settings import Limits, Settings, load

EMPTY_ACCOUNTS = 100
LOGIN_ACCOUNTS = 200
DRAIN_WITHIN = 900.0
WARM_UP = 3  # seconds of the mixed load on a new app before it is measured


class Bench:
    """The servers every database is measured with: one PostgreSQL, one SMTP sink, one
    SECRET_KEY, the same settings."""

    def __init__(self, pg: Postgres, mail: MailSink, options: argparse.Namespace) -> None:
        self.pg = pg
        self.mail = mail
        self.options = options
        self.load = Load(options.seconds, options.threads, options.connections)
        self.secret_key = secrets.token_urlsafe(36)

    def env(self, database: str) -> dict[str, str]:
        raised = {f"THROTTLE_{name.upper()}": "1000000/60" for name in Limits.__dataclass_fields__}
        return {
            "APP_ENV": "production",
            "SECRET_KEY": self.secret_key,
            "DATABASE_URL": self.url(database),
            "SMTP_URL": self.mail.url,
            "DATA_DIR": str(self.pg.folder / f"app-{database}"),
            **raised,
        }

    def url(self, database: str) -> str:
        return f"postgresql://postgres@localhost/{database}?host={self.pg.socket_dir}"

    def settings(self, database: str) -> Settings:
        return load({**self.env(database), "BASE_URL": "http://127.0.0.1"})

    def app(self, database: str) -> Uvicorn:
        app = Uvicorn("app:app", {}, self.pg.folder / f"app-{database}.log")
        app.env = {**self.env(database), "BASE_URL": app.url}
        return app

    def received(self) -> int:
        with self.mail.arrived:
            return sum(len(messages) for messages in self.mail.received.values())

    def seed(self, database: str, accounts: int) -> Figures:
        self.pg.create_database(database)
        settings = self.settings(database)
        asyncio.run(scale_db.prepare(settings))
        secrets_ = scale_seed.secrets_for(settings)
        socket_dir = self.pg.socket_dir
        pending = self.options.pending
        timings = asyncio.run(scale_seed.seed(database, socket_dir, accounts, pending, secrets_))
        sizes = asyncio.run(scale_db.sizes(database, socket_dir))
        print(f"{database}: seeded {accounts:,} accounts in {timings}", flush=True)
        return Figures(accounts, timings, sizes)

    def cast(self, base_url: str, database: str, accounts: int) -> Cast:
        ids = accounts_to_use(accounts, LOGIN_ACCOUNTS + 2)
        member, operator, others = ids[0], ids[1], ids[2:]
        socket_dir = self.pg.socket_dir
        asyncio.run(scale_db.make_operator(database, socket_dir, operator))
        name = asyncio.run(scale_db.nickname(database, socket_dir, others[len(others) // 3]))
        logins = self.pg.folder / f"{database}-logins.tsv"
        logins.write_text("".join(f"{email_of(i)}\t{scale_seed.KEY}\n" for i in others))
        return Cast(
            log_in(base_url, email_of(member)),
            log_in(base_url, email_of(operator)).cookie,
            logins,
            email_of(others[len(others) // 2]).split("@")[0] + "@",
            name.rsplit("-", 1)[0],
        )

    def measure(self, databases: dict[str, Figures]) -> None:
        """Both apps run at once and each request is measured on one database, then at once on
        the other (which goes first alternates), so the machine's changing load weighs alike on
        both; then each database's pending mail is delivered by its own app's dispatchers."""
        with contextlib.ExitStack() as stack:
            apps = {name: stack.enter_context(self.app(name)) for name in databases}
            casts = {
                name: self.cast(apps[name].url, name, f.accounts) for name, f in databases.items()
            }
            for turn, request in enumerate(REQUESTS):
                # Each database first in turn, and only once both apps' workers are idle again.
                for name in list(databases)[:: 1 if turn % 2 == 0 else -1]:
                    for other in databases:
                        asyncio.run(scale_db.settled(other, self.pg.socket_dir))
                    result = measure(apps[name].url, casts[name], request, self.load)
                    databases[name].requests[request] = result
                    print(
                        f"{name}: {request}: p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms"
                    )
            for name, figures in databases.items():
                drain = scale_db.drain(name, self.pg.socket_dir, self.received, DRAIN_WITHIN)
                figures.drain = asyncio.run(drain)
                print(f"{name}: the dispatcher: {figures.drain}", flush=True)
        for name, figures in databases.items():
            self.sweep(name, figures, casts[name])

    def sweep(self, database: str, figures: Figures, cast: Cast) -> None:
        """A new app (its own housekeeping sweeps only ten minutes after it starts) serves the
        member's home page and logins: to warm up, then measured alone, then while the sweep
        runs."""
        socket_dir, seconds = self.pg.socket_dir, self.options.seconds
        with self.app(database) as app:
            mixed = Mixed(app.url, cast)
            mixed.quietly(WARM_UP)
            mixed.start(seconds)
            figures.quiet_locks = asyncio.run(scale_watch.watch_for(database, socket_dir, seconds))
            figures.quiet = mixed.finish(interrupt=False)
            mixed.start()
            time.sleep(1.0)
            started = time.monotonic()
            settings = self.settings(database)
            sweep = asyncio.run(scale_watch.watched_sweep(settings, database, socket_dir))
            mixed.settle(started, seconds)
            figures.swept = mixed.finish()
        figures.sweep = sweep
        print(
            f"{database}: sweep {sweep.seconds:.1f} s, {sum(sweep.removed.values()):,} rows,"
            f" row locks held at most {sweep.locks.holding_ms:.0f} ms {sweep.error}",
            flush=True,
        )


def main() -> None:
    started = time.monotonic()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--pending", type=int, default=10_000, help="pending emails in each")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--no-write", action="store_true", help="print, leave SCALE.md alone")
    parser.add_argument("--note", default="", help="a line for SCALE.md about this run")
    options = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (make bench does it as root).")
    chosen = [
        f"--{name.replace('_', '-')} {value}"
        for name, value in vars(options).items()
        if name not in ("note", "no_write") and value != parser.get_default(name)
    ]
    args = " ".join(chosen + (["--no-write"] if options.no_write else []))
    command = f"make bench-scale SCALE_ARGS='{args}'" if args else "make bench-scale"
    postgres = ""
    with contextlib.ExitStack() as stack:
        pg = Postgres()
        stack.callback(pg.stop)
        mail = stack.enter_context(MailSink())
        bench = Bench(pg, mail, options)
        postgres = asyncio.run(scale_db.configure(pg.socket_dir))
        run = ScaleRun(command, postgres, bench.load, options.pending, options.note)
        run.empty = bench.seed("empty", EMPTY_ACCOUNTS)
        run.full = bench.seed("big", options.accounts)
        bench.measure({"empty": run.empty, "big": run.full})
    run.seconds = time.monotonic() - started
    print(scale_report.markdown(run) if options.no_write else scale_report.write(run))


if __name__ == "__main__":
    main()
