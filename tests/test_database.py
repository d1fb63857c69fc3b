"""Migrations, several processes starting together, and the 503 while PostgreSQL is away."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import settings as settings_module
from sql import migrator, pool
from sql.pool import PooledDatabase
from tests.servers import RUN_DIR, LiveServer, Postgres, app_env


async def test_each_migration_is_recorded_once(db: PooledDatabase) -> None:
    names = [r["name"] for r in await db.fetch_all("select name from public.schema_migration")]
    files = sorted(p.name for p in migrator.MIGRATIONS.glob("[0-9][0-9][0-9]_*.sql"))
    assert sorted(names) == files
    assert await migrator.migrate(db) == []


async def test_original_tables_keep_their_names_and_lose_the_plain_key(db: PooledDatabase) -> None:
    columns = {
        r["column_name"]
        for r in await db.fetch_all(
            "select column_name from information_schema.columns"
            " where table_schema = 'minimaluser' and table_name = 'tbl_auth'"
        )
    }
    assert {"aut_id", "aut_email", "aut_key", "aut_name", "aut_isvalid", "aut_confirmed"} <= columns
    assert "aut_key_temp" not in columns


async def test_email_is_unique_without_regard_to_case(db: PooledDatabase) -> None:
    await db.execute(
        "insert into minimaluser.tbl_auth (aut_email, aut_key, aut_name, aut_tile)"
        " values ('Case@Example.com', 'x', 'case-one', 'a.svg')"
    )
    with pytest.raises(Exception, match="tbl_auth_email_unique"):
        await db.execute(
            "insert into minimaluser.tbl_auth (aut_email, aut_key, aut_name, aut_tile)"
            " values ('case@example.COM', 'x', 'case-two', 'b.svg')"
        )


async def test_two_app_processes_starting_together_migrate_once(postgres: Postgres) -> None:
    url = postgres.create_database()
    servers = [LiveServer(app_env(url)) for _ in range(2)]
    await asyncio.gather(*(asyncio.to_thread(s.start) for s in servers))
    config = settings_module.load(app_env(url))
    check = pool.database(pool.connection_for(config), config)
    try:
        async with httpx.AsyncClient() as http:
            for server in servers:
                assert (await http.get(server.url + "/about")).status_code == 200
        await check.connect()
        row = await check.fetch_one(
            "select count(*) as n, count(distinct name) as d from public.schema_migration"
        )
        assert row is not None
        assert row["n"] == row["d"] == len(list(migrator.MIGRATIONS.glob("*.sql")))
    finally:
        await check.disconnect()
        for server in servers:
            server.stop()


@dataclass
class OnePool:
    """A pool of a single connection, and another pool that can cut it."""

    one: PooledDatabase
    other: PooledDatabase

    async def cut(self, pid: int) -> None:
        await self.other.execute("select pg_terminate_backend(:pid)", {"pid": pid})


@pytest.fixture
async def one_pool(postgres: Postgres) -> AsyncIterator[OnePool]:
    config = settings_module.load(app_env(postgres.create_database()))
    pools = OnePool(
        pool.database(pool.connection_for(config), config, min_size=1, max_size=1),
        pool.database(pool.connection_for(config), config),
    )
    await pools.one.connect()
    await pools.other.connect()
    yield pools
    await pools.one.disconnect()
    await pools.other.disconnect()


async def test_a_failed_transaction_gives_its_connection_back(one_pool: OnePool) -> None:
    """A connection cut under a transaction fails it; the pool still has its one connection."""
    one = one_pool.one
    async with one.connection() as connection:
        await one_pool.cut(await connection.fetch_val("select pg_backend_pid()"))
        with pytest.raises(pool.UNAVAILABLE):
            async with connection.transaction():
                pass
    assert await one.fetch_val("select 1") == 1
    with pytest.raises(pool.UNAVAILABLE):
        async with one.transaction():
            await one_pool.cut(await one.fetch_val("select pg_backend_pid()"))
    assert await one.fetch_val("select 1") == 1


async def test_a_task_whose_connection_was_cut_mid_transaction_queries_again(
    one_pool: OnePool,
) -> None:
    """The cut is noticed when the connection is given back (its reset fails); the task, like
    the mail dispatcher's endless loop, must not keep the dead connection."""
    one = one_pool.one
    async with one.connection() as connection:
        pid = await connection.fetch_val("select pg_backend_pid()")
        await connection.raw_connection.execute("begin")
        await one_pool.cut(pid)
    assert await one.fetch_val("select 1") == 1
    assert await one.fetch_val("select pg_backend_pid()") != pid


@pytest.fixture
def outage_postgres() -> Iterator[Postgres]:
    pg = Postgres(RUN_DIR / "pg-outage")
    yield pg
    pg.server.cleanup()


async def test_stopped_database_gives_a_prompt_503_and_the_site_recovers(
    outage_postgres: Postgres,
) -> None:
    from app import create_app

    url = outage_postgres.create_database()
    application: Any = create_app(settings_module.load(app_env(url)))
    transport = httpx.ASGITransport(app=application)
    async with (
        application.router.lifespan_context(application),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        assert (await client.get("/")).status_code == 200
        await asyncio.to_thread(outage_postgres.stop)
        started = time.monotonic()
        page = await client.get("/")
        assert page.status_code == 503
        assert time.monotonic() - started < 10
        assert page.headers["retry-after"] == "5"
        assert "Temporarily unavailable" in page.text
        assert "Traceback" not in page.text
        assert (await client.get("/about")).status_code == 200
        await asyncio.to_thread(outage_postgres.start)
        assert (await client.get("/")).status_code == 200


def test_development_secret_is_generated_once_and_shared(tmp_path: Path) -> None:
    env = {"APP_ENV": "development", "DATA_DIR": str(tmp_path)}
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: settings_module.load(env).secret_key, range(16)))
    assert len(keys) == 1
    assert len(next(iter(keys))) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("env", "needs"),
    [
        ({}, "SECRET_KEY, DATABASE_URL, BASE_URL, SMTP_URL or MAILER_URL"),
        (
            {
                "SECRET_KEY": "short",
                "DATABASE_URL": "postgresql://u@h/d",
                "BASE_URL": "https://example.com",
                "SMTP_URL": "smtp://mail:25",
            },
            "at least 32 bytes",
        ),
        ({"APP_ENV": "staging"}, "APP_ENV must be one of"),
    ],
)
def test_production_refuses_to_start_without_what_it_needs(
    env: dict[str, str], needs: str, tmp_path: Path
) -> None:
    with pytest.raises(settings_module.SettingsError, match=needs):
        settings_module.load({"DATA_DIR": str(tmp_path), **env})


def test_production_starts_with_everything_set(tmp_path: Path) -> None:
    config = settings_module.load(
        {
            "SECRET_KEY": "k" * 32,
            "DATABASE_URL": "postgresql://u:p@db:5432/site",
            "BASE_URL": "https://example.com/",
            "SMTP_URL": "smtp://mail:25",
            "DATA_DIR": str(tmp_path),
        }
    )
    assert config.production and config.base_url == "https://example.com"


def test_throttle_limits_are_settings(tmp_path: Path) -> None:
    env = {"APP_ENV": "test", "DATA_DIR": str(tmp_path), "THROTTLE_SIGNUP_IP": "1000/60"}
    limits = settings_module.load(env).limits
    assert limits.signup_ip == (1000, 60)
    assert limits.login_account == (5, 300)
    with pytest.raises(settings_module.SettingsError, match="THROTTLE_LOGIN_IP"):
        settings_module.load({**env, "THROTTLE_LOGIN_IP": "lots"})
