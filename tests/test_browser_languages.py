"""The site in Arabic, right to left, on a phone and on a desktop: screenshots to look at, no
sideways scrolling, axe clean; and the language switcher with JavaScript and without.

The screenshots land in test-artifacts/screenshots/ar-<name>-<width>x<height>.png.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Page, expect

from tests.browser import (
    PHONE,
    VIEWPORT,
    OpenPage,
    axe_violations,
    choose_essential_cookies,
    expect_failed_requests,
    member_page,
    screenshot,
    sideways_overflow,
)
from tests.servers import LiveServer, Mailbox

pytest_plugins = ["tests.browser_fixtures"]

ARABIC: dict[str, Any] = {"locale": "ar", "bypass_csp": True, "reduced_motion": "reduce"}
GUEST_PAGES = {
    "home": "/",
    "signup": "/auth/signup",
    "login": "/auth/login",
    "forgot-key": "/auth/forgotkey",
    "about": "/about",
    "privacy-notice": "/privacy-notice",
    "not-found": "/no-such-page",
}
MEMBER_PAGES = {
    "home-member": "/",
    "profile": "/auth/userprofile",
    "album": "/album/",
    "image-details": "/album/imagedetails/1",
    "sign-in-security": "/auth/mfa",
}


async def look(page: Page, name: str, problems: list[str]) -> None:
    """Right to left, fits both sizes (a screenshot of each), no serious axe violation."""
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    await expect(page.locator("html")).to_have_attribute("lang", "ar")
    for size in (PHONE, VIEWPORT):
        await page.set_viewport_size(size)
        await screenshot(page, f"ar-{name}")
        overflow = await sideways_overflow(page)
        if overflow:
            problems.append(f"{name} at {size['width']} px: {overflow}")
    found = await axe_violations(page)
    if found:
        problems.append(f"{name}:\n{found}")


async def starts_on_the_right(page: Page, selector: str) -> bool:
    box = await page.locator(selector).first.bounding_box()
    width = (page.viewport_size or VIEWPORT)["width"]
    return box is not None and box["x"] + box["width"] > width / 2


async def test_arabic_guest_pages_read_right_to_left(open_page: OpenPage, site: LiveServer) -> None:
    page = await open_page(**ARABIC)
    expect_failed_requests(page, 404)
    problems: list[str] = []
    await page.goto(site.url + "/")
    await expect(page.locator("#cookie-banner section")).to_be_visible()
    await look(page, "home-banner", problems)
    await choose_essential_cookies(page, site)
    for name, path in GUEST_PAGES.items():
        await page.goto(site.url + path)
        await look(page, name, problems)
    await page.set_viewport_size(VIEWPORT)
    await page.goto(site.url + "/")
    assert await starts_on_the_right(page, ".navbar-brand"), "the brand should sit on the right"
    assert not problems, "\n".join(problems)


async def test_arabic_member_pages_read_right_to_left(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, _member = await member_page(open_page, site, mailbox, **ARABIC)
    problems: list[str] = []
    for name, path in MEMBER_PAGES.items():
        await page.goto(site.url + path)
        await look(page, name, problems)
    await page.goto(site.url + "/album/imagedetails/1")
    back = page.locator("main a.btn .icon-directional")
    transform = await back.evaluate("icon => getComputedStyle(icon).transform")
    assert transform.startswith("matrix(-1"), "the back arrow should point right"
    assert not problems, "\n".join(problems)


async def switch_language(page: Page, name: str) -> None:
    switch = page.locator("#language-switch")
    await switch.get_by_role("combobox").select_option(label=name)
    await switch.get_by_role("button").click()


async def test_the_switcher_works_with_javascript(open_page: OpenPage, site: LiveServer) -> None:
    page = await open_page(locale="en-GB")
    await choose_essential_cookies(page, site)
    await page.goto(site.url + "/about")
    await switch_language(page, "Italiano")
    await expect(page).to_have_url(re.compile(r"/about$"))
    await expect(page.locator("html")).to_have_attribute("lang", "it")
    await expect(page.locator("#navbar")).to_contain_text("Accedi")
    await switch_language(page, "العربية")
    await expect(page.locator("html")).to_have_attribute("dir", "rtl")
    messages = await page.locator("#js-messages").text_content()
    assert messages and "Too many attempts" not in messages


async def test_the_switcher_works_without_javascript(open_page: OpenPage, site: LiveServer) -> None:
    page = await open_page(locale="ar", java_script_enabled=False)
    await choose_essential_cookies(page, site)
    await page.goto(site.url + "/auth/login")
    await expect(page.locator("html")).to_have_attribute("lang", "ar")
    await switch_language(page, "English")
    await expect(page).to_have_url(re.compile(r"/auth/login$"))
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.locator("html")).to_have_attribute("dir", "ltr")
