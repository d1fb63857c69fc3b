"""The site shell in real Chromium: scripts under the CSP, the cookie banner, the navbar, themes."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser import PHONE, OpenPage, cookie, mark_window, window_is_marked
from tests.servers import LiveServer

pytest_plugins = ["tests.browser_fixtures"]

BANNER = "#cookie-banner section"
MODAL = "#cookie-settings-modal"
ANALYTICS = '#analytics [data-analytics="enabled"]'


async def scripts_ran(page: Page) -> bool:
    return bool(await page.evaluate("() => typeof window.htmx !== 'undefined'"))


async def test_home_page_runs_htmx_bootstrap_and_site_js_under_the_csp(
    page: Page, site: LiveServer
) -> None:
    await page.goto(site.url + "/")
    version = await page.evaluate("() => window.htmx && window.htmx.version")
    assert str(version).startswith("4."), version
    assert await page.evaluate("() => typeof window.bootstrap.Modal === 'function'")
    await expect(page.locator("#cookie-banner")).to_contain_text("Cookies on this site")


async def test_accepting_all_cookies_removes_the_banner_in_place(
    page: Page, site: LiveServer
) -> None:
    await page.goto(site.url + "/")
    await expect(page.locator(BANNER)).to_contain_text("Cookies on this site")
    await mark_window(page)

    await page.get_by_role("button", name="Accept all").click()

    await expect(page.locator(BANNER)).to_have_count(0)
    await expect(page.locator(ANALYTICS)).to_have_count(1)
    assert await window_is_marked(page), "the page was reloaded instead of swapped"
    assert await cookie(page, "cookie_policy") == "3"

    await page.reload()
    await expect(page.locator("#cookie-banner")).to_be_attached()
    await expect(page.locator(BANNER)).to_have_count(0)
    await expect(page.locator(ANALYTICS)).to_have_count(1)


async def test_choosing_essential_cookies_in_the_settings_modal_closes_it_in_place(
    page: Page, site: LiveServer
) -> None:
    await page.goto(site.url + "/")
    await mark_window(page)
    modal = page.locator(MODAL)

    await page.locator("#cookie-banner").get_by_role("link", name="Settings").click()
    await expect(modal).to_be_visible()
    analysis = modal.get_by_role("switch", name="Analysis")
    await analysis.check()
    await analysis.uncheck()
    await modal.get_by_role("button", name="Save my choice").click()

    await expect(modal).to_be_hidden()
    await expect(page.locator(".modal-backdrop")).to_have_count(0)
    await expect(page.locator(BANNER)).to_have_count(0)
    await expect(page.locator(ANALYTICS)).to_have_count(0)
    assert await window_is_marked(page), "the page was reloaded instead of swapped"
    assert await cookie(page, "cookie_policy") == "1"


async def test_footer_link_reopens_the_cookie_settings_after_a_choice(
    page: Page, site: LiveServer
) -> None:
    await page.goto(site.url + "/about")
    await page.get_by_role("button", name="Accept all").click()
    await expect(page.locator(BANNER)).to_have_count(0)
    modal = page.locator(MODAL)
    await expect(modal).to_be_hidden()

    await page.locator("footer").get_by_role("link", name="Cookie settings").click()

    await expect(modal).to_be_visible()
    await expect(modal.get_by_role("button", name="Save my choice")).to_be_visible()


async def test_cookie_settings_reopened_after_accepting_all_show_analysis_on(
    page: Page, site: LiveServer
) -> None:
    await page.goto(site.url + "/")
    await page.get_by_role("button", name="Accept all").click()
    await expect(page.locator(BANNER)).to_have_count(0)

    await page.locator("footer").get_by_role("link", name="Cookie settings").click()

    modal = page.locator(MODAL)
    await expect(modal).to_be_visible()
    await expect(modal.get_by_role("switch", name="Analysis")).to_be_checked()


async def test_essential_only_without_javascript_redirects_back_without_the_banner(
    page_no_js: Page, site: LiveServer
) -> None:
    page = page_no_js
    await page.goto(site.url + "/about")
    await expect(page.locator(BANNER)).to_contain_text("Cookies on this site")
    assert not await scripts_ran(page)
    await mark_window(page)

    await page.get_by_role("button", name="Essential only").click()

    await expect(page).to_have_url(site.url + "/about")
    assert not await window_is_marked(page), "the form did not post and redirect back"
    await expect(page.locator(BANNER)).to_have_count(0)
    await expect(page.locator(ANALYTICS)).to_have_count(0)
    assert await cookie(page, "cookie_policy") == "1"


async def test_settings_link_without_javascript_opens_a_working_settings_page(
    page_no_js: Page, site: LiveServer
) -> None:
    page = page_no_js
    await page.goto(site.url + "/")
    assert not await scripts_ran(page)

    await page.locator("#cookie-banner").get_by_role("link", name="Settings").click()

    await expect(page).to_have_url(site.url + "/cookie-settings")
    form = page.locator("main")
    await form.get_by_role("switch", name="Analysis").check()
    await form.get_by_role("button", name="Save my choice").click()
    await expect(page).to_have_url(site.url + "/")
    await expect(page.locator(BANNER)).to_have_count(0)
    await expect(page.locator(ANALYTICS)).to_have_count(1)
    assert await cookie(page, "cookie_policy") == "3"


async def test_navbar_collapses_into_a_toggler_on_a_phone(
    open_page: OpenPage, site: LiveServer
) -> None:
    page = await open_page(viewport=PHONE)
    await page.goto(site.url + "/")
    toggler = page.get_by_role("button", name="Toggle navigation")
    menu = page.locator("#main-menu")
    await expect(toggler).to_be_visible()
    await expect(menu).to_be_hidden()

    await toggler.click()

    await expect(menu).to_be_visible()
    await expect(menu.get_by_role("link", name="About")).to_be_visible()
    await expect(toggler).to_have_attribute("aria-expanded", "true")


@pytest.mark.parametrize("path", ["/", "/about", "/privacy-notice", "/terms-of-service"])
async def test_pages_do_not_scroll_sideways_on_a_phone(
    open_page: OpenPage, site: LiveServer, path: str
) -> None:
    page = await open_page(viewport=PHONE)
    await page.goto(site.url + path)
    widths = await page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{path} is {widths[0]} px wide in a {widths[1]} px viewport"


async def test_site_follows_the_dark_colour_scheme_of_the_system(
    open_page: OpenPage, site: LiveServer
) -> None:
    dark = await open_page(color_scheme="dark")
    await dark.goto(site.url + "/")
    await expect(dark.locator("html")).to_have_attribute("data-bs-theme", "dark")

    light = await open_page(color_scheme="light")
    await light.goto(site.url + "/")
    await expect(light.locator("html")).to_have_attribute("data-bs-theme", "light")
