"""Queries on minimaluser.tbl_image: the album."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from database import PooledDatabase


@dataclass(frozen=True)
class Image:
    id: int
    name: str
    caption: str
    filename: str
    thumbnail: str
    width: int
    height: int


def from_row(row: Mapping[str, Any]) -> Image:
    return Image(
        id=row["img_id"],
        name=row["img_name"] or "",
        caption=row["img_caption"] or "",
        filename=row["img_filename"],
        thumbnail=row["img_thumbnail"],
        width=row["img_width"],
        height=row["img_height"],
    )


# These run on every page view: straight to asyncpg with positional parameters, because
# `databases` compiles each query through SQLAlchemy (about 0.25 ms of CPU a query here).
ON_HOME_PAGE = (
    "select img_id, img_name, img_caption, img_filename, img_thumbnail, img_width, img_height"
    " from minimaluser.tbl_image where img_onair and img_is_in_hp order by img_seqno, img_id"
)
ON_AIR = (
    "select img_id, img_name, img_caption, img_filename, img_thumbnail, img_width, img_height"
    " from minimaluser.tbl_image where img_onair order by img_seqno, img_id"
)
ONE = (
    "select img_id, img_name, img_caption, img_filename, img_thumbnail, img_width, img_height"
    " from minimaluser.tbl_image where img_id = $1 and img_onair"
)


async def on_home_page(db: PooledDatabase) -> list[Image]:
    async with db.pooled() as conn:
        rows = await conn.fetch(ON_HOME_PAGE)
    return [from_row(r) for r in rows]


async def on_air(db: PooledDatabase) -> list[Image]:
    async with db.pooled() as conn:
        rows = await conn.fetch(ON_AIR)
    return [from_row(r) for r in rows]


async def one(db: PooledDatabase, img_id: int) -> Image | None:
    async with db.pooled() as conn:
        row = await conn.fetchrow(ONE, img_id)
    return from_row(row) if row else None
