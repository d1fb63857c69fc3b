"""The operator pages in real Chromium: an operator made at the command line logs in with the key,
finds a member, disables them and reads it in the audit log, with JavaScript (search swapped in
place) and without (plain GET and POST); a member meets a 404; axe on every operator page, light
and dark, with screenshots under test-artifacts/screenshots."""

from __future__ import annotations

import asyncio
import re

import asyncpg
import pytest
from playwright.async_api import Page, expect

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
from tests.test_admin import admin
from tests.test_browser_accessibility import AUDITED, Audit

pytest_plugins = ["tests.browser_fixtures"]

ACCOUNT = re.compile(r"/admin/accounts/\d+$")
# A mail that failed, and a passkey so the account page offers to reset the second factor.
TROUBLE = [
    "insert into minimaluser.tbl_outbox"
    " (obx_event, obx_recipient, obx_failed_at, obx_last_error, obx_attempts)"
    " values ('goodbye', $1, now(), 'SMTPRecipientsRefused: 550 no such user', 9)",
    "insert into minimaluser.tbl_passkey (aut_id, pky_credential_id, pky_public_key,"
    " pky_user_handle, pky_name, pky_created_at) select aut_id, uuid_send(gen_random_uuid()),"
    " 'key', 'user', 'Laptop', now() from minimaluser.tbl_auth where aut_email = $1",
]


async def operator_page(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox, **options: object
) -> tuple[Page, Member]:
    """A member granted the role by `python -m admin grant`, then logged in with the key."""
    member = await new_member(site, mailbox)
    said = await asyncio.to_thread(admin, site.env["DATABASE_URL"], "grant", member.email)
    assert said.strip() == f"{member.email} is an operator"
    page = await open_page(**options)
    await choose_essential_cookies(page, site)
    await log_in(page, site, member)
    return page, member


async def search(page: Page, label: str, query: str) -> None:
    await page.get_by_label(label).fill(query)
    await page.get_by_role("search").get_by_role("button", name="Search").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_an_operator_finds_disables_and_audits_a_member(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox, javascript: bool
) -> None:
    options = {"java_script_enabled": javascript}
    page, operator = await operator_page(open_page, site, mailbox, **options)
    theirs, member = await member_page(open_page, site, mailbox, **options)
    await theirs.goto(site.url + "/")
    await expect(theirs.locator("#navbar .nickname")).to_have_text(member.nickname)

    await page.locator("#navbar").get_by_role("link", name="Operators").click()
    await expect(page).to_have_url(site.url + "/admin/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    if javascript:
        await mark_window(page)
    prefix = member.email.split("@")[0]
    await search(page, "Email or nickname starts with", prefix)
    await expect(page).to_have_url(site.url + f"/admin/?q={prefix}")
    rows = page.locator("#accounts tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.get_by_role("cell").nth(1)).to_have_text(member.nickname)
    if javascript:
        assert await window_is_marked(page), "the search reloaded the page"

    await rows.get_by_role("link", name=member.email).click()
    await expect(page).to_have_url(ACCOUNT)
    await expect(page.get_by_role("heading", level=1)).to_have_text(member.email)
    await expect(page.locator("[data-state=enabled]")).to_have_text("yes")
    if javascript:
        await mark_window(page)
    await page.get_by_role("button", name="Disable").click()
    await expect(page.locator("#flashes")).to_contain_text(f"{member.email} is disabled.")
    await expect(page).to_have_url(ACCOUNT)
    await expect(page.locator("[data-state=enabled]")).to_have_text("no (disabled)")
    await expect(page.get_by_role("button", name="Enable")).to_be_visible()
    assert not await window_is_marked(page), "HX-Redirect: the account page is loaded anew"

    await (
        page.get_by_role("navigation", name="Breadcrumb")
        .get_by_role("link", name="Operators")
        .click()
    )
    await (
        page.get_by_role("navigation", name="Operator pages")
        .get_by_role("link", name="Audit log")
        .click()
    )
    await expect(page).to_have_url(site.url + "/admin/audit")
    if javascript:
        await mark_window(page)
    await search(page, "Operator or account address starts with", member.email)
    await expect(page).to_have_url(re.compile(r"/admin/audit\?q=browser-"))
    row = page.locator("#audit tr[data-audit-action=disable]")
    await expect(row).to_have_count(1)
    await expect(row.get_by_role("cell").nth(1)).to_have_text(operator.email)
    await expect(row.get_by_role("cell").nth(3)).to_contain_text(member.email)
    if javascript:
        assert await window_is_marked(page), "the audit search reloaded the page"

    await theirs.reload()
    await expect(theirs.locator("#navbar").get_by_role("link", name="Log in")).to_be_visible()
    await expect(theirs.locator("#navbar .nickname")).to_have_count(0)


async def test_to_a_member_the_operator_pages_are_an_unknown_url(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    page, member = await member_page(open_page, site, mailbox)
    await page.goto(site.url + "/")
    await expect(page.locator("#navbar .nickname")).to_have_text(member.nickname)
    await expect(page.locator("#navbar").get_by_role("link", name="Operators")).to_have_count(0)
    expect_failed_requests(page, 404)
    answer = await page.goto(site.url + "/admin/")
    assert answer is not None and answer.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    await expect(page.locator("#navbar").get_by_role("link", name="Operators")).to_have_count(0)


async def test_the_operator_pages_are_accessible(
    open_page: OpenPage, site: LiveServer, mailbox: Mailbox
) -> None:
    target = await new_member(site, mailbox, confirmed=False)
    url, _, socket_dir = site.env["DATABASE_URL"].partition("?host=")
    connection = await asyncpg.connect(url, host=socket_dir)
    try:
        for statement in TROUBLE:
            await connection.execute(statement, target.email)
    finally:
        await connection.close()
    page, _ = await operator_page(open_page, site, mailbox, **AUDITED)
    audit = Audit(page)

    async def look(name: str) -> None:
        await audit.check(name)
        await screenshot(page, name)
        await page.emulate_media(color_scheme="dark")
        await screenshot(page, name + "-dark")
        await page.emulate_media(color_scheme="light")

    await page.goto(site.url + "/admin/")
    await look("admin-accounts")
    await search(page, "Email or nickname starts with", target.email[:12])
    await expect(page.locator("#accounts").get_by_role("link", name=target.email)).to_be_visible()
    await look("admin-accounts-search")
    await page.locator("#accounts").get_by_role("link", name=target.email).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(target.email)
    await look("admin-account")
    await page.get_by_role("button", name="Disable").click()
    await expect(page.locator("#flashes")).to_contain_text(f"{target.email} is disabled.")
    await look("admin-account-disabled")
    await page.goto(site.url + "/admin/audit")
    await expect(page.locator("#audit tr[data-audit-action=grant]").first).to_be_visible()
    await look("admin-audit")
    await page.goto(site.url + "/admin/mail")
    await expect(page.get_by_role("cell", name=target.email)).to_be_visible()
    await look("admin-mail")
    audit.assert_clean()
