"""Edges of the web layer: the error page's link, the CSRF token across login and logout, the
session cookie's name under https, no-store for logged-in users, redirects to non-Latin paths."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import settings as settings_module
from tests.accounts_helpers import KEY_LINE, new_email
from tests.forms import csrf_token, post_form
from tests.servers import Mailbox, Postgres, app_env, text_of
from web import state as state_module
from web.session import COOKIE, COOKIE_MAX_AGE, HOST_COOKIE

TRY_AGAIN = re.compile(r'<a class="btn btn-primary" href="([^"]*)">Try again</a>')
EXPIRED = "This form has expired or did not come from this site. Reload the page and try again."
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
HOSTILE_PATHS = ["//evil.example/login", "/\\evil.example", "/%2F%2Fevil.example", "///evil.x"]


async def member(client: httpx.AsyncClient, mailbox: Mailbox) -> tuple[str, str]:
    """Signs up through the form, which logs the client in; the email and the emailed key."""
    email = new_email()
    assert (await post_form(client, "/auth/signup", {"email": email})).status_code == 200
    key = KEY_LINE.search(text_of(await mailbox.wait_for(email, "Welcome")))
    assert key, "no access key in the sign-up email"
    return email, key.group(1)


async def log_in(
    client: httpx.AsyncClient, email: str, key: str, *, htmx: bool = False, **extra: str
) -> httpx.Response:
    data = {"email": email, "key": key, **extra}
    return await post_form(client, "/auth/login", data, htmx=htmx)


def try_again(page: httpx.Response) -> str:
    link = TRY_AGAIN.search(page.text)
    assert link, page.text
    return link.group(1)


def stays_here(link: str) -> bool:
    """A path of this site: a browser resolves "//x", "/\\x" and "///x" to another host."""
    return link.startswith("/") and not link.startswith(("//", "/\\"))


@pytest.mark.parametrize("path", HOSTILE_PATHS)
async def test_the_try_again_link_of_a_refused_post_stays_on_this_site(
    client: httpx.AsyncClient, path: str
) -> None:
    answer = await client.post(f"http://testserver{path}")
    assert answer.status_code == 403
    assert stays_here(try_again(answer)), try_again(answer)


@pytest.mark.parametrize("path", HOSTILE_PATHS)
async def test_the_try_again_link_of_a_get_stays_on_this_site(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    async def database_away(request: Any) -> None:
        raise OSError("the database is away")

    monkeypatch.setattr(state_module, "current_user", database_away)
    answer = await client.get(f"http://testserver{path}")
    assert answer.status_code == 503
    assert stays_here(try_again(answer)), try_again(answer)
    assert try_again(await client.get("/about")) == "/about", "a path of the site is kept"


async def test_the_csrf_token_changes_at_login_and_logout_and_an_old_one_says_reload(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    signing_up = await csrf_token(client, "/auth/signup")
    email, key = await member(client, mailbox)
    assert await csrf_token(client, "/") != signing_up, "sign-up logs in: a new token"
    await post_form(client, "/auth/logout", {}, page="/")

    before = await csrf_token(client, "/auth/login")
    assert (await log_in(client, email, key)).status_code == 303
    after = await csrf_token(client, "/")
    assert after != before
    stale = await client.post("/auth/logout", data={"csrf_token": before})
    assert stale.status_code == 403
    assert EXPIRED in stale.text and try_again(stale) == "/auth/logout"
    stale_htmx = await client.post(
        "/auth/userprofile/nickname", headers={**HTMX, "X-CSRF-Token": before}
    )
    assert stale_htmx.status_code == 403
    assert "data-error-message" in stale_htmx.text and EXPIRED in stale_htmx.text
    assert (await client.get("/auth/userprofile")).status_code == 200, "still logged in"

    assert (await client.post("/auth/logout", data={"csrf_token": after})).status_code == 303
    guest = await csrf_token(client, "/auth/login")
    assert guest not in (after, before)
    stale = await client.post("/auth/login", data={"email": email, "key": key, "csrf_token": after})
    assert stale.status_code == 403 and EXPIRED in stale.text
    assert (await client.get("/auth/userprofile")).status_code == 303, "not logged in by it"


@pytest.fixture(scope="module")
async def https_app(postgres: Postgres, mailbox: Mailbox) -> AsyncIterator[Any]:
    """The site as production serves it: BASE_URL https://…"""
    from app import create_app

    env = app_env(postgres.create_database(), SMTP_URL=mailbox.url, BASE_URL="https://testserver")
    application = create_app(settings_module.load(env))
    async with application.router.lifespan_context(application):
        yield application


def browser(app: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="https://testserver")


def cookie_lines(answer: httpx.Response, name: str) -> list[str]:
    return [line for line in answer.headers.get_list("set-cookie") if line.startswith(f"{name}=")]


