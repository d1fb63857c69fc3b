"""The album in real Chromium: a responsive grid of lazy images, details, and the way in."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.browser import (
    PHONE,
    OpenPage,
    expect_failed_requests,
    mark_window,
    member_page,
    window_is_marked,
)
from tests.servers import LiveServer, Mailbox

pytest_plugins = ["tests.browser_fixtures"]


async def column_count(page: Page, selector: str) -> int:
    """How many distinct left edges the cards have: the grid's columns."""
    lefts = await page.locator(selector).evaluate_all(
        "cards => cards.map(c => Math.round(c.getBoundingClientRect().left))"
    )
    return len(set(lefts))


async def test_member_browses_the_album_grid_and_opens_an_image(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, _ = await member_page(open_page, site, mailbox)
    await page.goto(site.url + "/album/")

    cards = page.locator("main a.album-card")
    await expect(cards.first).to_be_visible()
    assert await cards.count() >= 6
    lazy = await page.locator("main .album-card img").evaluate_all(
        "imgs => imgs.every(i => i.loading === 'lazy' && i.alt && i.width && i.height)"
    )
    assert lazy, "album images are lazy, described, and sized to keep the layout still"
    assert await column_count(page, "main .album-card") == 3

    await page.set_viewport_size(PHONE)
    assert await column_count(page, "main .album-card") == 1

    name = (await cards.first.locator(".card-title").inner_text()).strip()
    await cards.first.click()

    await expect(page).to_have_url(re.compile(r"/album/imagedetails/\d+$"))
    await expect(page.get_by_role("img", name=name)).to_be_visible()
    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    await expect(crumbs.get_by_role("link", name="Album")).to_be_visible()
    await expect(crumbs.locator("[aria-current=page]")).to_have_text(name)

    await page.get_by_role("link", name="Back to the album").click()
    await expect(page).to_have_url(site.url + "/album/")


async def test_unknown_image_shows_the_friendly_404_page(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, _ = await member_page(open_page, site, mailbox)
    answer = await page.goto(site.url + "/album/imagedetails/999999")

    expect_failed_requests(page, 404)
    assert answer is not None and answer.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    await expect(page.locator("main").get_by_role("alert")).to_contain_text(
        "That page does not exist."
    )
    await expect(page.get_by_role("link", name="Home page")).to_be_visible()


async def test_unconfirmed_member_is_asked_to_confirm_and_can_resend_in_place(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, member = await member_page(open_page, site, mailbox, confirmed=False)
    await page.goto(site.url + "/album/")
    expect_failed_requests(page, 403, 429)
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Confirm your email address first"
    )
    await mark_window(page)
    resend = page.get_by_role("button", name="Send the link again")

    await resend.click()

    status = page.locator("#resend-form").get_by_role("status")
    await expect(status).to_have_text(f"We sent a new link to {member.email}.")
    await expect(status).to_be_focused()

    await resend.click()

    problem = page.locator("#resend-form .request-problem")
    await expect(problem).to_contain_text("We sent a link recently")
    await expect(problem).to_have_attribute("role", "alert")
    assert await window_is_marked(page), "resending reloaded the page"


async def test_unconfirmed_member_resends_the_link_without_javascript(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, member = await member_page(
        open_page, site, mailbox, confirmed=False, java_script_enabled=False
    )
    expect_failed_requests(page, 403)
    await page.goto(site.url + "/album/")

    await page.get_by_role("button", name="Send the link again").click()

    await expect(page).to_have_url(site.url + "/album/")
    await expect(page.locator("#flashes")).to_contain_text(f"We sent a new link to {member.email}.")
