"""`make bench-instructions`: the machine instructions a page costs, app and floor, in one process.

wrk's requests a second move with whatever else the machine runs; instructions do not. This
runs the app and the floor (bench/floor.py) side by side in one Python process under
valgrind's callgrind, each request an ASGI call with no server around it, and counts the
instructions of N requests per page and side: the same count on every run, whatever the load.
The database is a pgserver of its own, outside valgrind (its work is not counted for either).

python -m bench.instructions [--requests 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any

from bench.services import ROOT, Postgres

Message = dict[str, Any]
ASGI = Callable[[dict[str, Any], Callable[[], Awaitable[Message]], Any], Coroutine[Any, Any, None]]


async def call(app: ASGI, path: str, headers: list[tuple[bytes, bytes]]) -> int:
    """One GET as uvicorn would pass it; the answer's status."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return int(sent[0]["status"])


async def start(app: ASGI) -> None:
    """The lifespan's start-up; the task stays alive as long as the process."""
    inbox: asyncio.Queue[Message] = asyncio.Queue()
    outbox: asyncio.Queue[Message] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    asyncio.get_running_loop().create_task(app(scope, inbox.get, outbox.put))
    answer = await outbox.get()
    if answer["type"] != "lifespan.startup.complete":
        raise RuntimeError(f"start-up failed: {answer}")


async def child(requests: int) -> None:
    """Under callgrind: builds both sides, then runs each page's requests between two lines
    on stdout, each answered on stdin once the parent has read the counter."""
    from accounts import tokens
    from app import create_app
    from bench.floor import Floor
    from sql import sessions, users
    from web.session import Session, SessionCookieMiddleware

    app, floor = create_app(), Floor()
    await start(app)
    await start(floor)
    db = app.state.services.db
    user_id = await users.create(db, "reader@example.com", "-", "Reader", "reader.svg", "en")
    await db.execute(
        "update minimaluser.tbl_auth set aut_confirmed = true where aut_id = :id", {"id": user_id}
    )
    session_id = await sessions.create(db, user_id, "127.0.0.1", "bench", False)
    secret = os.environ["SECRET_KEY"]
    claims = {"sub": str(user_id), "sid": str(session_id)}
    token = tokens.encode(secret, tokens.SESSION_AUDIENCE, claims, 3600)
    signed = SessionCookieMiddleware(app, secret_key=secret, secure=False).dumps(
        Session({"t": token, "c": secrets.token_urlsafe(32)})
    )
    image = await db.fetch_val("select min(img_id) from minimaluser.tbl_image")
    host = [(b"host", b"127.0.0.1:8000")]
    member = [*host, (b"cookie", f"mu_session={signed}".encode())]
    floor_member = [*host, (b"cookie", f"floor_session={user_id}:{session_id}".encode())]
    sides = [
        ("guest home", "/", host, host),
        ("member home", "/", member, floor_member),
        ("album list", "/album/", member, floor_member),
        ("image details", f"/album/imagedetails/{image}", member, floor_member),
    ]
    for _, path, ours, theirs in sides:
        for side, headers in ((app, ours), (floor, theirs)):
            for _ in range(20):
                if await call(side, path, headers) != 200:
                    raise RuntimeError(f"{path} did not answer 200")
    for name, path, ours, theirs in sides:
        for label, side, headers in (("app", app, ours), ("floor", floor, theirs)):
            print(f"start {name}/{label}", flush=True)
            sys.stdin.readline()
            for _ in range(requests):
                await call(side, path, headers)
            print(f"end {name}/{label}", flush=True)
            sys.stdin.readline()
    os._exit(0)  # the lifespans stay up: nothing more to count


def control(pid: int, *arguments: str) -> None:
    subprocess.run(["callgrind_control", *arguments, str(pid)], check=True, capture_output=True)


def counted(folder: Path, pid: int, label: str) -> int:
    """Dumps the counter under that label and reads its total back."""
    control(pid, f"--dump={label}")
    newest = max(folder.glob("callgrind.out.*"), key=lambda p: p.stat().st_mtime)
    for line in newest.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no total in {newest}")


def measure(requests: int) -> dict[str, dict[str, int]]:
    pg = Postgres()
    try:
        env = {
            **os.environ,
            "APP_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(36),
            "DATABASE_URL": pg.create_database("instructions"),
            "BASE_URL": "http://127.0.0.1:8000",
            "DATA_DIR": str(pg.folder / "app"),
            "SMTP_URL": "smtp://127.0.0.1:1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env |= {"FLOOR_DATABASE_URL": env["DATABASE_URL"], "FLOOR_BASE_URL": env["BASE_URL"]}
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={pg.folder}/callgrind.out.%p",
            sys.executable,
            "-m",
            "bench.instructions",
            "--child",
            "--requests",
            str(requests),
        ]
        figures: dict[str, dict[str, int]] = {}
        with subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=(pg.folder / "valgrind.log").open("w"),
            text=True,
        ) as process:
            assert process.stdin is not None and process.stdout is not None
            for line in process.stdout:
                kind, _, label = line.strip().partition(" ")
                if kind == "start":
                    # Instrumented from the first request on: start-up runs at near full speed.
                    control(process.pid, "--instr=on")
                    control(process.pid, "--zero")
                elif kind == "end":
                    name, side = label.split("/")
                    total = counted(pg.folder, process.pid, label)
                    figures.setdefault(name, {})[side] = total // requests
                else:
                    continue
                process.stdin.write("\n")
                process.stdin.flush()
        if len(figures) < 4 or any(len(sides) < 2 for sides in figures.values()):
            raise RuntimeError((pg.folder / "valgrind.log").read_text()[-3000:])
        return figures
    finally:
        pg.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        asyncio.run(child(options.requests))
        return
    if shutil.which("callgrind_control") is None:
        sys.exit("valgrind is missing: apt-get install valgrind (make bench-instructions does).")
    figures = measure(options.requests)
    print(f"Instructions per request, the mean of {options.requests} (valgrind's callgrind):\n")
    print("| page | app | floor | floor/app |")
    print("|---|---:|---:|---:|")
    for name, sides in figures.items():
        share = sides["floor"] / sides["app"]
        print(f"| {name} | {sides['app']:,} | {sides['floor']:,} | {share:.2f} |")


if __name__ == "__main__":
    main()
