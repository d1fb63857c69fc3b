"""Every page on a phone and on a desktop: screenshots to look at, and no sideways scrolling.

Each page is loaded once and seen at both sizes, phone first. The screenshots land in
test-artifacts/screenshots/<name>-<width>x<height>.png.
"""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from routes.pages import PUBLIC_PAGES
from tests.browser import (
    PHONE,
    VIEWPORT,
    OpenPage,
    choose_essential_cookies,
    expect_failed_requests,
    member_page,
    new_email,
    screenshot,
    sideways_overflow,
)
from tests.servers import LiveServer, Mailbox

pytest_plugins = ["tests.browser_fixtures"]

# Each public page named by its last segment ("/" is "home"), then the pages around them.
GUEST_PAGES = {
    **{path.rsplit("/", 1)[-1] or "home": path for path in PUBLIC_PAGES},
    "forgot-key": "/auth/forgotkey",
    "reset-link-invalid": "/auth/resetkey/not-a-token",
    "cookie-settings": "/cookie-settings",
    "not-found": "/no-such-page",
    "confirmation-invalid": "/emailconfirmationhtml/not-a-token",
}
MEMBER_PAGES = {
    "home-member": "/",
    "album": "/album/",
    "profile": "/auth/userprofile",
    "delete-account": "/auth/deleteaccount",
}


class Looks:
    """Screenshots each state on a phone and on a desktop, noting what scrolls sideways."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []

    async def look(self, name: str, *, check: bool = True) -> None:
        for size in (PHONE, VIEWPORT):
            await self.page.set_viewport_size(size)
            await screenshot(self.page, name)
            overflow = await sideways_overflow(self.page) if check else ""
            if overflow:
                self.problems.append(f"{name} at {size['width']} px: {overflow}")

    def assert_fit(self) -> None:
        assert not self.problems, "pages scroll sideways:\n" + "\n".join(self.problems)


async def test_guest_pages_fit_phones_and_desktops(open_page: OpenPage, site: LiveServer) -> None:
    page = await open_page(reduced_motion="reduce")
    looks = Looks(page)
    expect_failed_requests(page, 400, 404, 422)

    await page.goto(site.url + "/")
    await expect(page.locator("#cookie-banner section")).to_be_visible()
    await looks.look("home-banner")
    await page.locator("#cookie-banner").get_by_role("link", name="Settings").click()
    await expect(page.get_by_role("switch", name="Analysis")).to_be_focused()
    await looks.look("cookie-modal", check=False)

    await choose_essential_cookies(page, site)
    for name, path in GUEST_PAGES.items():
        await page.goto(site.url + path)
        await looks.look(name)

    await page.goto(site.url + "/auth/signup")
    await page.get_by_label("Email address").fill("x" * 60 + "@not an address")
    await page.get_by_label("Email address").press("Enter")
    await expect(page.locator("#signup-email-error")).to_be_visible()
    await looks.look("signup-error")

    await page.goto(site.url + "/auth/login")
    await page.get_by_label("Email address").fill(new_email())
    await page.get_by_label("Access key").fill("not-a-key")
    await page.get_by_label("Access key").press("Enter")
    await expect(page.locator("#login-error")).to_be_visible()
    await looks.look("login-error")

    await page.goto(site.url + "/auth/signup")
    await page.get_by_label("Email address").fill(new_email())
    await page.get_by_label("Email address").press("Enter")
    await expect(page.locator("[data-key-sent]")).to_be_visible()
    await looks.look("welcome")

    await page.emulate_media(color_scheme="dark")
    await expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    await looks.look("welcome-dark")
    await page.set_viewport_size(PHONE)
    await page.get_by_role("button", name="Toggle navigation").click()
    await expect(page.locator("#main-menu .nickname")).to_be_visible()
    await screenshot(page, "menu-open-dark")
    await page.goto(site.url + "/")
    await looks.look("home-dark")

    looks.assert_fit()


async def test_member_pages_fit_phones_and_desktops(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, member = await member_page(open_page, site, mailbox, reduced_motion="reduce")
    looks = Looks(page)
    for name, path in MEMBER_PAGES.items():
        await page.goto(site.url + path)
        await looks.look(name)

    await page.goto(site.url + "/album/")
    await page.locator("main a.album-card").first.click()
    await expect(page).to_have_url(re.compile(r"/album/imagedetails/\d+$"))
    await looks.look("image-details")

    await page.goto(site.url + "/auth/userprofile")
    email = page.locator("#email-form")
    await email.get_by_label("New email address").fill("a-rather-long-address." + new_email())
    await email.get_by_label("Current access key").fill(member.key)
    await email.get_by_role("button", name="Change email").click()
    await expect(email.get_by_text("Waiting for confirmation")).to_be_visible()
    await looks.look("profile-email-pending")

    await page.get_by_role("link", name="Delete my account…").click()
    await expect(page.get_by_label("Your access key, to confirm")).to_be_focused()
    await looks.look("delete-modal", check=False)
    await page.keyboard.press("Escape")

    await page.emulate_media(color_scheme="dark")
    await expect(page.locator("html")).to_have_attribute("data-bs-theme", "dark")
    await looks.look("profile-dark")

    await page.goto(site.url + "/auth/forgotkey")
    await page.get_by_label("Email address").fill(member.email)
    await page.get_by_role("button", name="Email me a code").click()
    await expect(page).to_have_url(re.compile(r"/auth/resetkey/"))
    await looks.look("reset-key-dark")

    looks.assert_fit()


async def test_unconfirmed_member_pages_fit_phones_and_desktops(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, _ = await member_page(open_page, site, mailbox, confirmed=False)
    looks = Looks(page)
    expect_failed_requests(page, 403)
    await page.goto(site.url + "/album/")
    await looks.look("confirm-needed")
    await page.goto(site.url + "/auth/userprofile")
    await looks.look("profile-unconfirmed")
    looks.assert_fit()
