"""Signing up, confirming, logging in and out in real Chromium, with and without JavaScript."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.browser import (
    Member,
    OpenPage,
    choose_essential_cookies,
    confirm,
    expect_failed_requests,
    mark_window,
    member_page,
    new_email,
    new_member,
    window_is_marked,
)
from tests.servers import LiveServer, Mailbox, emailed_key

pytest_plugins = ["tests.browser_fixtures"]

LOGIN_FAILED = "That email and access key do not match an active account."


async def test_visitor_signs_up_in_place_sees_the_key_once_and_confirms_by_email(
    page: Page, site: LiveServer, mailbox: Mailbox
) -> None:
    await choose_essential_cookies(page, site)
    await page.goto(site.url + "/auth/signup")
    await mark_window(page)
    form = page.locator("#signup-form")
    address = form.get_by_label("Email address")

    await address.fill("not an address")
    await form.get_by_role("button", name="Sign up").click()

    expect_failed_requests(page, 422)
    await expect(address).to_have_attribute("aria-invalid", "true")
    await expect(address).to_have_accessible_description(re.compile("Enter a valid email"))
    await expect(address).to_be_focused()
    await expect(page.locator("#signup-email-error")).to_have_attribute("role", "alert")

    email = new_email()
    await address.fill(email)
    await address.press("Enter")

    welcome = page.get_by_role("heading", level=1)
    await expect(welcome).to_contain_text("Welcome, ")
    await expect(welcome).to_be_focused()
    await expect(page.locator("[data-key-sent]")).to_contain_text(email)
    key = await emailed_key(email)
    nickname = await page.locator("main .nickname").inner_text()
    await expect(page.locator("#navbar .nickname")).to_have_text(nickname)
    await expect(page.get_by_role("heading", name="Create your account")).to_have_count(0)
    assert await window_is_marked(page), "the sign-up reloaded the page instead of swapping"

    await page.goto(site.url + "/auth/signup")
    await expect(page).to_have_url(site.url + "/")
    await expect(page.locator("body")).not_to_contain_text(key)

    await confirm(page, site, mailbox, Member(email, key, nickname))
    await expect(page).to_have_url(site.url + "/album/")
    await expect(page.locator("#flashes")).to_contain_text("Your email address is confirmed")


async def test_after_signing_up_in_place_the_page_forms_take_the_new_csrf_token(
    page: Page, site: LiveServer
) -> None:
    await page.goto(site.url + "/auth/signup")
    await mark_window(page)
    await page.locator("#signup-email").fill(new_email())
    await page.locator("#signup-form").get_by_role("button", name="Sign up").click()
    await expect(page.locator("[data-key-sent]")).to_be_visible()

    banner = page.locator("#cookie-banner")
    await banner.get_by_role("button", name="Essential only").click()
    await expect(banner).to_be_hidden()
    await expect(page.locator(".request-problem")).to_have_count(0)
    assert await window_is_marked(page), "the banner's answer reloaded the page"


async def test_visitor_signs_up_without_javascript_and_confirms_by_email(
    page_no_js: Page, site: LiveServer, mailbox: Mailbox
) -> None:
    page = page_no_js
    await page.goto(site.url + "/auth/signup")
    await mark_window(page)
    address = page.get_by_label("Email address")

    await address.fill("not an address")
    await page.locator("#signup-form").get_by_role("button", name="Sign up").click()

    expect_failed_requests(page, 422)
    await expect(address).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#signup-email-error")).to_contain_text("Enter a valid email")
    assert not await window_is_marked(page), "without JavaScript the form posts the page"

    email = new_email()
    await page.get_by_label("Email address").fill(email)
    await page.locator("#signup-form").get_by_role("button", name="Sign up").click()

    await expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome, ")
    await expect(page.locator("[data-key-sent]")).to_contain_text(email)
    key = await emailed_key(email)
    nickname = await page.locator("main .nickname").inner_text()
    await expect(page.locator("#navbar .nickname")).to_have_text(nickname)

    await confirm(page, site, mailbox, Member(email, key, nickname))
    await expect(page).to_have_url(site.url + "/album/")
    await expect(page.get_by_role("heading", name="The album")).to_be_visible()


async def test_wrong_key_is_refused_in_place_and_the_right_one_logs_in(
    page: Page, site: LiveServer, mailbox: Mailbox
) -> None:
    member = await new_member(site, mailbox)
    await choose_essential_cookies(page, site)
    await page.goto(site.url + "/album/")
    await expect(page).to_have_url(re.compile(r"/auth/login\?next=/album/$"))
    await mark_window(page)
    form = page.locator("#login-form")

    await form.get_by_label("Email address").fill(member.email)
    await form.get_by_label("Access key").fill("not-the-key")
    await form.get_by_role("button", name="Log in").click()

    expect_failed_requests(page, 422)
    await expect(form.get_by_role("alert")).to_have_text(LOGIN_FAILED)
    email = form.get_by_label("Email address")
    await expect(email).to_be_focused()
    await expect(email).to_have_value(member.email)
    await expect(email).to_have_accessible_description(LOGIN_FAILED)
    assert await window_is_marked(page), "a refused login reloaded the page"

    await form.get_by_label("Access key").fill(member.key)
    await form.get_by_role("button", name="Log in").click()

    await expect(page).to_have_url(site.url + "/album/")
    await expect(page.locator("#flashes")).to_contain_text("Welcome back!")
    await expect(page.locator("#navbar .nickname")).to_have_text(member.nickname)


async def test_wrong_key_without_javascript_shows_the_form_again_then_logs_in(
    page_no_js: Page, site: LiveServer, mailbox: Mailbox
) -> None:
    page = page_no_js
    member = await new_member(site, mailbox)
    await page.goto(site.url + "/auth/login")
    form = page.locator("#login-form")

    await form.get_by_label("Email address").fill(member.email)
    await form.get_by_label("Access key").fill("not-the-key")
    await form.get_by_role("button", name="Log in").click()

    expect_failed_requests(page, 422)
    await expect(form.get_by_role("alert")).to_have_text(LOGIN_FAILED)
    await expect(form.get_by_label("Email address")).to_have_value(member.email)

    await form.get_by_label("Access key").fill(member.key)
    await form.get_by_role("button", name="Log in").click()

    await expect(page).to_have_url(site.url + "/")
    await expect(page.locator("#flashes")).to_contain_text("Welcome back!")
    await expect(page.locator("#navbar .nickname")).to_have_text(member.nickname)


async def test_login_form_works_from_the_keyboard_alone(
    page: Page, site: LiveServer, mailbox: Mailbox
) -> None:
    member = await new_member(site, mailbox)
    await choose_essential_cookies(page, site)
    await page.goto(site.url + "/auth/login")

    for _ in range(20):
        await page.keyboard.press("Tab")
        if await page.evaluate("() => document.activeElement.id") == "login-email":
            break
    else:
        raise AssertionError("Tab never reached the email field")
    await page.keyboard.type(member.email)
    await page.keyboard.press("Tab")
    await page.keyboard.type(member.key)
    await page.keyboard.press("Enter")

    await expect(page).to_have_url(site.url + "/")
    await expect(page.locator("#navbar .nickname")).to_have_text(member.nickname)


async def test_skip_link_is_the_first_stop_and_jumps_to_the_content(
    page: Page, site: LiveServer
) -> None:
    await choose_essential_cookies(page, site)
    await page.goto(site.url + "/about")
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    await expect(skip).to_be_focused()
    await expect(skip).to_be_visible()

    await page.keyboard.press("Enter")

    await expect(page.locator("main")).to_be_focused()


async def test_member_logs_out_from_the_navbar(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    for javascript in (True, False):
        page, member = await member_page(open_page, site, mailbox, java_script_enabled=javascript)
        await page.goto(site.url + "/about")
        await expect(page.locator("#navbar .nickname")).to_have_text(member.nickname)

        await page.locator("#navbar").get_by_role("button", name="Log out").click()

        await expect(page).to_have_url(site.url + "/")
        await expect(page.locator("#flashes")).to_contain_text("You are logged out")
        await expect(page.locator("#navbar").get_by_role("link", name="Log in")).to_be_visible()
        await page.goto(site.url + "/auth/userprofile")
        await expect(page).to_have_url(re.compile(r"/auth/login"))


async def test_cookie_banner_comes_first_by_keyboard_and_leaves_focus_in_the_content(
    page: Page, site: LiveServer
) -> None:
    await page.goto(site.url + "/about")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    accept = page.get_by_role("button", name="Accept all")
    await expect(accept).to_be_focused()

    await page.keyboard.press("Enter")

    await expect(page.locator("#cookie-banner section")).to_have_count(0)
    await expect(page.locator("main")).to_be_focused()
    await page.keyboard.press("Tab")
    focused_in_main = await page.evaluate(
        "() => document.getElementById('main').contains(document.activeElement)"
    )
    assert focused_in_main, "Tab after the banner goes on inside the content"
