"""The forgotten key in real Chromium: ask for a code, read it in the email, choose a new key."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.browser import (
    Member,
    choose_essential_cookies,
    expect_failed_requests,
    log_in,
    mark_window,
    new_member,
    window_is_marked,
)
from tests.servers import LiveServer, Mailbox, text_of

pytest_plugins = ["tests.browser_fixtures"]

CODE_LINE = re.compile(r"^One-time code: (\d{6})\r?$", re.MULTILINE)
RESET_PATH = re.compile(r"/auth/resetkey/[\w.-]+")
CODE_FAILED = "That code is wrong or has expired. Ask for a new one."
SUBJECT = "Your one-time code"


async def ask_for_a_code(page: Page, site: LiveServer, member: Member) -> None:
    """From the login page's link to the reset page the form leads to."""
    await page.goto(site.url + "/auth/login")
    await page.get_by_role("link", name="Forgot your access key?").click()
    await expect(page).to_have_url(site.url + "/auth/forgotkey")
    await page.get_by_label("Email address").fill(member.email)
    await page.get_by_role("button", name="Email me a code").click()
    await expect(page).to_have_url(RESET_PATH)
    await expect(page.locator("#flashes")).to_contain_text("we emailed it a 6-digit code")


async def emailed_code(mailbox: Mailbox, member: Member) -> tuple[str, str]:
    """The code and the reset link's path in the forgotten-key email."""
    text = text_of(await mailbox.wait_for(member.email, SUBJECT))
    code, link = CODE_LINE.search(text), RESET_PATH.search(text)
    assert code and link, text
    return code.group(1), link.group(0)


async def test_member_resets_a_forgotten_key_in_place_and_logs_in_with_it(
    page: Page, site: LiveServer, mailbox: Mailbox
) -> None:
    member = await new_member(site, mailbox)
    await choose_essential_cookies(page, site)
    await ask_for_a_code(page, site, member)
    code, link = await emailed_code(mailbox, member)
    assert page.url == site.url + link, "the form leads to the page the email links to"
    await mark_window(page)
    form = page.locator("#reset-key-form")
    otp = form.get_by_label("One-time code")

    wrong = "000000" if code != "000000" else "111111"
    await otp.fill(wrong)
    await form.get_by_label("New access key", exact=True).fill("tall giraffe eats clouds")
    await form.get_by_label("New access key, again").fill("tall giraffe eats clouds")
    await form.get_by_role("button", name="Set the new key").click()

    expect_failed_requests(page, 422)
    await expect(otp).to_have_attribute("aria-invalid", "true")
    await expect(otp).to_be_focused()
    await expect(otp).to_have_accessible_description(re.compile(re.escape(CODE_FAILED)))
    assert await window_is_marked(page), "a wrong code reloaded the page"

    await otp.fill(code)
    await form.get_by_label("New access key", exact=True).fill("tall giraffe eats clouds")
    await form.get_by_label("New access key, again").fill("tall giraffe eats clouds")
    await form.get_by_label("New access key, again").press("Enter")

    await expect(page).to_have_url(site.url + "/auth/login")
    await expect(page.locator("#flashes")).to_contain_text("Log in with it.")
    await log_in(page, site, Member(member.email, "tall giraffe eats clouds", member.nickname))


async def test_member_resets_a_forgotten_key_without_javascript(
    page_no_js: Page, site: LiveServer, mailbox: Mailbox
) -> None:
    page = page_no_js
    member = await new_member(site, mailbox)
    await ask_for_a_code(page, site, member)
    code, _ = await emailed_code(mailbox, member)
    form = page.locator("#reset-key-form")

    await form.get_by_label("One-time code").fill(code)
    await form.get_by_label("New access key", exact=True).fill("short")
    await form.get_by_label("New access key, again").fill("short")
    await form.get_by_role("button", name="Set the new key").click()

    expect_failed_requests(page, 422)
    new_key = page.locator("#reset-key-form").get_by_label("New access key", exact=True)
    await expect(new_key).to_have_attribute("aria-invalid", "true")

    form = page.locator("#reset-key-form")
    await form.get_by_label("One-time code").fill(code)
    await form.get_by_label("New access key", exact=True).fill("small lizard naps daily")
    await form.get_by_label("New access key, again").fill("small lizard naps daily")
    await form.get_by_role("button", name="Set the new key").click()

    await expect(page).to_have_url(site.url + "/auth/login")
    await expect(page.locator("#flashes")).to_contain_text("Log in with it.")
    await log_in(page, site, Member(member.email, "small lizard naps daily", member.nickname))


async def test_a_used_or_broken_reset_link_says_what_to_do(page: Page, site: LiveServer) -> None:
    answer = await page.goto(site.url + "/auth/resetkey/not-a-token")

    expect_failed_requests(page, 400)
    assert answer is not None and answer.status == 400
    await expect(page.get_by_role("heading", level=1)).to_have_text("This link does not work")
    await page.get_by_role("link", name="Ask for a new code").click()
    await expect(page).to_have_url(site.url + "/auth/forgotkey")
