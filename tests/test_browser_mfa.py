"""The second factor in real Chromium: the authenticator app set up, the recovery codes shown
once, the code step of a login, re-authentication, with JavaScript (swapped in place) and
without (plain posts); axe on every state, with screenshots under test-artifacts/screenshots.

The site runs under uvicorn, so its clock cannot move: a code of a step already spent would be
a replay. The second login therefore types a recovery code, or the code of the step after the
setup's, which the site takes as it takes a phone whose clock runs a few seconds ahead."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pyotp
from playwright.async_api import Locator, Page, expect

from accounts.mfa import WRONG_CODE, WRONG_SETUP_CODE
from tests.browser import (
    Member,
    OpenPage,
    choose_essential_cookies,
    expect_failed_requests,
    log_in,
    mark_window,
    member_page,
    new_member,
    screenshot,
    window_is_marked,
)
from tests.servers import LiveServer, Mailbox
from tests.test_browser_accessibility import AUDITED, Audit

pytest_plugins = ["tests.browser_fixtures"]

PROFILE, MFA, TOTP = "/auth/userprofile", "/auth/mfa", "/auth/mfa/totp"
VERIFY = re.compile(r"/auth/login/verify\?next=/$")
STEP, PANEL = 30, "#mfa-panel"
Look = Callable[[str], Awaitable[None]]


async def nothing(_: str) -> None:
    return None


def step_now() -> int:
    return int(time.time()) // STEP


def code_of(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).at(step * STEP)


async def send_setup_code(page: Page, code: str) -> Locator:
    field = page.get_by_label("Code from the app")
    await field.fill(code)
    await page.get_by_role("button", name="Turn on").click()
    return field


async def send_login_code(page: Page, code: str) -> Locator:
    form = page.locator("#verify-form")
    field = form.get_by_label("Code", exact=True)
    await field.fill(code)
    await form.get_by_role("button", name="Log in").click()
    return field


async def set_up_app(page: Page, site: LiveServer, look: Look = nothing) -> tuple[str, int]:
    """From the profile to the recovery codes, a wrong code first: the secret and step used."""
    await page.goto(site.url + PROFILE)
    security = page.get_by_role("region", name="Sign-in security")
    await security.get_by_role("link", name="Sign-in security").click()
    await expect(page).to_have_url(site.url + MFA)
    await expect(page.locator(PANEL).get_by_text("Off", exact=True)).to_be_visible()
    await look("mfa-off")
    await page.get_by_role("link", name="Set up an authenticator app").click()
    await expect(page).to_have_url(site.url + TOTP)
    await expect(page.locator(PANEL).locator("svg")).to_be_visible()
    secret = await page.locator("[data-totp-secret]").get_attribute("data-totp-secret")
    assert secret and re.fullmatch(r"[A-Z2-7]{16,}", secret), secret
    await look("mfa-totp")

    expect_failed_requests(page, 422)
    field = await send_setup_code(page, "000000")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(field).to_have_accessible_description(WRONG_SETUP_CODE)
    await expect(page.locator("[data-totp-secret]")).to_have_attribute("data-totp-secret", secret)
    await look("mfa-totp-wrong-code")

    step = step_now()
    await send_setup_code(page, code_of(secret, step))
    await expect(page.locator("[data-recovery-code]")).to_have_count(10)
    await expect(page.locator(PANEL).get_by_role("status")).to_have_text(
        "Your authenticator app is on."
    )
    await look("mfa-recovery-codes")
    return secret, step


async def recovery_codes(page: Page) -> list[str]:
    codes = await page.locator("[data-recovery-code]").evaluate_all(
        "codes => codes.map(c => c.dataset.recoveryCode)"
    )
    assert len(set(codes)) == 10 and all(re.fullmatch(r"[A-Z0-9]{5}-[A-Z0-9]{5}", c) for c in codes)
    return list(codes)


async def saved_them(page: Page, site: LiveServer) -> None:
    await page.get_by_role("link", name="I saved them").click()
    await expect(page).to_have_url(site.url + MFA)
    await expect(page.locator(PANEL).get_by_text("On", exact=True)).to_be_visible()
    await expect(page.locator("[data-recovery-left]")).to_have_text(re.compile("^10 of 10 "))


async def log_out_and_give_the_key(page: Page, site: LiveServer, member: Member) -> None:
    await page.locator("#navbar").get_by_role("button", name="Log out").click()
    await expect(page).to_have_url(site.url + "/")
    await page.goto(site.url + "/auth/login")
    form = page.locator("#login-form")
    await form.get_by_label("Email address").fill(member.email)
    await form.get_by_label("Access key").fill(member.key)
    await form.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(VERIFY)
    await expect(page.locator("#navbar .nickname")).to_have_count(0)


async def logged_in(page: Page, site: LiveServer, member: Member) -> None:
    await expect(page).to_have_url(site.url + "/")
    await expect(page.locator("#flashes")).to_contain_text("Welcome back!")
    await expect(page.locator("#navbar .nickname")).to_have_text(member.nickname)


async def test_with_javascript_the_app_is_set_up_in_place_and_a_recovery_code_logs_in(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    member = await new_member(site, mailbox)
    page = await open_page()
    await choose_essential_cookies(page, site)
    await log_in(page, site, member)

    async def in_place(name: str) -> None:
        if name == "mfa-totp":
            await mark_window(page)
        elif name != "mfa-off":
            assert await window_is_marked(page), f"{name}: the page was reloaded"

    await set_up_app(page, site, in_place)
    await expect(page.locator(PANEL).get_by_role("status")).to_be_focused()
    codes = await recovery_codes(page)
    download = page.get_by_role("link", name="Download as text")
    await expect(download).to_have_attribute("download", "minimal-user-recovery-codes.txt")
    async with page.expect_download() as saving:
        await download.click()
    saved = await asyncio.to_thread(Path(await (await saving.value).path()).read_text)
    assert saved.startswith("Minimal+User recovery codes") and all(c in saved for c in codes)
    await saved_them(page, site)

    await log_out_and_give_the_key(page, site, member)
    await mark_window(page)
    expect_failed_requests(page, 422)
    field = await send_login_code(page, "000000")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(field).to_have_accessible_description(re.compile(re.escape(WRONG_CODE)))
    await expect(field).to_be_focused()
    assert await window_is_marked(page), "the wrong code reloaded the page"
    await send_login_code(page, codes[0].lower())
    await logged_in(page, site, member)

    await page.goto(site.url + MFA)
    await expect(page.locator("[data-recovery-left]")).to_have_text(re.compile("^9 of 10 "))
    await mark_window(page)
    await page.get_by_role("button", name="Make new recovery codes").click()
    await expect(page.locator(PANEL).get_by_role("status")).to_contain_text(
        "New recovery codes are ready"
    )
    assert not set(await recovery_codes(page)) & set(codes)
    assert await window_is_marked(page), "new recovery codes reloaded the page"


async def test_without_javascript_setup_and_a_code_login_are_plain_posts(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    member = await new_member(site, mailbox)
    page = await open_page(java_script_enabled=False)
    await choose_essential_cookies(page, site)
    await log_in(page, site, member)

    secret, step = await set_up_app(page, site)
    await expect(page).to_have_url(site.url + TOTP)
    await expect(page.get_by_role("heading", level=2, name="Your recovery codes")).to_be_visible()
    codes = await recovery_codes(page)
    await saved_them(page, site)

    await log_out_and_give_the_key(page, site, member)
    field = await send_login_code(page, "000000")
    await expect(page.get_by_role("heading", level=1)).to_have_text("One more step")
    await expect(field).to_have_attribute("aria-invalid", "true")
    await send_login_code(page, code_of(secret, max(step_now(), step + 1)))
    await logged_in(page, site, member)

    await page.goto(site.url + MFA)
    await page.get_by_role("button", name="Make new recovery codes").click()
    await expect(page).to_have_url(site.url + MFA + "/recovery-codes")
    await expect(page.get_by_role("heading", level=2, name="Your recovery codes")).to_be_visible()
    assert not set(await recovery_codes(page)) & set(codes)


async def test_a_session_from_the_confirmation_link_proves_the_key_before_the_setup(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    for javascript in (True, False):
        page, member = await member_page(open_page, site, mailbox, java_script_enabled=javascript)
        await page.goto(site.url + MFA)
        await page.get_by_role("link", name="Set up an authenticator app").click()
        await expect(page).to_have_url(site.url + "/auth/reauthenticate?next=/auth/mfa/totp")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
        await expect(page.get_by_label("Code from your authenticator app")).to_have_count(0)

        if javascript:
            await mark_window(page)
        expect_failed_requests(page, 422)
        key = page.locator("#reauth-form").get_by_label("Access key")
        await key.fill("not-my-key")
        await key.press("Enter")
        await expect(key).to_have_attribute("aria-invalid", "true")
        if javascript:
            assert await window_is_marked(page), "the wrong key reloaded the page"
        await key.fill(member.key)
        await page.get_by_role("button", name="Confirm").click()

        await expect(page).to_have_url(site.url + TOTP)
        await expect(page.locator("#flashes")).to_contain_text("Thank you: that was you.")
        await expect(page.locator("[data-totp-secret]")).to_be_visible()


async def test_the_second_factor_pages_are_accessible(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    member = await new_member(site, mailbox)
    page = await open_page(**AUDITED)
    await choose_essential_cookies(page, site)
    audit = Audit(page)

    async def look(name: str) -> None:
        await audit.check(name)
        await screenshot(page, name)

    await log_in(page, site, member)
    await set_up_app(page, site, look)
    codes = await recovery_codes(page)
    await saved_them(page, site)
    await look("mfa-on")

    await log_out_and_give_the_key(page, site, member)
    await look("login-verify")
    await send_login_code(page, "000000")
    await expect(page.locator("#verify-form [aria-invalid=true]")).to_be_visible()
    await look("login-verify-wrong-code")
    await send_login_code(page, codes[0])
    await logged_in(page, site, member)

    await page.goto(site.url + "/auth/reauthenticate?next=/auth/mfa")
    await expect(page.get_by_label("Code from your authenticator app")).to_be_visible()
    await look("reauthenticate")
    audit.assert_clean()
