"""Queries over the namer schema: word tables, palette and tile designs."""

from __future__ import annotations

from databases import Database

from identity import Colour, Namer


async def adjectives(db: Database) -> tuple[str, ...]:
    rows = await db.fetch_all("select adj_word from namer.tbl_adjective order by adj_word")
    return tuple(row["adj_word"] for row in rows)


async def animals(db: Database) -> tuple[str, ...]:
    rows = await db.fetch_all("select ani_word from namer.tbl_animal order by ani_word")
    return tuple(row["ani_word"] for row in rows)


async def colours(db: Database) -> tuple[Colour, ...]:
    rows = await db.fetch_all("select col_name, col_hex from namer.tbl_colour order by col_name")
    return tuple(Colour(row["col_name"], row["col_hex"]) for row in rows)


async def templates(db: Database) -> tuple[str, ...]:
    rows = await db.fetch_all("select tpl_svg from namer.tbl_tile_template order by tpl_name")
    return tuple(row["tpl_svg"] for row in rows)


async def load_namer(db: Database) -> Namer:
    """Read every table once; the Namer checks the data as it is built."""
    return Namer(
        adjectives=await adjectives(db),
        animals=await animals(db),
        colours=await colours(db),
        templates=await templates(db),
    )
