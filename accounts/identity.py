"""Generated identities: nicknames like ``brave-otter-042917-teal`` and their SVG tiles."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from string import Template
from xml.sax.saxutils import escape

from sql import namer
from sql.pool import PooledDatabase

WORD = re.compile(r"[a-z]{3,12}")
HEX = re.compile(r"#[0-9a-f]{6}")
PLACEHOLDERS = frozenset({"title", "c1", "c2", "c3", "c4", "c5"})
REQUIRED = frozenset({"title", "c1"})
ACCENTS = ("c2", "c3", "c4", "c5")

_random = secrets.SystemRandom()


class NamerError(ValueError):
    """The word tables, palette or tile designs cannot make valid identities."""


@dataclass(frozen=True)
class Colour:
    name: str
    hex: str


@dataclass(frozen=True)
class Namer:
    """Makes nicknames and tiles from word tables, a palette and SVG tile templates."""

    adjectives: tuple[str, ...]
    animals: tuple[str, ...]
    colours: tuple[Colour, ...]
    templates: tuple[str, ...]

    def __post_init__(self) -> None:
        for label, words in (
            ("adjective", self.adjectives),
            ("animal", self.animals),
            ("colour name", tuple(c.name for c in self.colours)),
        ):
            if not words:
                raise NamerError(f"no {label}s")
            bad = [w for w in words if not WORD.fullmatch(w)]
            if bad:
                raise NamerError(f"{label}s must be 3 to 12 letters a-z: {bad!r}")
        bad_hex = [c for c in self.colours if not HEX.fullmatch(c.hex)]
        if bad_hex:
            raise NamerError(f"colours need a lower-case #rrggbb hex: {bad_hex!r}")
        if not self.templates:
            raise NamerError("no tile templates")
        for number, text in enumerate(self.templates, 1):
            check_template(text, f"tile template {number}")

    def nickname(self) -> tuple[str, Colour]:
        """A fresh ``adjective-animal-NNNNNN-colour`` and the colour it names."""
        colour = secrets.choice(self.colours)
        digits = f"{secrets.randbelow(1_000_000):06d}"
        adjective = secrets.choice(self.adjectives)
        animal = secrets.choice(self.animals)
        return f"{adjective}-{animal}-{digits}-{colour.name}", colour

    def tile(self, colour: Colour, title: str) -> str:
        """An SVG tile in a random design: main colour ``colour``, accents distinct from it."""
        template = Template(secrets.choice(self.templates))
        values = dict(zip(ACCENTS, accent_colours(self.colours, colour.hex), strict=True))
        return template.substitute(values, c1=colour.hex, title=escape(title))


def check_template(text: str, label: str = "template") -> None:
    """Raise NamerError unless ``text`` only uses ``$title`` and ``$c1``..``$c5``, both required."""
    template = Template(text)
    if not template.is_valid() or "$$" in text:
        raise NamerError(f"{label}: a '$' that is not a placeholder")
    used = set(template.get_identifiers())
    if used - PLACEHOLDERS:
        raise NamerError(f"{label}: unknown placeholders {sorted(used - PLACEHOLDERS)}")
    if REQUIRED - used:
        raise NamerError(f"{label}: missing placeholders {sorted(REQUIRED - used)}")


def accent_colours(palette: tuple[Colour, ...], main: str) -> list[str]:
    """Four distinct hex colours, none equal to ``main``: from the palette, else random."""
    pool = sorted({c.hex for c in palette} - {main})
    picked = _random.sample(pool, min(len(ACCENTS), len(pool)))
    while len(picked) < len(ACCENTS):
        extra = f"#{secrets.randbelow(0x1000000):06x}"
        if extra != main and extra not in picked:
            picked.append(extra)
    return picked


async def load_namer(db: PooledDatabase) -> Namer:
    """Read every table once; the Namer checks the data as it is built."""
    return Namer(
        adjectives=await namer.adjectives(db),
        animals=await namer.animals(db),
        colours=tuple(Colour(name, hex_) for name, hex_ in await namer.colours(db)),
        templates=await namer.templates(db),
    )
