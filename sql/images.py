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


# English lives in tbl_image; the other languages' words in tbl_image_text, English when missing.
COLUMNS = (
    "select i.img_id, coalesce(t.itx_name, i.img_name) as img_name,"
    " coalesce(t.itx_caption, i.img_caption) as img_caption, i.img_filename, i.img_thumbnail,"
    " i.img_width, i.img_height from minimaluser.tbl_image i"
    " left join minimaluser.tbl_image_text t"
    " on t.img_id = i.img_id and t.itx_language = :language"
)
ON_HOME_PAGE = COLUMNS + " where i.img_onair and i.img_is_in_hp order by i.img_seqno, i.img_id"
ON_AIR = COLUMNS + " where i.img_onair order by i.img_seqno, i.img_id"
ONE = COLUMNS + " where i.img_id = :img_id and i.img_onair"


async def on_home_page(db: PooledDatabase, language: str) -> list[Image]:
    return [from_row(r) for r in await fetch_all(db, ON_HOME_PAGE, {"language": language})]


async def on_air(db: PooledDatabase, language: str) -> list[Image]:
    return [from_row(r) for r in await fetch_all(db, ON_AIR, {"language": language})]


async def one(db: PooledDatabase, img_id: int, language: str) -> Image | None:
    row = await fetch_one(db, ONE, {"img_id": img_id, "language": language})
    return from_row(row) if row else None
