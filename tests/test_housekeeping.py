"""The periodic clean-up removes what has expired and keeps what is alive."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from services import housekeeping
from sql import security_events
from sql.pool import PooledDatabase
from sql.query import BATCH, SMALLEST
from tests.accounts_helpers import sign_up


async def user_id_of(db: PooledDatabase, email: str) -> int:
    value: int = await db.fetch_val(
        "select aut_id from minimaluser.tbl_auth where aut_email = :email", {"email": email}
    )
    return value


async def test_sweep_removes_expired_rows_and_keeps_live_ones(
    client: httpx.AsyncClient, db: PooledDatabase
) -> None:
    email, _ = await sign_up(client)
    user_id = await user_id_of(db, email)
    await db.execute(
        "insert into minimaluser.tbl_session"
        " (aut_id, ses_ip, ses_remember, ses_created, ses_last_seen)"
        " values (:u, 'idle', false, now(), now() - interval '13 hours'),"
        " (:u, 'old-remembered', true, now() - interval '31 days', now()),"
        " (:u, 'fresh-remembered', true, now() - interval '29 days', now())",
        {"u": user_id},
    )
    await db.execute(
        "insert into minimaluser.tbl_limit (lim_key, lim_hits, lim_last)"
        " values ('sweep:old', array[now() - interval '2 days'], now() - interval '2 days'),"
        " ('sweep:new', array[now()], now())"
    )
    await db.execute(
        "insert into minimaluser.tbl_email_change (aut_id, ech_new_email, ech_expires)"
        " values (:u, 'gone@example.com', now() - interval '1 minute')",
        {"u": user_id},
    )
    await db.execute(
        "insert into minimaluser.tbl_security_event (aut_id, sev_event, sev_at)"
        " values (:u, 'login', now() - interval '400 days')",
        {"u": user_id},
    )
    await db.execute(
        "insert into minimaluser.tbl_outbox (obx_event, obx_recipient, obx_sent_at)"
        " values ('goodbye', 'sweep-old@example.com', now() - interval '8 days')"
    )

    await housekeeping.sweep(db)

    ips = {
        r["ses_ip"]
        for r in await db.fetch_all(
            "select ses_ip from minimaluser.tbl_session where aut_id = :u", {"u": user_id}
        )
    }
    assert "idle" not in ips and "old-remembered" not in ips
    assert "fresh-remembered" in ips and "127.0.0.1" in ips
    keys = {r["lim_key"] for r in await db.fetch_all("select lim_key from minimaluser.tbl_limit")}
    assert "sweep:old" not in keys and "sweep:new" in keys
    assert not await db.fetch_val(
        "select count(*) from minimaluser.tbl_email_change where aut_id = :u", {"u": user_id}
    )
    events = await db.fetch_all(
        "select sev_event from minimaluser.tbl_security_event where aut_id = :u", {"u": user_id}
    )
    assert [e["sev_event"] for e in events] == ["signup"]
    assert not await db.fetch_val(
        "select count(*) from minimaluser.tbl_outbox where obx_recipient = 'sweep-old@example.com'"
    )
    assert "Log out" in (await client.get("/")).text


async def test_sweep_keeps_failed_emails_thirty_days_for_operators_then_prunes_them(
    db: PooledDatabase,
) -> None:
    await db.execute(
        "insert into minimaluser.tbl_outbox"
        " (obx_event, obx_recipient, obx_created_at, obx_failed_at, obx_last_error)"
        " values ('goodbye', 'failed-31-days@example.com', now() - interval '34 days',"
        " now() - interval '31 days', 'SMTPConnectError: refused'),"
        " ('goodbye', 'failed-29-days@example.com', now() - interval '32 days',"
        " now() - interval '29 days', 'SMTPConnectError: refused')"
    )

    await housekeeping.sweep(db)

    left = {
        r["obx_recipient"]
        for r in await db.fetch_all(
            "select obx_recipient from minimaluser.tbl_outbox where obx_failed_at is not null"
        )
    }
    assert "failed-31-days@example.com" not in left
    assert "failed-29-days@example.com" in left


async def test_sweep_removes_more_rows_than_one_batch_in_several_and_keeps_the_live_ones(
    client: httpx.AsyncClient, db: PooledDatabase
) -> None:
    """A backlog of expired rows larger than a batch goes whole, batch after batch: sessions of
    both kinds, the security log, delivered mail."""
    email, _ = await sign_up(client)
    user_id = await user_id_of(db, email)
    rows = 2 * BATCH + 7
    await db.execute(
        "insert into minimaluser.tbl_session"
        " (aut_id, ses_ip, ses_remember, ses_created, ses_last_seen)"
        " select :u, 'backlog', i % 2 = 0, now() - interval '40 days',"
        " now() - interval '1 day' - make_interval(secs => i % 100)"
        " from generate_series(1, :n) i",
        {"u": user_id, "n": rows},
    )
    await db.execute(
        "insert into minimaluser.tbl_security_event (aut_id, sev_event, sev_at)"
        " select :u, 'backlog', now() - interval '400 days' - make_interval(secs => i % 10)"
        " from generate_series(1, :n) i",
        {"u": user_id, "n": rows},
    )
    await db.execute(
        "insert into minimaluser.tbl_outbox (obx_event, obx_recipient, obx_sent_at)"
        " select 'goodbye', 'backlog@example.com', now() - interval '8 days'"
        " from generate_series(1, :n) i",
        {"n": rows},
    )

    removed = await housekeeping.sweep(db)

    assert removed["sessions"] >= rows
    assert removed["security log"] >= rows
    assert removed["delivered mail"] >= rows
    assert not await db.fetch_val(
        "select count(*) from minimaluser.tbl_session where ses_ip = 'backlog'"
    )
    assert not await db.fetch_val(
        "select count(*) from minimaluser.tbl_security_event where sev_event = 'backlog'"
    )
    assert not await db.fetch_val(
        "select count(*) from minimaluser.tbl_outbox where obx_recipient = 'backlog@example.com'"
    )
    assert await db.fetch_val(
        "select count(*) from minimaluser.tbl_security_event where aut_id = :u", {"u": user_id}
    )
    assert "Log out" in (await client.get("/")).text


async def test_a_batch_that_meets_a_locked_row_gives_its_locks_back_at_once_and_goes_around_it(
    client: httpx.AsyncClient, db: PooledDatabase
) -> None:
    """A transaction elsewhere holds one expired row: the sweep never waits on it with its own
    row locks held. Each batch that reaches the row is cancelled within its time bound and
    retried smaller, so the rows before it go; the sweep then leaves the rest to the next one,
    which takes them once the row is free."""
    email, _ = await sign_up(client)
    user_id = await user_id_of(db, email)
    rows = 10 * SMALLEST
    await db.execute(
        "insert into minimaluser.tbl_security_event (aut_id, sev_event, sev_at)"
        " select :u, 'held', now() - interval '400 days' + make_interval(secs => i)"
        " from generate_series(1, :n) i",
        {"u": user_id, "n": rows},
    )
    left = "select count(*) from minimaluser.tbl_security_event where sev_event = 'held'"
    async with db.acquire() as holder:
        async with holder.transaction():
            await holder.execute(
                "select 1 from minimaluser.tbl_security_event where sev_event = 'held'"
                " order by sev_at desc limit 1 for update"
            )
            removed = await asyncio.wait_for(security_events.prune(db, 365), timeout=30)
            assert 0 < removed < rows
        assert await db.fetch_val(left) == rows - removed
    assert await security_events.prune(db, 365) == rows - removed
    assert not await db.fetch_val(left)


async def test_a_sweep_cut_short_leaves_no_time_limit_on_the_pools_connections(
    client: httpx.AsyncClient, db: PooledDatabase
) -> None:
    """The sweep's connection has a time limit set on it: a sweep cancelled mid-way (the worker
    stopping) closes that connection rather than give it back, so no page query inherits it."""
    email, _ = await sign_up(client)
    user_id = await user_id_of(db, email)
    await db.execute(
        "insert into minimaluser.tbl_security_event (aut_id, sev_event, sev_at)"
        " select :u, 'held', now() - interval '400 days' from generate_series(1, 3)",
        {"u": user_id},
    )
    async with db.acquire() as holder, holder.transaction():
        await holder.execute(
            "select 1 from minimaluser.tbl_security_event where sev_event = 'held' for update"
        )
        sweep = asyncio.create_task(security_events.prune(db, 365))
        await asyncio.sleep(0.3)
        sweep.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweep
    limit = "select current_setting('statement_timeout') from pg_sleep(0.05)"
    limits = await asyncio.gather(*(db.fetch_val(limit) for _ in range(8)))
    assert set(limits) == {"0"}
