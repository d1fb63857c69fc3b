"""Passkeys in real Chromium, with its virtual authenticator (DevTools WebAuthn domain) in place
of a phone or a security key: added at /auth/mfa after a login with the key, then used to sign
in without email, as the second step after the key, renamed, removed and refused once removed;
axe on the page with passkeys, and screenshots under test-artifacts/screenshots.

WebAuthn wants a secure context and a relying party ID that is a domain: 127.0.0.1 is refused as
an IP address, so this module runs its own site at http://localhost:PORT, with that BASE_URL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.async_api import Page, expect

from accounts.passkeys import UNKNOWN
from tests.browser import (
    RELAXED_THROTTLES,
    OpenPage,
    choose_essential_cookies,
    expect_failed_requests,
    log_in,
    new_member,
    screenshot,
)
from tests.servers import ROOT, LiveServer, Mailbox, Postgres, app_env, free_port
from tests.test_browser_accessibility import AUDITED, Audit

pytest_plugins = ["tests.browser_fixtures"]

MFA, LOGIN = "/auth/mfa", "/auth/login"
VERIFY = re.compile(r"/auth/login/verify\?next=/$")


@pytest.fixture(scope="module")
def local_site(postgres: Postgres, mailbox: Mailbox) -> Iterator[LiveServer]:
    """The site under uvicorn, reached and named as http://localhost:PORT (its RP ID)."""
    port = free_port()
    env = app_env(
        postgres.create_database(),
        BASE_URL=f"http://localhost:{port}",
        SMTP_URL=mailbox.url,
        **RELAXED_THROTTLES,
    )
    server = LiveServer(env, port).start()
    server.url = f"http://localhost:{port}"
    yield server
    server.stop()


async def virtual_authenticator(page: Page) -> None:
    """A platform authenticator that holds discoverable credentials and verifies its user."""
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable")
    await cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


async def log_out(page: Page, site: LiveServer) -> None:
    await page.locator("#navbar").get_by_role("button", name="Log out").click()
    await expect(page).to_have_url(site.url + "/")
    await expect(page.locator("#navbar .nickname")).to_have_count(0)


async def welcomed(page: Page, nickname: str) -> None:
    await expect(page.locator("#flashes")).to_contain_text("Welcome back!")
    await expect(page.locator("#navbar .nickname")).to_have_text(nickname)


async def test_a_passkey_is_added_used_renamed_and_removed(
    open_page: OpenPage, local_site: LiveServer, mailbox: Mailbox
) -> None:
    site = local_site
    login_page = (ROOT / "templates" / "auth" / "login.html").read_text()
    assert "partials/auth/passkey_signin.html" in login_page, "the login page shows no passkey"
    member = await new_member(site, mailbox)
    page = await open_page(**AUDITED)
    await choose_essential_cookies(page, site)
    await virtual_authenticator(page)
    audit = Audit(page)

    await log_in(page, site, member)
    await page.goto(site.url + MFA)
    passkeys = page.locator("#passkeys")
    await expect(passkeys.get_by_text("No passkeys yet.")).to_be_visible()
    await expect(passkeys.locator("[data-passkey-unsupported]")).to_be_hidden()
    await passkeys.get_by_label("Name of the new passkey").fill("Test laptop")
    await passkeys.get_by_role("button", name="Add a passkey").click()
    await expect(page.locator("#flashes")).to_contain_text("Passkey “Test laptop” added.")
    await expect(passkeys.locator(".passkey-name")).to_have_text(["Test laptop"])
    await expect(passkeys).to_contain_text("not used yet")
    await mailbox.wait_for(member.email, "passkey was added")
    await audit.check("sign-in security with a passkey")
    await screenshot(page, "passkeys-added")

    # Without email or key, from the login page.
    await log_out(page, site)
    await page.goto(site.url + LOGIN)
    await page.get_by_role("button", name="Sign in with a passkey").click()
    await expect(page).to_have_url(site.url + "/")
    await welcomed(page, member.nickname)

    # After the key, as the second step: no code field for a member without an app.
    await log_out(page, site)
    await page.goto(site.url + LOGIN)
    form = page.locator("#login-form")
    await form.get_by_label("Email address").fill(member.email)
    await form.get_by_label("Access key").fill(member.key)
    await form.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(VERIFY)
    await expect(page.locator("#verify-form")).to_have_count(0)
    await audit.check("second step with a passkey")
    await screenshot(page, "passkeys-second-step")
    await page.get_by_role("button", name="Use a passkey").click()
    await expect(page).to_have_url(site.url + "/")
    await welcomed(page, member.nickname)

    # Renamed and removed in place (htmx), the list telling when it was last used.
    await page.goto(site.url + MFA)
    await expect(passkeys).to_contain_text("last used")
    expect_failed_requests(page, 422)
    field = passkeys.get_by_label("New name for Test laptop")
    await field.fill("   ")
    await passkeys.get_by_role("button", name="Rename Test laptop").click()
    await expect(passkeys.get_by_label("New name for Test laptop")).to_have_attribute(
        "aria-invalid", "true"
    )
    await passkeys.get_by_label("New name for Test laptop").fill("Old laptop")
    await passkeys.get_by_role("button", name="Rename Test laptop").click()
    await expect(passkeys.get_by_role("status")).to_have_text("Renamed to “Old laptop”.")
    await expect(passkeys.locator(".passkey-name")).to_have_text(["Old laptop"])
    await audit.check("passkey renamed")
    await passkeys.get_by_role("button", name="Remove Old laptop").click()
    await expect(passkeys.get_by_role("status")).to_have_text("Passkey “Old laptop” removed.")
    await expect(passkeys.get_by_text("No passkeys yet.")).to_be_visible()
    await mailbox.wait_for(member.email, "passkey was removed")

    # The authenticator still holds it; the site no longer knows it.
    await log_out(page, site)
    await page.goto(site.url + LOGIN)
    signin = page.locator("#passkey-signin")
    await signin.get_by_role("button", name="Sign in with a passkey").click()
    await expect(signin.get_by_role("alert")).to_have_text(UNKNOWN)
    await expect(page.locator("#navbar .nickname")).to_have_count(0)
    await audit.check("login, passkey refused")
    await screenshot(page, "passkeys-refused")
    audit.assert_clean()


async def test_without_javascript_the_passkey_buttons_stay_hidden(
    open_page: OpenPage, local_site: LiveServer, mailbox: Mailbox
) -> None:
    site = local_site
    page = await open_page(java_script_enabled=False)
    await page.goto(site.url + LOGIN)
    await expect(page.locator("#passkey-signin")).to_be_hidden()
    await expect(page.locator("#login-form")).to_be_visible()
