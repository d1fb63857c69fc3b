"""The one SQL dialect: `:named` parameters translated once to asyncpg's `$n`, and the pool that
runs them inside the task's transaction or straight from asyncpg."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest

from sql.pool import PINNED_DATABASES, PooledDatabase
from sql.query import execute, fetch_all, fetch_one, fetch_val, positional

ROOT = Path(__file__).resolve().parent.parent


def test_named_parameters_become_positional_in_order_of_first_use() -> None:
    text, names = positional("select * from t where a = :first and b > :second or a = :first")
    assert text == "select * from t where a = $1 and b > $2 or a = $1"
    assert names == ("first", "second")


def test_casts_string_literals_and_comments_are_left_alone() -> None:
    statement = (
        "select :value::int, ':not_a_name', 'it''s :quoted', \"odd:column\" -- :comment\n"
        " from t where x = cast(:other as jsonb) /* :block */ and y = $$ :dollar $$"
    )
    text, names = positional(statement)
    assert names == ("value", "other")
    assert text == (
        "select $1::int, ':not_a_name', 'it''s :quoted', \"odd:column\" -- :comment\n"
        " from t where x = cast($2 as jsonb) /* :block */ and y = $$ :dollar $$"
    )


def test_each_statement_is_translated_once() -> None:
    statement = "select :a + :b -- cached"
    assert positional(statement) is positional(statement)


async def test_a_missing_value_is_named(db: PooledDatabase) -> None:
    with pytest.raises(KeyError, match="'b'"):
        await fetch_val(db, "select :a::int + :b::int", {"a": 1})


async def test_queries_join_the_tasks_transaction_and_roll_back_with_it(
    db: PooledDatabase,
) -> None:
    await execute(db, "create table if not exists public.t_query (v text)")
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await execute(db, "insert into public.t_query (v) values (:v)", {"v": "rolled back"})
            seen = await fetch_val(
                db, "select count(*) from public.t_query where v = :v", {"v": "rolled back"}
            )
            assert seen == 1, "a query inside the transaction sees its own write"
            raise RuntimeError("undo")
    rows = await fetch_all(db, "select v from public.t_query where v = :v", {"v": "rolled back"})
    assert rows == []
    async with db.transaction():
        await execute(db, "insert into public.t_query (v) values (:v)", {"v": "kept"})
    row = await fetch_one(db, "select v from public.t_query where v = :v", {"v": "kept"})
    assert row is not None and row["v"] == "kept"
    await execute(db, "drop table public.t_query")


def test_databases_is_pinned_to_the_version_its_workarounds_were_written_for() -> None:
    """sql/pool.py reaches into private parts of `databases`: a new version must be read first."""
    assert importlib.metadata.version("databases") == PINNED_DATABASES
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = [d for d in project["dependencies"] if re.match(r"databases\b", d)]
    assert pins == [f"databases[asyncpg]=={PINNED_DATABASES}"]


def test_no_module_but_the_pool_touches_a_private_part_of_databases() -> None:
    private = re.compile(r"\._(connection|transaction_stack|pool|backend|global_connection)\b")
    packages = ("routes", "web", "accounts", "services", "sql", "bench")
    modules = [*ROOT.glob("*.py"), *(p for name in packages for p in (ROOT / name).rglob("*.py"))]
    for path in modules:
        if path == ROOT / "sql" / "pool.py":
            continue
        assert not private.search(path.read_text()), path
