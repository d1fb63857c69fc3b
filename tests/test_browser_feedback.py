"""Feedback while htmx works: a busy button, friendly words for failures."""

from __future__ import annotations

import asyncio
import uuid

from playwright.async_api import Page, Request, Response, Route, expect

from tests.browser import (
    OpenPage,
    choose_essential_cookies,
    console_errors,
    expect_failed_requests,
    mark_window,
    member_page,
    new_email,
    new_member,
    window_is_marked,
)
from tests.servers import LiveServer, Mailbox

pytest_plugins = ["tests.browser_fixtures"]

PROFILE = "/auth/userprofile"


def posts(request: Request) -> bool:
    return request.method == "POST"


def is_login_post(response: Response) -> bool:
    return response.url.endswith("/auth/login") and posts(response.request)


async def test_a_slow_request_shows_a_spinner_and_disables_its_button_until_it_ends(
    page: Page, site: LiveServer
) -> None:
    await choose_essential_cookies(page, site)
    await page.goto(site.url + "/auth/login")
    release = asyncio.Event()

    async def slowly(route: Route) -> None:
        if posts(route.request):
            await release.wait()
        await route.continue_()

    await page.route("**/auth/login", slowly)
    form = page.locator("#login-form")
    button = form.get_by_role("button", name="Log in")
    spinner = button.locator(".htmx-indicator")
    await expect(spinner).to_be_hidden()

    await form.get_by_label("Email address").fill(new_email())
    await form.get_by_label("Access key").fill("whatever-it-is")
    await button.click()

    await expect(button).to_be_disabled()
    await expect(spinner).to_be_visible()
    await expect(form).to_have_class("htmx-request")
    release.set()

    expect_failed_requests(page, 422)
    await expect(page.locator("#login-error")).to_be_visible()
    await expect(page.locator("#login-form").get_by_role("button", name="Log in")).to_be_enabled()
    await expect(page.locator("#login-form .htmx-indicator")).to_be_hidden()


async def test_a_server_error_is_told_inline_and_the_form_stays(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, _ = await member_page(open_page, site, mailbox)
    await page.goto(site.url + PROFILE)
    await mark_window(page)
    nickname = f"cat.{uuid.uuid4().hex[:10]}"

    async def broken(route: Route) -> None:
        await route.fulfill(status=500, content_type="text/html", body="<h1>Traceback</h1>")

    await page.route("**/auth/userprofile/nickname", broken)
    form = page.locator("#nickname-form")
    await form.get_by_label("Nickname").fill(nickname)
    await form.get_by_role("button", name="Change nickname").click()

    expect_failed_requests(page, 500)
    problem = form.get_by_role("alert")
    await expect(problem).to_have_text("Something went wrong on our side. Please try again.")
    await expect(page.get_by_text("Traceback")).to_have_count(0)
    await expect(form.get_by_label("Nickname")).to_have_value(nickname)
    await expect(form.get_by_role("button", name="Change nickname")).to_be_enabled()

    await page.unroute("**/auth/userprofile/nickname")
    await form.get_by_role("button", name="Change nickname").click()
    await expect(page.locator("#nickname-form").get_by_role("status")).to_contain_text(
        f"Your nickname is now {nickname}."
    )
    await expect(page.locator("#nickname-form .request-problem")).to_have_count(0)
    assert await window_is_marked(page)


async def test_a_lost_connection_is_told_inline_and_the_next_try_works(
    page: Page, site: LiveServer, mailbox: Mailbox
) -> None:
    member = await new_member(site, mailbox)
    await choose_essential_cookies(page, site)
    await page.goto(site.url + "/auth/login")

    async def offline(route: Route) -> None:
        await (route.abort("internetdisconnected") if posts(route.request) else route.continue_())

    await page.route("**/auth/login", offline)
    form = page.locator("#login-form")
    await form.get_by_label("Email address").fill(member.email)
    await form.get_by_label("Access key").fill(member.key)
    await form.get_by_role("button", name="Log in").click()

    problem = form.locator(".request-problem")
    await expect(problem).to_have_text(
        "We could not reach the site. Check your connection and try again."
    )
    await expect(problem).to_have_attribute("role", "alert")
    await expect(form.get_by_role("button", name="Log in")).to_be_enabled()
    errors = console_errors(page)
    assert all("ERR_INTERNET_DISCONNECTED" in e or "htmx:error" in e for e in errors), errors
    errors.clear()

    await page.unroute("**/auth/login")
    await form.get_by_role("button", name="Log in").click()
    await expect(page.locator("#navbar .nickname")).to_have_text(member.nickname)


async def test_an_expired_form_says_so_instead_of_swapping_an_error_page_in(
    page: Page, site: LiveServer, mailbox: Mailbox
) -> None:
    member = await new_member(site, mailbox)
    await choose_essential_cookies(page, site)
    await page.goto(site.url + "/auth/login")
    await page.context.clear_cookies()
    form = page.locator("#login-form")

    await form.get_by_label("Email address").fill(member.email)
    await form.get_by_label("Access key").fill(member.key)
    await form.get_by_role("button", name="Log in").click()

    expect_failed_requests(page, 403)
    await expect(form.locator(".request-problem")).to_have_text(
        "This form has expired or did not come from this site. Reload the page and try again."
    )
    await expect(page.locator("main h1")).to_have_text("Log in")


async def test_too_many_attempts_are_told_with_the_wait_inline(
    page: Page, site: LiveServer, mailbox: Mailbox
) -> None:
    member = await new_member(site, mailbox)
    await choose_essential_cookies(page, site)
    await page.goto(site.url + "/auth/login")
    await mark_window(page)
    expect_failed_requests(page, 422, 429)

    for _ in range(10):
        form = page.locator("#login-form")
        await form.get_by_label("Email address").fill(member.email)
        await form.get_by_label("Access key").fill("wrong-key-again")
        async with page.expect_response(is_login_post) as answer:
            await form.get_by_role("button", name="Log in").click()
        if (await answer.value).status == 429:
            break

    problem = page.locator("#login-form .request-problem")
    await expect(problem).to_contain_text("Too many wrong keys for this account")
    await expect(problem).to_contain_text("forgotten-key page")
    assert await window_is_marked(page)
