"""axe-core on every page and state worth seeing: no serious or critical violation, light or dark.

Each state is audited in full in the light theme, then its colours again in the dark one (the
page follows the system's scheme as it changes). The contexts bypass the CSP, which would
refuse the injected axe script; the site's own scripts run exactly as they do for everyone.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.async_api import Page, expect

from routes.pages import PUBLIC_PAGES
from tests.browser import (
    OpenPage,
    axe_violations,
    choose_essential_cookies,
    expect_failed_requests,
    member_page,
    new_email,
)
from tests.servers import LiveServer, Mailbox

pytest_plugins = ["tests.browser_fixtures"]

PUBLIC = [*PUBLIC_PAGES, "/auth/forgotkey", "/cookie-settings"]
PROFILE = "/auth/userprofile"
# Without motion a modal is fully shown once visible, so axe never measures a half-faded one.
AUDITED: dict[str, Any] = {"bypass_csp": True, "reduced_motion": "reduce", "color_scheme": "light"}


# An htmx form disables its buttons and shows a spinner while its request runs.
SILENT_FORMS = """forms => forms
    .filter(f => !f.hasAttribute("hx-disable") || !f.querySelector(".htmx-indicator"))
    .map(f => f.getAttribute("hx-post"))"""


class Audit:
    """Runs axe on each state it is shown, light then dark, and reports every problem at the end."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []

    async def check(self, state: str) -> None:
        found = await axe_violations(self.page)
        if found:
            self.problems.append(f"{state}:\n{found}")
        silent = await self.page.locator("form[hx-post]").evaluate_all(SILENT_FORMS)
        if silent:
            self.problems.append(f"{state}: htmx forms without busy feedback: {silent}")
        await self.page.emulate_media(color_scheme="dark")
        await expect(self.page.locator("html")).to_have_attribute("data-bs-theme", "dark")
        found = await axe_violations(self.page, rules=("color-contrast",))
        if found:
            self.problems.append(f"{state}, dark:\n{found}")
        await self.page.emulate_media(color_scheme="light")

    def assert_clean(self) -> None:
        assert not self.problems, "axe finds problems in\n" + "\n".join(self.problems)


async def test_public_pages_and_their_states_are_accessible(
    open_page: OpenPage, site: LiveServer
) -> None:
    page = await open_page(**AUDITED)
    audit = Audit(page)

    await page.goto(site.url + "/")
    await expect(page.locator("#cookie-banner section")).to_be_visible()
    await audit.check("home with the cookie banner")
    await page.locator("#cookie-banner").get_by_role("link", name="Settings").click()
    await expect(page.locator("#cookie-settings-modal")).to_be_visible()
    await expect(page.get_by_role("switch", name="Analysis")).to_be_focused()
    await audit.check("cookie settings modal")
    await page.keyboard.press("Escape")
    await expect(page.locator("#cookie-settings-modal")).to_be_hidden()

    await choose_essential_cookies(page, site)
    for path in PUBLIC:
        await page.goto(site.url + path)
        await audit.check(path)

    expect_failed_requests(page, 400, 404, 422)
    await page.goto(site.url + "/no-such-page")
    await audit.check("404 page")
    await page.goto(site.url + "/emailconfirmationhtml/not-a-token")
    await audit.check("a confirmation link that does not work")
    await page.goto(site.url + "/auth/resetkey/not-a-token")
    await audit.check("a reset link that does not work")

    await page.goto(site.url + "/auth/signup")
    await page.get_by_label("Email address").fill("not an address")
    await page.get_by_label("Email address").press("Enter")
    await expect(page.locator("#signup-email-error")).to_be_visible()
    await audit.check("sign-up with an error")

    await page.goto(site.url + "/auth/login")
    await page.get_by_label("Email address").fill(new_email())
    await page.get_by_label("Access key").fill("not-a-key")
    await page.get_by_label("Access key").press("Enter")
    await expect(page.locator("#login-error")).to_be_visible()
    await audit.check("login with an error")

    await page.goto(site.url + "/auth/signup")
    await page.get_by_label("Email address").fill(new_email())
    await page.get_by_label("Email address").press("Enter")
    await expect(page.locator("[data-key-sent]")).to_be_visible()
    await audit.check("welcome after sign-up")

    audit.assert_clean()