async def test_under_https_the_session_cookie_has_the_host_prefix(
    https_app: Any, mailbox: Mailbox
) -> None:
    async with browser(https_app) as client:
        email, key = await member(client, mailbox)
        assert HOST_COOKIE in client.cookies and COOKIE not in client.cookies
        client.cookies.clear()
        answer = await log_in(client, email, key, remember="on")
        assert answer.status_code == 303
        [line] = cookie_lines(answer, HOST_COOKIE)
        attributes = line.split("; ")[1:]
        assert {"Path=/", "Secure", "HttpOnly", "SameSite=Lax"} <= set(attributes)
        assert f"Max-Age={COOKIE_MAX_AGE}" in attributes
        assert not [a for a in attributes if a.lower().startswith("domain")]
        assert not cookie_lines(answer, COOKIE)
        assert (await client.get("/auth/userprofile")).status_code == 200


async def test_a_cookie_of_the_old_name_is_read_once_and_reissued(
    https_app: Any, mailbox: Mailbox
) -> None:
    """A deploy that moves the site to the __Host- name logs nobody out."""
    async with browser(https_app) as client:
        await member(client, mailbox)
        value = client.cookies[HOST_COOKIE]
    async with browser(https_app) as client:
        answer = await client.get("/auth/userprofile", headers={"Cookie": f"{COOKIE}={value}"})
        assert answer.status_code == 200, "still logged in"
        [renamed] = cookie_lines(answer, HOST_COOKIE)
        assert renamed.split(";", 1)[0] != f"{HOST_COOKIE}=" and "; Secure" in renamed
        [expired] = cookie_lines(answer, COOKIE)
        assert expired.startswith(f"{COOKIE}=; Max-Age=0;") and "Path=/" in expired
        assert answer.headers["cache-control"] == "no-store"
        again = await client.get("/auth/userprofile", headers={"Cookie": renamed.split(";", 1)[0]})
        assert again.status_code == 200 and not again.headers.get_list("set-cookie")


async def test_over_http_the_cookie_keeps_its_name(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    await member(client, mailbox)
    assert COOKIE in client.cookies and HOST_COOKIE not in client.cookies


async def test_every_page_a_logged_in_user_sees_is_no_store(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    await client.get("/about")
    guest = await client.get("/about")
    assert "no-store" not in guest.headers.get("cache-control", "")
    await member(client, mailbox)
    await client.get("/")  # the welcome flash, if any, is taken
    for path in ("/", "/auth/userprofile", "/about"):
        page = await client.get(path)
        assert page.status_code == 200
        assert not page.headers.get_list("set-cookie"), "the cookie did not change"
        assert page.headers.get_list("cache-control") == ["no-store"], path
    token = await csrf_token(client, "/auth/userprofile")
    fragment = await client.post(
        "/auth/userprofile/nickname", data={"username": "", "csrf_token": token}, headers=HTMX
    )
    assert fragment.status_code == 422 and "<html" not in fragment.text
    assert fragment.headers.get_list("cache-control") == ["no-store"]


async def test_static_files_and_tiles_keep_their_caching_for_logged_in_users(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    await member(client, mailbox)
    home = (await client.get("/")).text
    css = re.search(r'href="(/static/css/site\.css\?v=\w+)"', home)
    tile = re.search(r'src="(/tiles/[\w.-]+\.svg)"', home)
    assert css and tile
    assert (await client.get(css.group(1))).headers.get_list("cache-control") == [
        "public, max-age=31536000, immutable"
    ]
    tile_answer = await client.get(tile.group(1))
    assert tile_answer.status_code == 200
    assert tile_answer.headers.get_list("cache-control") == ["public, max-age=86400"]


@pytest.mark.parametrize(
    ("target", "encoded"),
    [
        ("/album/?q=日本", "/album/?q=%E6%97%A5%E6%9C%AC"),
        ("/é", "/%C3%A9"),
        ("/album/?q=caf%C3%A9&x=a b", "/album/?q=caf%C3%A9&x=a%20b"),
        ("//evil.example/é", "/"),
        ("/\\evil.example/日本", "/"),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
async def test_a_next_beyond_latin_1_is_percent_encoded_in_the_redirect(
    client: httpx.AsyncClient, mailbox: Mailbox, target: str, encoded: str, htmx: bool
) -> None:
    email, key = await member(client, mailbox)
    await post_form(client, "/auth/logout", {}, page="/")
    answer = await log_in(client, email, key, htmx=htmx, next=target)
    if htmx:
        assert answer.status_code == 204
        assert answer.headers["hx-redirect"] == encoded
    else:
        assert answer.status_code == 303
        assert answer.headers["location"] == encoded
