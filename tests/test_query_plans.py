"""Every query a request runs is served by an index (DESIGN.md), checked on the planner's plans.

How the queries are found: by recording, not by a list. A fixture wraps the pool's `acquire()`,
through which sql/query.py runs every statement, so that each statement the app sends is kept
with its parameters and with the sql/ function that sent it. It then walks the site as people
do: sign-up, confirmation, login, the profile's forms, logout, the forgotten key, the login code,
the second factor (authenticator app, recovery codes, passkeys), re-authentication, the export,
the album, an operator's pages (search by address and by nickname, an account, actions, the audit
log, failed mail) and account deletion. What no request runs is called as its caller does: the
dispatcher's and the tile worker's claims, housekeeping's sweep, the command line's listing and
grant, /dev/outbox (development only), the namer loaded at start-up.

A walk can miss a new query, so it may not: one test reads sql/*.py and fails for any function
that runs a statement the walk never recorded. A new query function is walked, or this fails.

Each recorded SELECT, INSERT, UPDATE or DELETE (WITH too) is EXPLAINed twice with
`enable_seqscan` off in its transaction (the planner rightly scans small tables): with its
recorded parameters (a custom plan) and as a generic plan, which asyncpg's cached prepared
statements may use after five runs. A `Seq Scan` left on a big table means no index can serve the
statement; so does an index read end to end only for its order, filtering as it goes (what the
planner falls back on for an ORDER BY with sequential scans off). Deleting an account reaches its
rows in every per-user table through foreign keys, in statements no plan shows: every foreign key
of a big table has an index of its own.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any

import pytest

from accounts.operators import Actor, set_operator
from services.housekeeping import sweep
from sql import namer, outbox, tile_jobs, totp, users, webauthn_challenges
from sql.pool import PooledDatabase
from tests.accounts_helpers import (
    CONFIRM_LINK,
    NEW_KEY,
    client_for,
    emailed_code,
    log_in,
    new_email,
    reset,
    sign_up,
)
from tests.forms import post_form
from tests.servers import ROOT, Mailbox, text_of
from tests.softkey import SoftKey
from tests.test_login_code import emailed_login_code
from tests.test_mfa import VERIFY, code_now, logout, turn_on
from tests.test_passkeys import add_passkey, post_json

SQL = ROOT / "sql"
# Not query modules: the runner itself, the pool, and the migrations' DDL at start-up.
NOT_QUERIES = {"__init__", "query", "pool", "migrator"}
# Tables that grow with the accounts, their browsers and their mail.
BIG = {
    "tbl_auth",
    "tbl_session",
    "tbl_security_event",
    "tbl_outbox",
    "tbl_passkey",
    "tbl_webauthn_challenge",
    "tbl_totp",
    "tbl_totp_setup",
    "tbl_recovery_code",
    "tbl_pending_login",
    "tbl_email_change",
    "tbl_key_reset",
    "tbl_login_code",
    "tbl_limit",
    "tbl_audit",
}
# Tables that stay small: the album, the namer's words, the tile jobs waiting for the store
# (each is deleted once done), the record of migrations.
SMALL = {
    "tbl_image",
    "tbl_image_text",
    "tbl_tile_job",
    "tbl_adjective",
    "tbl_animal",
    "tbl_colour",
    "tbl_tile_template",
    "schema_migration",
}
PLANNED = ("select", "with", "insert", "update", "delete")
# Queries no production request runs, left to read a small table whole: /dev/outbox lists the
# mail kept by development without SMTP; in production no message is kept.
DEVELOPMENT_ONLY = {"outbox.kept"}
PROFILE = "/auth/userprofile"


@dataclass
class Recording:
    """The statements the app sent (text as sent, with `$n`), each with its first parameters and
    the sql/ functions that sent it."""

    parameters: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    callers: dict[str, set[str]] = field(default_factory=dict)

    def note(self, text: str, arguments: tuple[Any, ...]) -> None:
        self.parameters.setdefault(text, arguments)
        self.callers.setdefault(text, set()).add(caller(inspect.currentframe()))

    def functions(self) -> set[str]:
        return set().union(*self.callers.values())


def caller(frame: FrameType | None) -> str:
    """The query function of sql/ a statement comes from ("sessions.prune"), else ""."""
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if module.startswith("sql.") and module.removeprefix("sql.") not in NOT_QUERIES:
            return f"{module.removeprefix('sql.')}.{frame.f_code.co_qualname}"
        frame = frame.f_back
    return ""


class RecordingConnection:
    """An asyncpg connection that notes each statement before it runs it."""

    def __init__(self, connection: Any, recording: Recording) -> None:
        self._connection = connection
        self._recording = recording

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    async def fetch(self, text: str, *arguments: Any, **options: Any) -> Any:
        self._recording.note(text, arguments)
        return await self._connection.fetch(text, *arguments, **options)

    async def fetchrow(self, text: str, *arguments: Any, **options: Any) -> Any:
        self._recording.note(text, arguments)
        return await self._connection.fetchrow(text, *arguments, **options)

    async def fetchval(self, text: str, *arguments: Any, **options: Any) -> Any:
        self._recording.note(text, arguments)
        return await self._connection.fetchval(text, *arguments, **options)

    async def execute(self, text: str, *arguments: Any, **options: Any) -> Any:
        self._recording.note(text, arguments)
        return await self._connection.execute(text, *arguments, **options)


@asynccontextmanager
async def recorded_on(db: PooledDatabase) -> AsyncIterator[Recording]:
    """Every statement run through `db` inside the block, recorded."""
    recording = Recording()
    acquire = db.acquire

    @asynccontextmanager
    async def recording_acquire() -> AsyncIterator[RecordingConnection]:
        async with acquire() as connection:
            yield RecordingConnection(connection, recording)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db, "acquire", recording_acquire)
        yield recording


def query_functions() -> set[str]:
    """Every function of sql/*.py that runs a statement: it calls a function of sql/query.py, or
    a method of the same name (or asyncpg's) on anything."""
    runners = {"fetch_all", "fetch_one", "fetch_val", "execute", "fetch", "fetchrow", "fetchval"}
    found: set[str] = set()
    for path in sorted(SQL.glob("*.py")):
        if path.stem in NOT_QUERIES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and any(
                isinstance(call, ast.Call) and _name(call.func) in runners
                for call in ast.walk(node)
            ):
                found.add(f"{path.stem}.{node.name}")
    return found


def _name(function: ast.expr) -> str:
    if isinstance(function, ast.Name):
        return function.id
    return function.attr if isinstance(function, ast.Attribute) else ""


def planned(text: str) -> bool:
    """A statement the planner plans: not DDL, `set` or the like, which are skipped."""
    words = re.sub(r"--[^\n]*|/\*.*?\*/", " ", text, flags=re.DOTALL).lstrip(" \n\t(").split()
    return bool(words) and words[0].lower() in PLANNED


def whole_reads(plan: dict[str, Any], limited: bool = False) -> list[str]:
    """The big tables the plan reads whole: a sequential scan, or (what the planner falls back
    on with sequential scans off, when the statement has an ORDER BY) an index read end to end
    for its order alone, filtering the rows or with no LIMIT to stop it."""
    kind, table = plan["Node Type"], plan.get("Relation Name")
    limited = limited or kind == "Limit"
    whole = kind == "Seq Scan" or (
        kind in ("Index Scan", "Index Only Scan")
        and "Index Cond" not in plan
        and ("Filter" in plan or not limited)
    )
    found = [f"{kind} on {table}"] if table in BIG and whole else []
    for child in plan.get("Plans", []):
        found += whole_reads(child, limited)
    return found


async def explain(
    db: PooledDatabase, text: str, arguments: tuple[Any, ...] | None, form: str = "json"
) -> str:
    """The plan with sequential scans off: the custom plan for these parameters, or when None,
    the generic plan a cached prepared statement may use (its parameters unknown)."""
    async with db.acquire() as connection:
        if arguments is not None:
            async with connection.transaction():
                await connection.execute("set local enable_seqscan = off")
                rows = await connection.fetch(f"explain (format {form}) {text}", *arguments)
            return "\n".join(row[0] for row in rows)
        count = len((await connection.prepare(text)).get_parameters())
        unknown = f"({', '.join(['null'] * count)})" if count else ""
        await connection.execute(f"prepare query_plan as {text}")
        try:
            async with connection.transaction():
                await connection.execute("set local enable_seqscan = off")
                await connection.execute("set local plan_cache_mode = force_generic_plan")
                rows = await connection.fetch(
                    f"explain (format {form}) execute query_plan{unknown}"
                )
        finally:
            await connection.execute("deallocate query_plan")
    return "\n".join(row[0] for row in rows)


async def plan_of(db: PooledDatabase, text: str, arguments: tuple[Any, ...] | None) -> Any:
    return json.loads(await explain(db, text, arguments))[0]["Plan"]


async def user_id(db: PooledDatabase, email: str) -> int:
    found = await users.by_email(db, email)
    assert found is not None
    return found.id


@pytest.fixture(scope="module")
async def recording(app: Any, db: PooledDatabase, mailbox: Mailbox) -> AsyncIterator[Recording]:
    """The statements of a walk through the whole site, and of the work beside it."""
    clock = app.state.services.clock
    try:
        async with recorded_on(db) as recording:
            await walk(app, db, mailbox)
            await beside_requests(db)
        yield recording
    finally:
        clock.offset = timedelta()


async def walk(app: Any, db: PooledDatabase, mailbox: Mailbox) -> None:
    svc = app.state.services
    async with (
        client_for(app, "10.91.0.1") as member,
        client_for(app, "10.91.0.2") as laptop,
        client_for(app, "10.91.0.3") as staff,
        client_for(app, "10.91.0.4") as stranger,
    ):
        assert (await member.get("/")).status_code == 200
        email, key = await sign_up(member, confirmed=True)
        me = await users.by_email(db, email)
        assert me is not None
        assert (await member.get("/album/")).status_code == 200
        assert (await member.get("/album/imagedetails/1")).status_code == 200
        assert (await member.get("/tiles/no-such-tile.svg")).status_code == 404
        await post_form(member, "/language", {"language": "it", "next": "/"})
        await post_form(member, "/language", {"language": "en", "next": "/"})

        # The profile and its forms.
        assert (await member.get(PROFILE)).status_code == 200
        nickname = {"username": f"cat.{me.id}"}
        await post_form(member, f"{PROFILE}/nickname", nickname, page=PROFILE)
        changed = {"accesskey": key, "newaccesskey": NEW_KEY, "confirmaccesskey": NEW_KEY}
        assert (await post_form(member, f"{PROFILE}/key", changed, page=PROFILE)).status_code == 303
        key = NEW_KEY
        dropped, moved = new_email(), new_email()
        await post_form(
            member, f"{PROFILE}/email", {"email": dropped, "accesskey": key}, page=PROFILE
        )
        await post_form(member, f"{PROFILE}/email/cancel", {}, page=PROFILE)
        await post_form(
            member, f"{PROFILE}/email", {"email": moved, "accesskey": key}, page=PROFILE
        )
        letter = text_of(await mailbox.wait_for(moved, "Confirm your new email"))
        link = CONFIRM_LINK.search(letter)
        assert link
        assert (await member.get(link.group(1))).status_code == 303
        email = moved
        assert (await log_in(laptop, email, key)).status_code == 303
        await post_form(member, f"{PROFILE}/sessions", {}, page=PROFILE)
        await logout(member)
        assert (await log_in(member, email, key, remember="on")).status_code == 303

        # The forgotten key, from another browser.
        await post_form(laptop, "/auth/forgotkey", {"email": email})
        code, path = await emailed_code(mailbox, email)
        assert (await laptop.get(path)).status_code == 200
        await reset(laptop, path, "000000", key="another key for the cat")
        assert (await reset(laptop, path, code, key="another key for the cat")).status_code == 303
        key = "another key for the cat"

        # The login code.
        await post_form(laptop, "/auth/login/code", {"email": email})
        login_code = await emailed_login_code(mailbox, email)
        assert (await laptop.get("/auth/login/code")).status_code == 200
        await post_form(laptop, "/auth/login/code", {"code": "AAAA-AAAA"})
        done = await post_form(laptop, "/auth/login/code", {"code": login_code})
        assert done.status_code == 303

        # The second factor: the authenticator app, its codes, a passkey.
        assert (await log_in(member, email, key)).status_code == 303
        secret, codes = await turn_on(member, svc.clock)
        await logout(member)
        assert (await log_in(member, email, key)).status_code == 303
        assert (await member.get(VERIFY)).status_code == 200
        await post_form(member, VERIFY, {"code": "000000"})
        assert (await post_form(member, VERIFY, {"code": code_now(svc.clock, secret)})).is_redirect
        await logout(member)
        await log_in(member, email, key)
        assert (await post_form(member, VERIFY, {"code": codes[0]})).is_redirect
        await post_form(member, "/auth/mfa/recovery-codes", {}, page="/auth/mfa")
        again = {"accesskey": key, "code": code_now(svc.clock, secret)}
        assert (await post_form(member, "/auth/reauthenticate", again)).is_redirect
        soft_key = SoftKey()
        assert (await add_passkey(member, soft_key, "Laptop")).status_code == 200
        mfa_page = (await member.get("/auth/mfa")).text
        number = re.search(r'name="passkey" value="(\d+)"', mfa_page)
        assert number
        renamed = {"passkey": number.group(1), "name": "Old laptop"}
        await post_form(member, "/auth/mfa/passkeys/rename", renamed, page="/auth/mfa")
        await logout(laptop)
        options = (await post_json(laptop, "/auth/passkey/options", {}, "/auth/login")).json()
        body = {"credential": soft_key.sign(options)}
        assert (await post_json(laptop, "/auth/passkey", body, "/auth/login")).status_code == 200
        assert (await post_form(member, f"{PROFILE}/export", {}, page=PROFILE)).status_code == 200
        removed = {"passkey": number.group(1)}
        await post_form(member, "/auth/mfa/passkeys/remove", removed, page="/auth/mfa")
        await post_form(member, "/auth/mfa/totp/disable", {}, page="/auth/mfa")

        # An operator's pages.
        staff_email, staff_key = await sign_up(staff, confirmed=True)
        operator = await users.by_email(db, staff_email)
        assert operator is not None
        await set_operator(svc, Actor.command_line(), operator, True)
        await logout(staff)
        assert (await log_in(staff, staff_email, staff_key)).status_code == 303
        assert (await staff.get("/admin/")).status_code == 200
        assert (await staff.get(f"/admin/?q={email[:8]}")).status_code == 200
        assert (await staff.get(f"/admin/?q=cat.{me.id}&after=a")).status_code == 200
        assert (await staff.get(f"/admin/accounts/{me.id}")).status_code == 200
        for action in ("disable", "enable", "reset-mfa"):
            await post_form(staff, f"/admin/accounts/{me.id}/{action}", {}, page="/admin/")
        assert (await staff.get("/admin/audit?q=command")).status_code == 200
        for action in ("retry", "drop"):
            failed = await failed_message(db)
            await post_form(staff, f"/admin/mail/{failed}/{action}", {}, page="/admin/mail")
        unconfirmed, _ = await sign_up(stranger)
        target = await user_id(db, unconfirmed)
        await post_form(staff, f"/admin/accounts/{target}/resend-confirmation", {}, page="/admin/")
        gone = {"sure": "on"}
        await post_form(staff, f"/admin/accounts/{target}/delete", gone, page="/admin/")

        # The member, logged out by the operator's disable, comes back and leaves.
        assert (await log_in(member, email, key)).status_code == 303
        assert (await member.get("/auth/deleteaccount")).status_code == 200
        left = await post_form(member, "/auth/deleteaccount", {"accesskey": key}, page=PROFILE)
        assert left.is_redirect


async def failed_message(db: PooledDatabase) -> int:
    """A message given up on, for the operator's retry and drop."""
    async with db.transaction():
        found = await outbox.add(db, "goodbye", new_email(), {"nickname": "cat"}, None)
        assert await outbox.put_off(db, found, 0, "SMTPRecipientsRefused", 0)
    return found


async def beside_requests(db: PooledDatabase) -> None:
    """What runs beside the requests, called as its caller does."""
    async with db.transaction():
        await outbox.claim_due(db, 1)
    async with db.transaction():
        job = await tile_jobs.add(db, "delete", "no-such-tile.svg")
        await tile_jobs.claim_due(db, 1)
        await tile_jobs.failed(db, job, 60, "StorageUnavailable")
        await tile_jobs.done(db, job)
    await sweep(db)
    # Not called by the app: housekeeping leaves challenges to the sweep inside put().
    await webauthn_challenges.prune(db, datetime.now(UTC))
    # The command line: `python -m admin list`, `grant`, and a SECRET_KEY rotation's reseal.
    await users.listing(db)
    await totp.reseal(db, 0, b"")
    # /dev/outbox, in development only.
    await outbox.kept(db)
    await outbox.one_kept(db, 0)
    # The namer, loaded at start-up.
    await namer.adjectives(db)
    await namer.animals(db)
    await namer.colours(db)
    await namer.templates(db)


async def test_no_query_reads_a_big_table_whole(recording: Recording, db: PooledDatabase) -> None:
    unserved = []
    checked = [
        text
        for text, callers in recording.callers.items()
        if planned(text) and not callers <= DEVELOPMENT_ONLY
    ]
    for text in checked:
        arguments = recording.parameters[text]
        for kind, given in (("custom", arguments), ("generic", None)):
            reads = whole_reads(await plan_of(db, text, given))
            if reads:
                callers = ", ".join(sorted(recording.callers[text])) or "outside sql/"
                plan = await explain(db, text, given, "text")
                unserved.append(f"{callers} ({kind} plan): {', '.join(reads)}\n{plan}\n")
    assert len(checked) >= len(query_functions() - DEVELOPMENT_ONLY)
    assert not unserved, "no index serves:\n" + "\n".join(unserved)


async def test_the_walk_runs_every_query_function_in_sql(recording: Recording) -> None:
    missed = query_functions() - recording.functions()
    assert not missed, f"walk these in tests/test_query_plans.py: {sorted(missed)}"


async def test_every_table_is_known_as_big_or_small(db: PooledDatabase) -> None:
    rows = await db.fetch_all(
        "select table_name from information_schema.tables"
        " where table_schema in ('minimaluser', 'namer', 'public') and table_type = 'BASE TABLE'"
    )
    assert {r["table_name"] for r in rows} == BIG | SMALL
    assert not BIG & SMALL


async def test_deleting_an_account_finds_its_rows_in_every_big_table_by_an_index(
    db: PooledDatabase,
) -> None:
    """Each foreign key of a big table has an index that starts with the key's columns: the
    statements its cascade runs show in no plan."""
    rows = await db.fetch_all(
        "select c.conrelid::regclass::text as holder, c.conname,"
        " exists (select 1 from pg_index i where i.indrelid = c.conrelid and i.indpred is null"
        " and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] @> c.conkey"
        " and (i.indkey::int2[])[0:cardinality(c.conkey) - 1] <@ c.conkey) as indexed"
        " from pg_constraint c where c.contype = 'f'"
    )
    keys = {r["conname"]: r["indexed"] for r in rows if r["holder"].split(".")[-1] in BIG}
    assert "tbl_session_aut_id_fkey" in keys
    assert [name for name, indexed in keys.items() if not indexed] == []


def sorts(plan: dict[str, Any]) -> list[str]:
    kind = plan["Node Type"]
    found = [kind] if kind.endswith("Sort") else []
    for child in plan.get("Plans", []):
        found += sorts(child)
    return found


async def test_the_dispatchers_claim_reads_its_rows_in_order_without_sorting_the_due_ones(
    recording: Recording, db: PooledDatabase
) -> None:
    """However many messages fall due at the same instant, a claim reads the few it takes from
    the index, in order, instead of sorting all of them first."""
    (claim,) = [
        text
        for text in recording.callers
        if "for update skip locked" in text and "minimaluser.tbl_outbox" in text
    ]
    for arguments in (recording.parameters[claim], None):
        assert sorts(await plan_of(db, claim, arguments)) == []


async def test_the_check_catches_a_table_or_an_index_read_whole(db: PooledDatabase) -> None:
    scan = "select ses_id from minimaluser.tbl_session where ses_user_agent = $1"
    ordered = scan + " order by ses_id limit 5"
    served = "select ses_id from minimaluser.tbl_session where aut_id = $1 order by ses_id"
    for arguments in (("curl",), None):
        assert whole_reads(await plan_of(db, scan, arguments)) == ["Seq Scan on tbl_session"]
        assert whole_reads(await plan_of(db, ordered, arguments)) == ["Index Scan on tbl_session"]
    assert whole_reads(await plan_of(db, served, (1,))) == []
    assert whole_reads(await plan_of(db, served, None)) == []


def test_statements_the_planner_does_not_plan_are_skipped() -> None:
    assert planned(" (select 1)") and planned("-- why\nwith x as (select 1) delete from t")
    assert planned("insert into t values (1) on conflict do nothing")
    assert not planned("set local enable_seqscan = off")
    assert not planned("create index i on t (c)")
