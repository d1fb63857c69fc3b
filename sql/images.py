"""Queries on minimaluser.tbl_image: the album."""

from __future__ import annotations

from dataclasses import dataclass

from databases import Database
from databases.interfaces import Record

COLUMNS = "img_id, img_name, img_caption, img_filename, img_thumbnail, img_width, img_height"


@dataclass(frozen=True)
class Image:
    id: int
    name: str
    caption: str
    filename: str
    thumbnail: str
    width: int
    height: int


def _image(row: Record) -> Image:
    return Image(
        id=row["img_id"],
        name=row["img_name"] or "",
        caption=row["img_caption"] or "",
        filename=row["img_filename"],
        thumbnail=row["img_thumbnail"],
        width=row["img_width"],
        height=row["img_height"],
    )


async def on_home_page(db: Database) -> list[Image]:
    rows = await db.fetch_all(
        "select img_id, img_name, img_caption, img_filename, img_thumbnail, img_width, img_height"
        " from minimaluser.tbl_image where img_onair and img_is_in_hp"
        " order by img_seqno, img_id"
    )
    return [_image(r) for r in rows]


async def on_air(db: Database) -> list[Image]:
    rows = await db.fetch_all(
        "select img_id, img_name, img_caption, img_filename, img_thumbnail, img_width, img_height"
        " from minimaluser.tbl_image where img_onair order by img_seqno, img_id"
    )
    return [_image(r) for r in rows]


async def one(db: Database, img_id: int) -> Image | None:
    row = await db.fetch_one(
        "select img_id, img_name, img_caption, img_filename, img_thumbnail, img_width, img_height"
        " from minimaluser.tbl_image where img_id = :img_id and img_onair",
        {"img_id": img_id},
    )
    return _image(row) if row else None