async def test_member_pages_and_profile_states_are_accessible(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, member = await member_page(open_page, site, mailbox, **AUDITED)
    audit = Audit(page)

    await page.goto(site.url + "/")
    await audit.check("home, logged in")
    await page.goto(site.url + "/album/")
    await audit.check("album")
    await page.locator("main a.album-card").first.click()
    await expect(page).to_have_url(re.compile(r"/album/imagedetails/\d+$"))
    await audit.check("image details")

    await page.goto(site.url + PROFILE)
    await audit.check("profile")
    nickname = page.locator("#nickname-form")
    expect_failed_requests(page, 422)
    await nickname.get_by_label("Nickname").fill("no spaces allowed")
    await nickname.get_by_role("button", name="Change nickname").click()
    await expect(nickname.get_by_label("Nickname")).to_have_attribute("aria-invalid", "true")
    await audit.check("profile, nickname refused")
    await nickname.get_by_label("Nickname").fill(f"cat.{uuid.uuid4().hex[:10]}")
    await nickname.get_by_role("button", name="Change nickname").click()
    await expect(nickname.get_by_role("status")).to_be_visible()
    await audit.check("profile, nickname changed")

    key = page.locator("#key-form")
    await key.get_by_label("Current access key").fill("not-my-key")
    await key.get_by_label("New access key", exact=True).fill("long enough new key")
    await key.get_by_label("New access key, again").fill("long enough new key")
    await key.get_by_role("button", name="Change access key").click()
    await expect(key.get_by_label("Current access key")).to_have_attribute("aria-invalid", "true")
    await audit.check("profile, key refused")

    email = page.locator("#email-form")
    await email.get_by_label("New email address").fill(new_email())
    await email.get_by_label("Current access key").fill(member.key)
    await email.get_by_role("button", name="Change email").click()
    await expect(email.get_by_text("Waiting for confirmation")).to_be_visible()
    await audit.check("profile, email change pending")

    await page.get_by_role("link", name="Delete my account…").click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await audit.check("delete modal open")
    await dialog.get_by_label("Your access key, to confirm").fill("not-my-key")
    await dialog.get_by_role("button", name="Delete my account").click()
    await expect(dialog.get_by_label("Your access key, to confirm")).to_have_attribute(
        "aria-invalid", "true"
    )
    await audit.check("delete modal with an error")
    await page.keyboard.press("Escape")

    await page.goto(site.url + "/auth/deleteaccount")
    await audit.check("delete account page")

    await page.goto(site.url + "/auth/forgotkey")
    await page.get_by_label("Email address").fill(member.email)
    await page.get_by_role("button", name="Email me a code").click()
    await expect(page).to_have_url(re.compile(r"/auth/resetkey/"))
    await audit.check("reset key page")
    form = page.locator("#reset-key-form")
    await form.get_by_label("One-time code").fill("000000")
    await form.get_by_label("New access key", exact=True).fill("long enough new key")
    await form.get_by_label("New access key, again").fill("long enough new key")
    await form.get_by_role("button", name="Set the new key").click()
    await expect(form.get_by_label("One-time code")).to_have_attribute("aria-invalid", "true")
    await audit.check("reset key with a wrong code")

    audit.assert_clean()


async def test_unconfirmed_member_pages_are_accessible(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, _ = await member_page(open_page, site, mailbox, confirmed=False, **AUDITED)
    audit = Audit(page)
    expect_failed_requests(page, 403)

    await page.goto(site.url + "/album/")
    await audit.check("album, asking for confirmation")
    await page.get_by_role("button", name="Send the link again").click()
    await expect(page.locator("#resend-form").get_by_role("status")).to_be_visible()
    await audit.check("confirmation link sent again")
    await page.goto(site.url + PROFILE)
    await audit.check("profile of an unconfirmed member")

    audit.assert_clean()
