"""The cat album: hand-drawn SVG files that are safe to serve, and the migration that lists them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "static"
ALBUM = STATIC / "img" / "album"
THUMBS = ALBUM / "thumbs"
MIGRATION = ROOT / "sql" / "migrations" / "002_album.sql"

SVG_NS = "http://www.w3.org/2000/svg"
FORBIDDEN_ELEMENTS = {"script", "foreignobject", "image", "iframe", "object", "embed"}
EXTERNAL_URL = re.compile(r"url\(\s*['\"]?(?!#)", re.IGNORECASE)
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ROW = re.compile(
    r"\((?P<id>\d+),\s*'(?P<name>[^']*)',\s*'(?P<caption>[^']*)',\s*"
    r"'(?P<filename>[^']*)',\s*'(?P<thumbnail>[^']*)',\s*"
    r"(?P<width>\d+),\s*(?P<height>\d+),\s*(?P<onair>true|false),\s*"
    r"(?P<seqno>\d+),\s*(?P<in_hp>true|false)\)"
)


@dataclass(frozen=True)
class AlbumRow:
    img_id: int
    name: str
    caption: str
    filename: str
    thumbnail: str
    width: int
    height: int
    onair: bool
    seqno: int
    in_hp: bool


def album_svgs() -> list[Path]:
    return sorted(ALBUM.rglob("*.svg"))


def pictures() -> list[Path]:
    return sorted(ALBUM.glob("*.svg"))


def parse(path: Path) -> ET.Element:
    return ET.fromstring(path.read_bytes())  # noqa: S314 -- our own drawings, parsed to check them


def local(name: str) -> str:
    return name.rpartition("}")[2]


def migration_rows() -> list[AlbumRow]:
    return [
        AlbumRow(
            img_id=int(m["id"]),
            name=m["name"],
            caption=m["caption"],
            filename=m["filename"],
            thumbnail=m["thumbnail"],
            width=int(m["width"]),
            height=int(m["height"]),
            onair=m["onair"] == "true",
            seqno=int(m["seqno"]),
            in_hp=m["in_hp"] == "true",
        )
        for m in ROW.finditer(MIGRATION.read_text())
    ]


def test_the_album_has_at_least_fourteen_pictures_each_with_a_thumbnail() -> None:
    names = [p.name for p in pictures()]
    assert len(names) >= 14
    assert all(SLUG.fullmatch(p.stem) for p in pictures())
    assert sorted(p.name for p in THUMBS.glob("*.svg")) == names


@pytest.mark.parametrize("path", album_svgs(), ids=lambda p: str(p.relative_to(ALBUM)))
def test_every_album_image_is_safe_standalone_svg(path: Path) -> None:
    root = parse(path)
    assert root.tag == f"{{{SVG_NS}}}svg"
    assert root.get("viewBox")
    for element in root.iter():
        assert local(element.tag).lower() not in FORBIDDEN_ELEMENTS, element.tag
        for attribute, value in element.attrib.items():
            name = local(attribute).lower()
            assert not name.startswith("on"), f"event handler {attribute} in {path.name}"
            if name == "href":
                assert value.startswith("#"), f"{attribute}={value!r} leaves the document"
            assert not EXTERNAL_URL.search(value), f"{attribute}={value!r} leaves the document"
        if local(element.tag) == "style":
            assert not EXTERNAL_URL.search(element.text or "")
            assert "@import" not in (element.text or "")


@pytest.mark.parametrize("path", album_svgs(), ids=lambda p: str(p.relative_to(ALBUM)))
def test_every_album_image_describes_itself_with_a_title(path: Path) -> None:
    titles = [e for e in parse(path).iter() if local(e.tag) == "title"]
    assert titles
    assert len((titles[0].text or "").strip()) > 20


@pytest.mark.parametrize("path", pictures(), ids=lambda p: p.name)
def test_full_pictures_are_800_by_600_and_stay_small(path: Path) -> None:
    root = parse(path)
    assert (root.get("width"), root.get("height")) == ("800", "600")
    assert root.get("viewBox") == "0 0 800 600"
    assert path.stat().st_size < 8 * 1024


@pytest.mark.parametrize("path", sorted(THUMBS.glob("*.svg")), ids=lambda p: p.name)
def test_thumbnails_are_320_by_240_crops_of_the_same_scene(path: Path) -> None:
    root = parse(path)
    assert (root.get("width"), root.get("height")) == ("320", "240")
    x, y, width, height = (float(v) for v in (root.get("viewBox") or "").split())
    assert 0 <= x and 0 <= y and x + width <= 800 and y + height <= 600
    assert width / height == pytest.approx(4 / 3, rel=0.01)
    assert path.stat().st_size < 4 * 1024


def test_every_file_named_in_the_album_migration_exists_on_disk() -> None:
    rows = migration_rows()
    assert rows
    for row in rows:
        assert (STATIC / row.filename).is_file(), row.filename
        assert (STATIC / row.thumbnail).is_file(), row.thumbnail
        assert row.thumbnail == row.filename.replace("img/album/", "img/album/thumbs/", 1)


def test_the_migration_lists_every_picture_exactly_once_with_ids_one_to_n() -> None:
    rows = migration_rows()
    assert [r.img_id for r in rows] == list(range(1, len(rows) + 1))
    assert sorted(r.filename for r in rows) == [f"img/album/{p.name}" for p in pictures()]


def test_four_pictures_reach_the_home_page_and_one_stays_hidden() -> None:
    rows = migration_rows()
    assert sum(r.in_hp for r in rows) == 4
    assert any(not r.onair for r in rows)
    assert all(r.onair for r in rows if r.in_hp)


def test_album_order_comes_from_seqno_not_from_ids() -> None:
    rows = migration_rows()
    seqnos = sorted(r.seqno for r in rows)
    assert seqnos == [10 * (i + 1) for i in range(len(rows))]
    by_seqno = [r.img_id for r in sorted(rows, key=lambda r: r.seqno)]
    assert sum(a != b for a, b in zip(by_seqno, sorted(by_seqno), strict=True)) >= 2


def test_names_and_captions_fit_their_columns() -> None:
    for row in migration_rows():
        assert 0 < len(row.name) <= 124
        assert 0 < len(row.caption) <= 255
        assert row.caption.endswith(".")
        assert (row.width, row.height) == (800, 600)


def test_the_album_migration_can_run_again_and_resets_the_identity() -> None:
    sql = MIGRATION.read_text()
    assert "on conflict (img_id) do update set" in sql
    assert "select setval(pg_get_serial_sequence('minimaluser.tbl_image', 'img_id')" in sql
