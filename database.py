"""The PostgreSQL connection: the embedded server when none is configured, the pool, migrations."""

from __future__ import annotations

import hashlib
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
from databases import Database

from settings import Settings

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "sql" / "migrations"
MIGRATION_LOCK = 7_242_017
UNAVAILABLE = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


@dataclass
class Connection:
    """Where the pool connects: a URL, plus the socket folder of an embedded server."""

    url: str
    socket_dir: str | None = None
    server: Any = None

    def close(self) -> None:
        if self.server is not None:
            self.server.cleanup()
            self.server = None


def embedded(data_dir: Path) -> Connection:
    """Start (or join) the pgserver instance in DATA_DIR; the last process out stops it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    data_dir.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir / "postgres", cleanup_mode="stop")
    socket_dir = parse_qs(urlsplit(server.get_uri()).query)["host"][0]
    return Connection("postgresql://postgres@localhost/postgres", socket_dir, server)


def connection_for(settings: Settings) -> Connection:
    """DATABASE_URL (its ?host= socket folder honoured), else the embedded server."""
    if not settings.database_url:
        return embedded(settings.data_dir)
    parts = urlsplit(settings.database_url)
    host = parse_qs(parts.query).get("host")
    if host and host[0].startswith("/"):
        return Connection(
            parts._replace(netloc=_with_host(parts.netloc), query="").geturl(), host[0]
        )
    return Connection(settings.database_url)


def _with_host(netloc: str) -> str:
    credentials, _, _host = netloc.rpartition("@")
    return f"{credentials}@localhost" if credentials else "localhost"


def database(connection: Connection, settings: Settings, **pool: Any) -> Database:
    options: dict[str, Any] = {
        "min_size": 1,
        "max_size": 10,
        "timeout": settings.db_timeout,
        "command_timeout": settings.db_timeout * 5,
        "server_settings": {"application_name": "minimal-user"},
    }
    if connection.socket_dir:
        options["host"] = connection.socket_dir
    options.update(pool)
    return Database(connection.url, **options)


def pending(applied: set[str]) -> list[Path]:
    return [p for p in sorted(MIGRATIONS.glob("[0-9][0-9][0-9]_*.sql")) if p.name not in applied]


async def migrate(db: Database) -> list[str]:
    """Apply each migration once, in order, under an advisory lock so workers may start together."""
    done: list[str] = []
    async with db.connection() as conn:
        raw = conn.raw_connection
        await raw.execute("select pg_advisory_lock($1)", MIGRATION_LOCK)
        try:
            await raw.execute(
                "create table if not exists public.schema_migration ("
                " name text primary key, checksum text not null,"
                " applied_at timestamptz not null default now())"
            )
            rows = await raw.fetch("select name from public.schema_migration")
            for path in pending({r["name"] for r in rows}):
                text = path.read_text()
                async with raw.transaction():
                    await raw.execute(text)
                    await raw.execute(
                        "insert into public.schema_migration (name, checksum) values ($1, $2)",
                        path.name,
                        hashlib.sha256(text.encode()).hexdigest(),
                    )
                log.info("applied migration %s", path.name)
                done.append(path.name)
        finally:
            await raw.execute("select pg_advisory_unlock($1)", MIGRATION_LOCK)
    return done
