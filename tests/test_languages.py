"""Choosing the language: Accept-Language with q-values, the switcher (with and without htmx),
the account's column at login, and what pages say about it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal
from jinja2 import Environment

from services.formats import FORMATS, Slim, locale_of, number, when
from services.language import negotiate, speaking
from services.words import install
from sql import users
from sql.pool import PooledDatabase
from tests.accounts_helpers import client_for, log_in, reset, sign_up
from tests.forms import post_form
from tests.servers import Mailbox
from tests.test_login_code import emailed_login_code
from tests.test_recovery import account_with_code

ITALIAN_DATE = re.compile(r"\d{1,2} (gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic) \d{4}")
HTML_TAG = re.compile(r"<html lang=\"(\w+)\" dir=\"(\w+)\"")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("it-IT,it;q=0.9,en;q=0.8", "it"),
        ("en;q=0.5, ar;q=0.9", "ar"),
        ("fr-FR, it;q=0.3, en;q=0.2", "it"),
        ("de, fr", None),
        ("*", None),
        ("ar;q=0, it;q=0.1", "it"),
        ("en, it", "en"),
        ("it;q=1.5, ar;q=abc, en;q=0.4", "en"),
        ("", None),
        ("AR-eg", "ar"),
    ],
)
def test_accept_language_is_matched_by_its_q_values(header: str, expected: str | None) -> None:
    assert negotiate(header) == expected


def test_dates_and_numbers_follow_the_language_and_always_say_utc() -> None:
    moment = datetime(2026, 12, 1, 23, 5, tzinfo=UTC)
    with speaking("en"):
        assert when(moment) == "Dec 1, 2026, 11:05\u202fPM UTC"
        assert number(12345) == "12,345"
    with speaking("it"):
        assert when(moment) == "1 dic 2026, 23:05 UTC"
        assert number(12345) == "12.345"
    with speaking("ar"):
        assert when(moment).endswith(" UTC") and "2026" in when(moment)


def page_language(page: httpx.Response) -> tuple[str, str]:
    found = HTML_TAG.search(page.text)
    assert found, page.text[:200]
    return found.group(1), found.group(2)


async def test_a_page_speaks_the_best_accepted_language_and_says_so(
    client: httpx.AsyncClient,
) -> None:
    english = await client.get("/")
    assert page_language(english) == ("en", "ltr")
    assert english.headers["content-language"] == "en"
    italian = await client.get("/", headers={"Accept-Language": "it-IT,it;q=0.9,en;q=0.8"})
    assert page_language(italian) == ("it", "ltr")
    assert italian.headers["content-language"] == "it"
    assert "Accedi" in italian.text
    arabic = await client.get("/about", headers={"Accept-Language": "ar"})
    assert page_language(arabic) == ("ar", "rtl")
    assert "bootstrap.rtl.min.css" in arabic.text
    vary = [v.strip() for v in arabic.headers["vary"].split(",")]
    assert {"Accept-Language", "Cookie", "HX-Request", "HX-Request-Type"} <= set(vary)


async def test_the_switcher_keeps_the_choice_in_a_cookie_over_accept_language(
    client: httpx.AsyncClient,
) -> None:
    answer = await post_form(client, "/language", {"language": "ar", "next": "/about"})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/about"
    assert "language=ar" in answer.headers["set-cookie"]
    assert "HttpOnly" in answer.headers["set-cookie"]
    page = await client.get("/about", headers={"Accept-Language": "it"})
    assert page_language(page) == ("ar", "rtl")
    assert 'value="ar" lang="ar" selected' in page.text


async def test_the_switcher_in_htmx_reloads_the_page_it_came_from(
    client: httpx.AsyncClient,
) -> None:
    answer = await post_form(client, "/language", {"language": "it", "next": "/album/"}, htmx=True)
    assert answer.status_code == 204
    assert answer.headers["hx-redirect"] == "/album/"
    assert page_language(await client.get("/")) == ("it", "ltr")


@pytest.mark.parametrize(
    "data",
    [
        {"language": "fr"},
        {"language": ""},
        {},
        {"language": "it\x00"},
        {"language": "en", "next": "https://evil.example/"},
    ],
)
async def test_a_bad_choice_is_refused_plainly_and_a_foreign_next_goes_home(
    client: httpx.AsyncClient, data: dict[str, str]
) -> None:
    answer = await post_form(client, "/language", data)
    if data.get("language") == "en":
        assert answer.status_code == 303 and answer.headers["location"] == "/"
    else:
        assert answer.status_code == 400
        assert "set-cookie" not in answer.headers or "language=" not in answer.headers["set-cookie"]


async def test_the_switcher_needs_the_forms_token(client: httpx.AsyncClient) -> None:
    answer = await client.post("/language", data={"language": "ar"})
    assert answer.status_code == 403


async def test_a_forged_cookie_value_falls_back_to_accept_language(app: Any) -> None:
    async with client_for(app, "10.9.0.1") as client:
        client.cookies.set("language", "<script>")
        page = await client.get("/", headers={"Accept-Language": "it"})
        assert page_language(page) == ("it", "ltr")


async def test_sign_up_records_the_pages_language_and_a_switch_updates_it(
    app: Any, db: PooledDatabase
) -> None:
    async with client_for(app, "10.9.0.2") as client:
        client.headers["Accept-Language"] = "it"
        email, _key = await sign_up(client, confirmed=True)
        account = await users.by_email(db, email)
        assert account is not None and account.language == "it"
        await post_form(client, "/language", {"language": "ar"})
        account = await users.by_email(db, email)
        assert account is not None and account.language == "ar"


async def test_at_login_the_accounts_language_wins_and_the_cookie_follows_it(
    app: Any, db: PooledDatabase
) -> None:
    async with client_for(app, "10.9.0.3") as client:
        email, key = await sign_up(client, confirmed=True)
        await post_form(client, "/language", {"language": "ar"})
    async with client_for(app, "10.9.0.4") as elsewhere:
        elsewhere.headers["Accept-Language"] = "it"
        assert page_language(await elsewhere.get("/")) == ("it", "ltr")
        answer = await log_in(elsewhere, email, key)
        assert answer.status_code == 303
        assert "language=ar" in answer.headers["set-cookie"]
        profile = await elsewhere.get("/auth/userprofile")
        assert page_language(profile) == ("ar", "rtl")


async def test_an_account_that_never_chose_keeps_the_browsers_language(
    app: Any, db: PooledDatabase
) -> None:
    async with client_for(app, "10.9.0.5") as client:
        email, key = await sign_up(client, confirmed=True)
        account = await users.by_email(db, email)
        assert account is not None
        await db.execute(
            "update minimaluser.tbl_auth set aut_language = null where aut_id = :id",
            {"id": account.id},
        )
    async with client_for(app, "10.9.0.6") as elsewhere:
        elsewhere.headers["Accept-Language"] = "it"
        answer = await log_in(elsewhere, email, key)
        assert "language=" not in answer.headers.get("set-cookie", "")
        assert page_language(await elsewhere.get("/auth/userprofile")) == ("it", "ltr")


async def test_the_album_captions_come_in_the_pages_language(app: Any) -> None:
    async with client_for(app, "10.9.0.7") as client:
        await sign_up(client, confirmed=True)
        english = await client.get("/album/imagedetails/1")
        assert "Windowsill watcher" in english.text
        await post_form(client, "/language", {"language": "it"})
        italian = await client.get("/album/imagedetails/1")
        assert "Windowsill watcher" not in italian.text
        assert "davanzale" in italian.text
        await post_form(client, "/language", {"language": "ar"})
        album = await client.get("/album/")
        assert "Windowsill watcher" not in album.text and "النافذة" in album.text


async def test_the_session_list_shows_dates_in_the_language(app: Any) -> None:
    async with client_for(app, "10.9.0.8") as client:
        client.headers["Accept-Language"] = "it"
        await sign_up(client, confirmed=True)
        profile = await client.get("/auth/userprofile")
        month = re.search(
            r"\d{1,2} (gen|feb|mar|apr|mag|giu|lug|ago|set|ott|nov|dic) \d{4}", profile.text
        )
        assert month, profile.text
        assert "UTC" in profile.text


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


async def test_emailed_codes_may_be_typed_in_arabic_indic_digits(
    app: Any, mailbox: Mailbox
) -> None:
    email, _key, code, path = await account_with_code(app, mailbox)
    async with client_for(app, "10.9.0.9") as asker:
        done = await reset(asker, path, code.translate(ARABIC_INDIC))
        assert done.status_code == 303, done.text
    async with client_for(app, "10.9.0.10") as owner:
        assert (await post_form(owner, "/auth/login/code", {"email": email})).status_code == 303
        typed = (await emailed_login_code(mailbox, email)).translate(ARABIC_INDIC)
        done = await post_form(owner, "/auth/login/code", {"code": typed})
        assert done.status_code == 303, done.text


def test_words_without_values_are_translated_once_when_a_template_compiles() -> None:
    env = Environment(autoescape=True)
    install(env, "it")
    source = (
        '{{ _("Log in") }}|{% trans %}Log in{% endtrans %}|{{ _("Turn on an authenticator app'
        ' first.") }}|{{ _("Operators: %(email)s", email="<b>@x") }}'
    )
    assert "Accedi" in env.compile(source, raw=True), "folded into the compiled template"
    with speaking("it"):
        page = env.from_string(source).render()
    assert page == (
        "Accedi|Accedi|Prima attiva un&#39;app di autenticazione.|Operatori: &lt;b&gt;@x"
    )


def test_the_few_tables_written_at_set_up_format_as_babels_whole_locales() -> None:
    assert FORMATS.exists(), "make setup writes locales/formats.pickle"
    moments = [datetime(2026, m, m + 1, m * 2 - 1, m * 4, tzinfo=UTC) for m in range(1, 13)]
    for code in ("en", "it", "ar"):
        slim, whole = locale_of(code), Locale.parse(code)
        assert isinstance(slim, Slim)
        for moment in moments:
            for pattern in ("medium", "short"):
                assert format_date(moment, pattern, locale=slim) == format_date(
                    moment, pattern, locale=whole
                )
                assert format_time(moment, pattern, tzinfo=UTC, locale=slim) == format_time(
                    moment, pattern, tzinfo=UTC, locale=whole
                )
        assert format_decimal(1234567.5, locale=slim) == format_decimal(1234567.5, locale=whole)
