"""The profile in real Chromium: every form swapped in place with JavaScript, posted without."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.async_api import Locator, Page, expect

from tests.browser import (
    Member,
    OpenPage,
    choose_essential_cookies,
    emailed_link,
    expect_failed_requests,
    log_in,
    mark_window,
    member_page,
    new_email,
    window_is_marked,
)
from tests.forms import post_form
from tests.servers import LiveServer, Mailbox

pytest_plugins = ["tests.browser_fixtures"]

PROFILE = "/auth/userprofile"
WRONG_KEY = "That is not your current access key."


def section(page: Page, title: str) -> Locator:
    return page.get_by_role("region", name=title)


def unique_nickname() -> str:
    return f"cat.{uuid.uuid4().hex[:10]}"


async def test_nickname_changes_in_place_and_the_navbar_follows(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, member = await member_page(open_page, site, mailbox)
    await page.goto(site.url + PROFILE)
    await mark_window(page)
    box = section(page, "Nickname")
    field = box.get_by_label("Nickname")
    await expect(field).to_have_value(member.nickname)

    await field.fill("has space")
    await box.get_by_role("button", name="Change nickname").click()

    expect_failed_requests(page, 422)
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(field).to_be_focused()
    await expect(field).to_have_accessible_description(re.compile("no spaces"))

    nickname = unique_nickname()
    await field.fill(nickname)
    await field.press("Enter")

    done = box.get_by_role("status")
    await expect(done).to_have_text(f"Your nickname is now {nickname}.")
    await expect(done).to_be_focused()
    await expect(page.locator("#navbar .nickname")).to_have_text(nickname)
    await expect(page.locator("#identity-title")).to_have_text(nickname)
    await expect(field).not_to_have_attribute("aria-invalid", "true")
    assert await window_is_marked(page), "the nickname change reloaded the page"


async def test_access_key_changes_in_place_after_the_current_key_is_proven(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, member = await member_page(open_page, site, mailbox)
    await page.goto(site.url + PROFILE)
    await mark_window(page)
    box = section(page, "Access key")
    current = box.get_by_label("Current access key")

    await current.fill("not-my-key")
    await box.get_by_label("New access key", exact=True).fill("purple otter sings loudly")
    await box.get_by_label("New access key, again").fill("purple otter sings loudly")
    await box.get_by_role("button", name="Change access key").click()

    expect_failed_requests(page, 422)
    await expect(current).to_have_attribute("aria-invalid", "true")
    await expect(current).to_be_focused()
    await expect(current).to_have_accessible_description(WRONG_KEY)

    await current.fill(member.key)
    await box.get_by_label("New access key", exact=True).fill("purple otter sings loudly")
    await box.get_by_label("New access key, again").fill("purple otter sings softly")
    await box.get_by_role("button", name="Change access key").click()

    again = box.get_by_label("New access key, again")
    await expect(again).to_be_focused()
    await expect(again).to_have_accessible_description("The two new keys are not the same.")

    await box.get_by_label("Current access key").fill(member.key)
    await box.get_by_label("New access key", exact=True).fill("purple otter sings loudly")
    await again.fill("purple otter sings loudly")
    await again.press("Enter")

    await expect(box.get_by_role("status")).to_contain_text("Your access key is changed.")
    await expect(box.get_by_role("status")).to_be_focused()
    assert await window_is_marked(page), "the key change reloaded the page"

    fresh = await open_page()
    await choose_essential_cookies(fresh, site)
    await log_in(fresh, site, Member(member.email, "purple otter sings loudly", member.nickname))


async def test_email_change_stays_pending_until_the_emailed_link_is_followed(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, member = await member_page(open_page, site, mailbox)
    await page.goto(site.url + PROFILE)
    await mark_window(page)
    box = section(page, "Email address")
    new = new_email()

    await box.get_by_label("New email address").fill(new)
    await box.get_by_label("Current access key").fill(member.key)
    await box.get_by_role("button", name="Change email").click()

    await expect(box.get_by_role("status")).to_contain_text(f"We sent a link to {new}.")
    await expect(box.get_by_role("status")).to_be_focused()
    await expect(box).to_contain_text(f"Waiting for confirmation: {new}")
    await expect(page.locator("#identity")).to_contain_text(member.email)
    assert await window_is_marked(page), "the email change reloaded the page"

    await page.goto(site.url + await emailed_link(mailbox, new, "Confirm your new email"))

    await expect(page).to_have_url(site.url + PROFILE)
    await expect(page.locator("#flashes")).to_contain_text("Your new email address is confirmed")
    await expect(page.locator("#identity")).to_contain_text(new)
    await expect(section(page, "Email address")).not_to_contain_text("Waiting for confirmation")


async def test_member_logs_out_the_other_sessions_in_place(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, member = await member_page(open_page, site, mailbox)
    elsewhere = await open_page()
    await choose_essential_cookies(elsewhere, site)
    await log_in(elsewhere, site, member)
    await page.goto(site.url + PROFILE)
    await mark_window(page)
    box = section(page, "Where you are logged in")
    await expect(box.get_by_role("listitem")).not_to_have_count(1)

    await box.get_by_role("button", name="Log out other sessions").click()

    await expect(box.get_by_role("status")).to_have_text(
        re.compile(r"\d+ other sessions? logged out\.")
    )
    await expect(box.get_by_role("listitem")).to_have_count(1)
    await expect(box.get_by_role("listitem")).to_contain_text("This one")
    await expect(box.get_by_role("button", name="Log out other sessions")).to_have_count(0)
    assert await window_is_marked(page), "logging out the other sessions reloaded the page"

    await elsewhere.goto(site.url + PROFILE)
    await expect(elsewhere).to_have_url(re.compile(r"/auth/login"))


async def test_delete_account_in_a_modal_that_traps_focus_and_closes_with_escape(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, member = await member_page(open_page, site, mailbox)
    await page.goto(site.url + PROFILE)
    modal = page.locator("#delete-modal")
    opener = page.get_by_role("link", name="Delete my account…")

    await opener.click()

    await expect(modal).to_be_visible()
    await expect(modal.get_by_label("Your access key, to confirm")).to_be_focused()
    await expect(page).to_have_url(site.url + PROFILE)
    for _ in range(6):
        await page.keyboard.press("Tab")
        inside = await page.evaluate(
            "() => document.getElementById('delete-modal').contains(document.activeElement)"
        )
        assert inside, "Tab left the open modal"
    await page.keyboard.press("Escape")
    await expect(modal).to_be_hidden()
    await expect(opener).to_be_focused()

    await opener.press("Enter")
    dialog = page.get_by_role("dialog", name="Delete your account?")
    await expect(dialog).to_be_visible()
    key = dialog.get_by_label("Your access key, to confirm")
    await key.fill("not-my-key")
    await dialog.get_by_role("button", name="Delete my account").click()

    expect_failed_requests(page, 422)
    await expect(key).to_have_attribute("aria-invalid", "true")
    await expect(key).to_be_focused()
    await expect(key).to_have_accessible_description(WRONG_KEY)

    await key.fill(member.key)
    await key.press("Enter")

    await expect(page).to_have_url(site.url + "/auth/goodbye")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Your account is deleted")
    await expect(page.locator("#navbar").get_by_role("link", name="Log in")).to_be_visible()
    await mailbox.wait_for(member.email, "Goodbye")


async def test_every_profile_form_works_without_javascript(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, member = await member_page(open_page, site, mailbox, java_script_enabled=False)
    async with httpx.AsyncClient(base_url=site.url) as phone:
        login = {"email": member.email, "key": member.key}
        assert (await post_form(phone, "/auth/login", login)).status_code == 303
    await page.goto(site.url + PROFILE)
    flashes = page.locator("#flashes")

    nickname = unique_nickname()
    await section(page, "Nickname").get_by_label("Nickname").fill(nickname)
    await section(page, "Nickname").get_by_role("button", name="Change nickname").click()
    await expect(flashes).to_contain_text(f"Your nickname is now {nickname}.")
    await expect(page.locator("#navbar .nickname")).to_have_text(nickname)

    sessions = section(page, "Where you are logged in")
    await sessions.get_by_role("button", name="Log out other sessions").click()
    await expect(flashes).to_contain_text(re.compile(r"\d+ other sessions? logged out\."))
    await expect(section(page, "Where you are logged in").get_by_role("listitem")).to_have_count(1)

    box = section(page, "Access key")
    await box.get_by_label("Current access key").fill(member.key)
    await box.get_by_label("New access key", exact=True).fill("quiet heron reads maps")
    await box.get_by_label("New access key, again").fill("quiet heron reads maps")
    await box.get_by_role("button", name="Change access key").click()
    await expect(flashes).to_contain_text("Your access key is changed.")
    key = "quiet heron reads maps"

    box = section(page, "Email address")
    new = new_email()
    await box.get_by_label("New email address").fill(new)
    await box.get_by_label("Current access key").fill(key)
    await box.get_by_role("button", name="Change email").click()
    await expect(flashes).to_contain_text(f"We sent a link to {new}.")
    await expect(section(page, "Email address")).to_contain_text(f"Waiting for confirmation: {new}")
    await section(page, "Email address").get_by_role("button", name="Cancel the change").click()
    await expect(flashes).to_contain_text("The change of address is cancelled.")
    await expect(section(page, "Email address")).not_to_contain_text("Waiting for confirmation")

    await page.get_by_role("link", name="Delete my account…").click()
    await expect(page).to_have_url(site.url + "/auth/deleteaccount")
    field = page.locator("main").get_by_label("Your access key, to confirm")
    await field.fill(member.key)
    await page.locator("main").get_by_role("button", name="Delete my account").click()
    expect_failed_requests(page, 422)
    await expect(field).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("main")).to_contain_text(WRONG_KEY)

    await page.locator("main").get_by_label("Your access key, to confirm").fill(key)
    await page.locator("main").get_by_role("button", name="Delete my account").click()
    await expect(page).to_have_url(site.url + "/auth/goodbye")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Your account is deleted")
