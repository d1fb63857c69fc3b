"""The cookie banner: shown until the visitor chooses, then gone, with and without htmx."""

from __future__ import annotations

import httpx

from tests.forms import post_form

BANNER = 'aria-labelledby="cookie-banner-title"'


async def test_banner_is_shown_until_the_visitor_chooses(client: httpx.AsyncClient) -> None:
    assert BANNER in (await client.get("/")).text
    assert BANNER in (await client.get("/about")).text


async def test_essential_only_without_javascript_redirects_back_and_hides_the_banner(
    client: httpx.AsyncClient,
) -> None:
    answer = await post_form(
        client, "/consent", {"choice": "essential", "next": "/about"}, page="/about"
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/about"
    assert client.cookies["cookie_policy"] == "1"
    page = await client.get("/about")
    assert BANNER not in page.text
    assert 'data-analytics="enabled"' not in page.text


async def test_accept_all_through_htmx_swaps_the_banner_away_and_enables_analytics(
    client: httpx.AsyncClient,
) -> None:
    answer = await post_form(client, "/consent", {"choice": "all", "next": "/"}, htmx=True)
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<div id="cookie-banner"')
    assert BANNER not in answer.text
    assert 'id="analytics" hidden hx-swap-oob="true"' in answer.text
    assert 'data-analytics="enabled"' in answer.text
    assert client.cookies["cookie_policy"] == "3"
    assert 'data-analytics="enabled"' in (await client.get("/")).text


async def test_settings_choose_analysis_or_not(client: httpx.AsyncClient) -> None:
    await post_form(
        client, "/consent", {"choice": "custom", "analysis": "on"}, page="/cookie-settings"
    )
    assert client.cookies["cookie_policy"] == "3"
    await post_form(client, "/consent", {"choice": "custom"}, page="/cookie-settings")
    assert client.cookies["cookie_policy"] == "1"
    settings = await client.get("/cookie-settings")
    assert 'name="analysis" checked' not in settings.text


async def test_an_unknown_choice_is_refused_with_a_message(client: httpx.AsyncClient) -> None:
    answer = await post_form(client, "/consent", {"choice": "everything"})
    assert answer.status_code == 422
    assert "Choose one of the options." in answer.text
    assert "cookie_policy" not in client.cookies


async def test_consent_redirect_never_leaves_the_site(client: httpx.AsyncClient) -> None:
    answer = await post_form(client, "/consent", {"choice": "all", "next": "//evil.example/x"})
    assert answer.headers["location"] == "/"


async def test_original_policy_codes_are_honoured(client: httpx.AsyncClient) -> None:
    client.cookies.set("cookie_policy", "2")
    page = await client.get("/")
    assert BANNER not in page.text and 'data-analytics="enabled"' in page.text
    client.cookies.set("cookie_policy", "0")
    page = await client.get("/")
    assert BANNER not in page.text and 'data-analytics="enabled"' not in page.text
