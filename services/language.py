"""The language of the work in hand, and the words in it: one language per request (chosen by
web's middleware) or per email (its outbox row), held in a context variable that the rules and
the services read. Catalogues are locales/<code>/LC_MESSAGES/messages.mo, built by the set-up."""

from __future__ import annotations

import gettext as stdlib_gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from babel.support import Translations

LOCALES = Path(__file__).resolve().parent.parent / "locales"


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    direction: str = "ltr"


# English is the source: its words are the message ids, so it has no catalogue.
LANGUAGES = {
    "en": Language("en", "English"),
    "it": Language("it", "Italiano"),
    "ar": Language("ar", "العربية", "rtl"),
}
DEFAULT = "en"

current: ContextVar[str] = ContextVar("language", default=DEFAULT)


def language() -> Language:
    return LANGUAGES[current.get()]


@contextmanager
def speaking(code: str) -> Iterator[None]:
    """Outside a request (an email at delivery, a command): words in `code` meanwhile."""
    token = current.set(code if code in LANGUAGES else DEFAULT)
    try:
        yield
    finally:
        current.reset(token)


@cache
def catalogue(code: str) -> stdlib_gettext.NullTranslations:
    if code == DEFAULT:
        return stdlib_gettext.NullTranslations()
    return Translations.load(LOCALES, [code])


def gettext(message: str, **values: object) -> str:
    """`message` in the current language; `%(name)s` placeholders filled from `values`."""
    text = catalogue(current.get()).gettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, num: int, **values: object) -> str:
    """The form for `num` (Arabic has six); `%(num)d` and the other placeholders filled."""
    text = catalogue(current.get()).ngettext(singular, plural, num)
    return text % {"num": num, **values}


def N_(message: str) -> str:
    """Marks a constant for extraction; it is translated where it is shown, with gettext."""
    return message


@lru_cache(maxsize=256)
def negotiate(header: str) -> str | None:
    """The best language of ours in an Accept-Language header, by its q-values; ties keep the
    header's order. `it-CH` matches `it`; `*` and unknown tags match nothing. A browser sends
    the same header on every request: each is read once."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")[:32]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        code = tag.strip().lower().split("-")[0]
        if code in LANGUAGES and 0 < quality <= 1:
            ranked.append((-quality, position, code))
    return min(ranked)[2] if ranked else None
