"""The catalogues: every word of the code and templates translated into every language, none
fuzzy, placeholders kept; and no English left on any page, partial or email in Italian or
Arabic."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from jinja2 import meta

import settings as settings_module
from services.language import LANGUAGES, LOCALES
from services.letters import EMAIL_TEMPLATES, Letter, Renderer
from sql import users
from tests.accounts_helpers import client_for, sign_up
from tests.forms import post_form
from tests.servers import ROOT, Mailbox, Postgres, app_env

TRANSLATED = [code for code in LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|\{\{.*?\}\}")
TAG = re.compile(r"<script\b.*?</script>|<[^>]+>", re.DOTALL)
SHOWN_ATTRIBUTE = re.compile(r'\b(?:aria-label|title|placeholder|alt|content)="([^"]*)"')


def catalogue(code: str) -> Catalog:
    with (LOCALES / code / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=code)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """What `make messages` would extract from the code and templates today."""
    pot = tmp_path_factory.mktemp("messages") / "messages.pot"
    command = [str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "pyproject.toml"]
    command += ["-o", str(pot), "accounts", "routes", "services", "web", "templates", "partials"]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    with pot.open("rb") as template:
        return read_po(template)


def ids(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_word_is_translated_and_none_is_fuzzy(code: str, extracted: Catalog) -> None:
    translations = catalogue(code)
    missing, fuzzy, empty = [], [], []
    for message in extracted:
        if not message.id:
            continue
        found = translations.get(message.id)
        if found is None:
            missing.append(ids(message))
        elif found.fuzzy:
            fuzzy.append(ids(message))
        elif not all(found.string) if isinstance(found.string, tuple) else not found.string:
            empty.append(ids(message))
    assert not missing, f"{code}: run make messages, then translate: {missing[:10]}"
    assert not fuzzy, f"{code}: fuzzy entries: {fuzzy[:10]}"
    assert not empty, f"{code}: untranslated: {empty[:10]}"


@pytest.mark.parametrize("code", TRANSLATED)
def test_plurals_have_every_form_and_placeholders_survive(code: str) -> None:
    translations = catalogue(code)
    problems = [(ids(m), errors) for m, errors in translations.check() if errors]
    assert not problems, problems[:5]
    for message in translations:
        if message.id and isinstance(message.string, tuple):
            assert len(message.string) == translations.num_plurals, ids(message)


def english_phrases(code: str) -> list[str]:
    """Pieces of English (two words or more) whose translation differs: none may show."""
    phrases: set[str] = set()
    for message in catalogue(code):
        if not message.id or message.string == message.id:
            continue
        for piece in PLACEHOLDER.split(ids(message)):
            piece = piece.strip(" .,:;!?()·-")
            if len(piece.split()) >= 2 and len(piece) >= 8:
                phrases.add(piece)
    return sorted(phrases)


def shown_text(page: str) -> str:
    attributes = " ".join(SHOWN_ATTRIBUTE.findall(page))
    return " ".join(html.unescape(TAG.sub(" ", page) + " " + attributes).split())


def leaks(code: str, text: str) -> list[str]:
    return [phrase for phrase in english_phrases(code) if phrase in text]


@pytest.fixture(scope="module")
async def dev_app(postgres: Postgres, mailbox: Mailbox) -> AsyncIterator[Any]:
    """In development, so the gallery of every partial is there too."""
    from app import create_app

    env = app_env(postgres.create_database(), APP_ENV="development", SMTP_URL=mailbox.url)
    application = create_app(settings_module.load(env))
    async with application.router.lifespan_context(application):
        yield application


GUEST_PAGES = [
    "/",
    "/about",
    "/privacy-notice",
    "/terms-of-service",
    "/cookie-settings",
    "/auth/signup",
    "/auth/login",
    "/auth/forgotkey",
    "/auth/login/code",
    "/no-such-page",
    "/dev/gallery",
]
MEMBER_PAGES = [
    "/auth/userprofile",
    "/album/",
    "/album/imagedetails/1",
    "/auth/mfa",
    "/auth/mfa/totp",
    "/auth/deleteaccount",
    "/auth/reauthenticate",
    "/admin/",
    "/admin/audit",
    "/admin/mail",
]


@pytest.mark.parametrize("code", TRANSLATED)
async def test_no_english_leaks_through_any_page_or_partial(dev_app: Any, code: str) -> None:
    async with client_for(dev_app, "127.0.0.1") as client:
        client.headers["Accept-Language"] = code
        found: dict[str, list[str]] = {}
        for path in GUEST_PAGES:
            page = await client.get(path)
            assert f'<html lang="{code}"' in page.text, path
            found[path] = leaks(code, shown_text(page.text))
        email, key = await sign_up(client, confirmed=True)
        account = await users.by_email(dev_app.state.services.db, email)
        assert account is not None
        await users.set_operator(dev_app.state.services.db, account.id, True)
        # The operator pages want a recent authentication.
        proof = {"accesskey": key, "next": "/admin/"}
        assert (await post_form(client, "/auth/reauthenticate", proof)).status_code == 303
        for path in [*MEMBER_PAGES, f"/admin/accounts/{account.id}"]:
            page = await client.get(path, follow_redirects=True)
            assert page.status_code == 200, path
            found[path] = leaks(code, shown_text(page.text))
    assert not {path: words for path, words in found.items() if words}


# Values that are numbers in the emails (counts choose a plural form).
NUMBERS = {"remaining": 3}


def sample_values(source: str, renderer: Renderer) -> dict[str, Any]:
    names = meta.find_undeclared_variables(renderer.env.parse(source))
    return {name: NUMBERS.get(name, f"sample-{name}") for name in names}


def email_events() -> Iterator[str]:
    return iter(sorted({path.stem for path in EMAIL_TEMPLATES.glob("*.txt")}))


@pytest.mark.parametrize("code", TRANSLATED)
@pytest.mark.parametrize("event", list(email_events()))
def test_every_email_is_written_in_the_language_it_is_sent_in(code: str, event: str) -> None:
    renderer = Renderer()
    values: dict[str, Any] = {}
    for kind in ("txt", "html"):
        source = (EMAIL_TEMPLATES / f"{event}.{kind}").read_text()
        values |= sample_values(source, renderer)
    message = renderer.render(
        Letter("id", "minimal-user", event, "a@example.com", values, code), "x@y"
    )
    assert message["Content-Language"] == code
    for part in ("plain", "html"):
        body = message.get_body((part,))
        assert body is not None
        text = shown_text(str(body.get_content())) + " " + str(message["Subject"])
        assert not leaks(code, text), (event, part)
