"""Queries over the namer schema: word tables, palette and tile designs."""

from __future__ import annotations

from sql.pool import PooledDatabase
from sql.query import fetch_all


async def adjectives(db: PooledDatabase) -> tuple[str, ...]:
    rows = await fetch_all(db, "select adj_word from namer.tbl_adjective order by adj_word")
    return tuple(row["adj_word"] for row in rows)


async def animals(db: PooledDatabase) -> tuple[str, ...]:
    rows = await fetch_all(db, "select ani_word from namer.tbl_animal order by ani_word")
    return tuple(row["ani_word"] for row in rows)


async def colours(db: PooledDatabase) -> tuple[tuple[str, str], ...]:
    """(name, hex) pairs of the palette."""
    rows = await fetch_all(db, "select col_name, col_hex from namer.tbl_colour order by col_name")
    return tuple((row["col_name"], row["col_hex"]) for row in rows)


async def templates(db: PooledDatabase) -> tuple[str, ...]:
    rows = await fetch_all(db, "select tpl_svg from namer.tbl_tile_template order by tpl_name")
    return tuple(row["tpl_svg"] for row in rows)
