"""Queries on minimaluser.tbl_image: the album."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sql.pool import PooledDatabase
from sql.query import fetch_all, fetch_one


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
    " from minimaluser.tbl_image where img_id = :img_id and img_onair"
)


async def on_home_page(db: PooledDatabase) -> list[Image]:
    return [from_row(r) for r in await fetch_all(db, ON_HOME_PAGE)]


async def on_air(db: PooledDatabase) -> list[Image]:
    return [from_row(r) for r in await fetch_all(db, ON_AIR)]


async def one(db: PooledDatabase, img_id: int) -> Image | None:
    row = await fetch_one(db, ONE, {"img_id": img_id})
    return from_row(row) if row else None
