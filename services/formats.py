"""Dates and numbers in the current language (Babel), from the few CLDR tables they need.

A whole Babel locale takes 5 MiB of a worker's memory, for seven of its 43 tables: `make setup`
writes those seven per language to locales/formats.pickle (`python -m services.formats`), and
workers format from them. Without that file, Babel's own locales serve, at their cost."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.localedata import LocaleDataDict
from babel.numbers import format_decimal

from services.language import LANGUAGES, LOCALES, current

FORMATS = LOCALES / "formats.pickle"
TABLES = (
    "date_formats",
    "datetime_formats",
    "day_periods",
    "decimal_formats",
    "months",
    "number_symbols",
    "time_formats",
)


def plain(value: Any) -> Any:
    """A CLDR table with its aliases resolved, as plain dictionaries."""
    if isinstance(value, Mapping):
        return {key: plain(value[key]) for key in value}
    return value


class Slim(Locale):
    """A Babel locale that holds only the tables given."""

    def __init__(self, code: str, tables: dict[str | int | None, Any]) -> None:
        super().__init__(code)
        self._Locale__data = LocaleDataDict(tables)


@cache
def locale_of(code: str) -> Locale:
    if FORMATS.exists():
        with FORMATS.open("rb") as stored:
            # Written by this module at set-up, from Babel's own pickled CLDR data.
            tables: dict[str, dict[str | int | None, Any]] = pickle.load(stored)  # noqa: S301
        if code in tables:
            return Slim(code, tables[code])
    return Locale.parse(code)


def when(moment: datetime, seconds: bool = False) -> str:
    """A date and time in the current language, always in UTC and saying so."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    locale = locale_of(current.get())
    day = format_date(moment, "medium", locale=locale)
    time = format_time(moment, "medium" if seconds else "short", tzinfo=UTC, locale=locale)
    return str(get_datetime_format("medium", locale=locale)).format(time, day) + " UTC"


def number(value: int | float) -> str:
    return format_decimal(value, locale=locale_of(current.get()))


def write() -> None:
    tables = {
        code: {table: plain(Locale.parse(code)._data[table]) for table in TABLES}
        for code in LANGUAGES
    }
    FORMATS.write_bytes(pickle.dumps(tables))


if __name__ == "__main__":
    write()
