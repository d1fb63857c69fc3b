"""The migration runner: each `migrations/NNN_name.sql` once, in order, under an advisory lock."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from sql.pool import PooledDatabase

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 7_242_017
# Migrations may wait for another worker's lock and run long statements: no query timeout.
MIGRATION_TIMEOUT = 3600.0


def pending(applied: set[str]) -> list[Path]:
    return [p for p in sorted(MIGRATIONS.glob("[0-9][0-9][0-9]_*.sql")) if p.name not in applied]


async def migrate(db: PooledDatabase) -> list[str]:
    """Apply each migration once, in order, under an advisory lock so workers may start together."""
    done: list[str] = []
    async with db.connection() as conn:
        raw = conn.raw_connection
        wait = MIGRATION_TIMEOUT
        await raw.execute("select pg_advisory_lock($1)", MIGRATION_LOCK, timeout=wait)
        try:
            await raw.execute(
                "create table if not exists public.schema_migration ("
                " name text primary key, checksum text not null,"
                " applied_at timestamptz not null default now())",
                timeout=wait,
            )
            rows = await raw.fetch("select name from public.schema_migration", timeout=wait)
            for path in pending({r["name"] for r in rows}):
                text = path.read_text()
                async with raw.transaction():
                    await raw.execute(text, timeout=wait)
                    await raw.execute(
                        "insert into public.schema_migration (name, checksum) values ($1, $2)",
                        path.name,
                        hashlib.sha256(text.encode()).hexdigest(),
                        timeout=wait,
                    )
                log.info("applied migration %s", path.name)
                done.append(path.name)
        finally:
            await raw.execute("select pg_advisory_unlock($1)", MIGRATION_LOCK, timeout=wait)
    return done
