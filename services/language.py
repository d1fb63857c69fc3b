"""The language of the work in hand, and the words in it: one language per request (chosen by
web's middleware) or per email (its outbox row), held in a context variable that the rules and
the services read. Catalogues are locales/<code>/LC_MESSAGES/messages.mo, built by the set-up."""

from __future__ import annotations

import gettext as stdlib_gettext
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_decimal
from babel.support import Translations
from jinja2 import Environment
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

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


def negotiate(header: str) -> str | None:
    """The best language of ours in an Accept-Language header, by its q-values; ties keep the
    header's order. `it-CH` matches `it`; `*` and unknown tags match nothing."""
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


def when(moment: datetime, seconds: bool = False) -> str:
    """A date and time in the current language, always in UTC and saying so."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    locale = current.get()
    day = format_date(moment, "medium", locale=locale)
    time = format_time(moment, "medium" if seconds else "short", tzinfo=UTC, locale=locale)
    return str(get_datetime_format("medium", locale=locale)).format(time, day) + " UTC"


def number(value: int | float) -> str:
    return format_decimal(value, locale=current.get())


# Whitespace in a {% trans %} block, as Jinja's trimmed policy folds it into the message id.
TRIMMED = re.compile(r"\s*\n\s*")


class Folded(Extension):
    """Words known when a template compiles are translated then, into the language of its
    environment: `_("…")` and `{% trans %}…{% endtrans %}` without values become text in the
    compiled template, so a page pays for a lookup only where a value goes into its words.
    Folded words are escaped like any other text (Jinja's own calls would trust them)."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        words = catalogue(getattr(self.environment, "words_language", DEFAULT))
        tokens = list(stream)
        at = 0
        while at < len(tokens):
            token = tokens[at]
            kinds = [t.type for t in tokens[at : at + 4]]
            if token.test("name:_") and kinds == ["name", "lparen", "string", "rparen"]:
                said = words.gettext(tokens[at + 2].value).replace("%%", "%")
                yield Token(token.lineno, "string", said)
                at += 4
                continue
            block = tokens[at : at + 7]
            if (
                len(block) == 7
                and [t.type for t in block] == [*BLOCK, "data", *BLOCK]
                and block[1].test("name:trans")
                and block[5].test("name:endtrans")
            ):
                message = TRIMMED.sub(" ", block[3].value.strip()).replace("%", "%%")
                yield Token(token.lineno, "data", words.gettext(message).replace("%%", "%"))
                at += 7
                continue
            yield token
            at += 1


BLOCK = ("block_begin", "name", "block_end")


def install(env: Environment, code: str = DEFAULT) -> None:
    """Jinja's i18n extension on `env`, for pages in `code`: `_()`, `ngettext()` and
    `{% trans %}` (whitespace trimmed), folded when they hold no value and otherwise looked up in
    the current language as they render; plus the `when` and `number` filters."""
    env.extend(words_language=code)
    env.add_extension(Folded)
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: catalogue(current.get()).gettext(message),
        ngettext=lambda one, many, num: catalogue(current.get()).ngettext(one, many, num),
        newstyle=True,
    )
    env.filters["when"] = when
    env.filters["number"] = number
    env.globals["language"] = language
