"""Generated nicknames and SVG tiles: the pure generator, then the real tables and designs."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import sql.namer
from accounts.identity import Colour, Namer, NamerError, accent_colours, check_template, load_namer
from sql.pool import PooledDatabase

SVG = "{http://www.w3.org/2000/svg}"
NICKNAME = re.compile(r"(?P<adj>[a-z]+)-(?P<animal>[a-z]+)-(?P<digits>[0-9]{6})-(?P<colour>[a-z]+)")
MIGRATION = Path(__file__).parent.parent / "sql" / "migrations" / "003_namer.sql"

SIMPLE = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120">'
    '<title>$title</title><rect width="120" height="120" fill="$c1"/>'
    '<rect width="60" height="60" fill="$c2"/><rect x="60" width="60" height="60" fill="$c3"/>'
    '<rect y="60" width="60" height="60" fill="$c4"/><circle cx="90" cy="90" r="9" fill="$c5"/>'
    "</svg>"
)
PALETTE = (
    Colour("teal", "#138a8a"),
    Colour("coral", "#f2665e"),
    Colour("plum", "#7d3c74"),
    Colour("amber", "#e8a317"),
    Colour("sage", "#7f9c74"),
    Colour("navy", "#24356b"),
)


def small_namer(**changes: object) -> Namer:
    fields: dict[str, object] = {
        "adjectives": ("brave", "calm", "witty"),
        "animals": ("otter", "heron", "yak"),
        "colours": PALETTE,
        "templates": (SIMPLE,),
    }
    fields.update(changes)
    return Namer(**fields)  # type: ignore[arg-type]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 -- our own templates, parsed to check them


def fills(root: ET.Element) -> list[str]:
    return [el.attrib["fill"] for el in root.iter() if "fill" in el.attrib]


def assert_safe_svg(root: ET.Element) -> None:
    """No script, no embedded HTML, no event handlers, nothing fetched from elsewhere."""
    assert root.tag == f"{SVG}svg"
    assert root.attrib["viewBox"] == "0 0 120 120"
    assert (root.attrib["width"], root.attrib["height"]) == ("120", "120")
    for el in root.iter():
        name = el.tag.removeprefix(SVG)
        assert el.tag.startswith(SVG), f"element outside the SVG namespace: {el.tag}"
        assert name not in {"script", "foreignObject", "iframe", "image", "use", "a", "style"}
        for attribute, value in el.attrib.items():
            local = attribute.rsplit("}", 1)[-1].lower()
            assert not local.startswith("on"), f"event handler {attribute} on <{name}>"
            assert local != "href", f"reference {value!r} on <{name}>"
            assert "url(" not in value.replace("url(#", ""), f"external url in {value!r}"
            assert "javascript" not in value.lower()


# The generator, with a small hand-made namer.


def test_nickname_has_adjective_animal_six_digits_colour() -> None:
    namer = small_namer()
    for _ in range(50):
        nickname, colour = namer.nickname()
        match = NICKNAME.fullmatch(nickname)
        assert match, nickname
        assert match["adj"] in namer.adjectives
        assert match["animal"] in namer.animals
        assert match["colour"] == colour.name
        assert colour in namer.colours


def test_nicknames_rarely_repeat() -> None:
    namer = small_namer()
    assert len({namer.nickname()[0] for _ in range(100)}) > 90


def test_tile_main_colour_is_the_nickname_colour() -> None:
    namer = small_namer()
    _, colour = namer.nickname()
    root = parse(namer.tile(colour, "me"))
    background = root.find(f"{SVG}rect")
    assert background is not None
    assert background.attrib["fill"] == colour.hex


def test_tile_accents_are_four_other_colours() -> None:
    namer = small_namer()
    for colour in PALETTE:
        accents = fills(parse(namer.tile(colour, "me")))[1:]
        assert len(set(accents)) == 4
        assert colour.hex not in accents
        assert all(re.fullmatch(r"#[0-9a-f]{6}", accent) for accent in accents)


def test_a_one_colour_palette_still_gets_distinct_random_accents() -> None:
    only = Colour("teal", "#138a8a")
    accents = accent_colours((only,), only.hex)
    assert len(set(accents)) == 4
    assert only.hex not in accents
    assert fills(parse(small_namer(colours=(only,)).tile(only, "me")))[0] == only.hex


def test_title_is_escaped_in_tile() -> None:
    title = 'brave-otter-000001-teal</title><script>alert("x")</script> & $c1'
    svg = small_namer().tile(PALETTE[0], title)
    root = parse(svg)
    assert root.findtext(f"{SVG}title") == title
    assert "<script" not in svg
    assert_safe_svg(root)


def test_tile_picks_among_all_designs() -> None:
    second = SIMPLE.replace("<circle", '<circle data-design="second"')
    namer = small_namer(templates=(SIMPLE, second))
    seconds = sum('data-design="second"' in namer.tile(PALETTE[0], "me") for _ in range(60))
    assert 0 < seconds < 60


@pytest.mark.parametrize(
    "template",
    [
        SIMPLE.replace("$c5", "$c6"),
        SIMPLE.replace("$c5", "$colour"),
        SIMPLE.replace("$c5", "$$c5"),
        SIMPLE.replace("$c5", "$ 5"),
        SIMPLE.replace("$title", "anonymous"),
        SIMPLE.replace("$c1", "#000000"),
    ],
    ids=["c6", "unknown-name", "escaped-dollar", "stray-dollar", "no-title", "no-main-colour"],
)
def test_template_with_wrong_placeholders_is_refused_when_the_namer_is_built(
    template: str,
) -> None:
    with pytest.raises(NamerError):
        small_namer(templates=(template,))


def test_template_check_accepts_exactly_title_and_five_colours() -> None:
    check_template(SIMPLE)


@pytest.mark.parametrize(
    "changes",
    [
        {"adjectives": ("Brave",)},
        {"animals": ("sea-otter",)},
        {"animals": ("ox",)},
        {"adjectives": ("extraordinarily",)},
        {"colours": (Colour("teal", "#138A8A"),)},
        {"colours": (Colour("teal", "138a8a"),)},
        {"adjectives": ()},
        {"templates": ()},
    ],
    ids=["capital", "dash", "short", "long", "upper-hex", "no-hash", "no-words", "no-designs"],
)
def test_words_and_colours_that_would_spoil_a_nickname_are_refused(
    changes: dict[str, object],
) -> None:
    with pytest.raises(NamerError):
        small_namer(**changes)


# The real tables and designs, from the migrated database.


async def test_word_tables_are_large_enough(db: PooledDatabase) -> None:
    assert len(await sql.namer.adjectives(db)) >= 60
    assert len(await sql.namer.animals(db)) >= 60
    assert len(await sql.namer.colours(db)) >= 24
    assert len(set(await sql.namer.templates(db))) >= 6


async def test_real_tables_make_a_valid_namer_and_nicknames_fit_a_user_name(
    db: PooledDatabase,
) -> None:
    namer = await load_namer(db)
    longest = max(map(len, namer.adjectives)) + max(map(len, namer.animals))
    assert longest + max(len(c.name) for c in namer.colours) + len("--000000-") <= 100
    nickname, colour = namer.nickname()
    assert NICKNAME.fullmatch(nickname)
    assert colour in namer.colours


async def test_every_tile_design_is_valid_svg_without_scripts_or_external_refs(
    db: PooledDatabase,
) -> None:
    namer = await load_namer(db)
    colour = namer.colours[0]
    for template in namer.templates:
        check_template(template)
        assert 'xmlns="http://www.w3.org/2000/svg"' in template
        root = parse(small_namer(templates=(template,), colours=namer.colours).tile(colour, "t"))
        assert_safe_svg(root)
        assert root.findtext(f"{SVG}title") == "t"


async def test_every_design_lays_the_main_colour_over_the_whole_tile_first(
    db: PooledDatabase,
) -> None:
    namer = await load_namer(db)
    colour = namer.colours[-1]
    for template in namer.templates:
        root = parse(small_namer(templates=(template,), colours=namer.colours).tile(colour, "t"))
        painted = [el for el in root if el.tag != f"{SVG}title"]
        first = painted[0].attrib
        assert painted[0].tag == f"{SVG}rect"
        assert (first.get("x", "0"), first.get("y", "0")) == ("0", "0")
        assert (first["width"], first["height"], first["fill"]) == ("120", "120", colour.hex)
        assert "$c2" in template, "every design has at least one accent"


async def test_palette_names_and_hex_values_are_unique(db: PooledDatabase) -> None:
    palette = await sql.namer.colours(db)
    assert len({name for name, _ in palette}) == len(palette)
    assert len({hex_ for _, hex_ in palette}) == len(palette)


async def test_namer_migration_can_run_again_without_changing_the_data(db: PooledDatabase) -> None:
    before = await load_namer(db)
    async with db.connection() as connection:
        await connection.raw_connection.execute(MIGRATION.read_text())
    assert await load_namer(db) == before
