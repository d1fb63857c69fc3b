"""Real Chromium driven by Playwright: a browser per run, a fresh context (fresh cookies) per page.

Test modules import the fixtures by their function names (`from tests.browser import
page_fixture`), or load them as a plugin (`pytest_plugins = ["tests.browser_fixtures"]`) to
share one browser and one `site` with the other modules that do; tests ask for them as
`browser`, `open_page`, `page`, `page_no_js` and `site`. Every page records its console errors
and uncaught exceptions; the test fails at teardown if any are left, so a test that provokes
one on purpose clears `console_errors(page)` itself, or names the HTTP statuses it expects
with `expect_failed_requests` (Chromium logs every 4xx and 5xx answer, a 422 form included).

`site` is the app under uvicorn with its own database, mailing to the `mailbox` SMTP server,
so flows read their emails and follow the links in them. The helpers below walk the forms,
mint members, run axe-core, take screenshots and measure the page.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import httpx
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    ViewportSize,
    async_playwright,
    expect,
)

from tests.forms import CSRF
from tests.servers import (
    ROOT,
    LiveServer,
    Mailbox,
    Postgres,
    app_env,
    emailed_key,
    free_port,
    text_of,
)
from web.session import COOKIE as SESSION_COOKIE

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 375, "height": 812}
TIMEOUT_MS = 10_000
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CONFIRM_LINK = re.compile(r"(/emailconfirmationhtml/\S+)")
# Every browser signs up and logs in from 127.0.0.1: the per-address limits would trip.
RELAXED_THROTTLES = {
    "THROTTLE_SIGNUP_IP": "10000/60",
    "THROTTLE_LOGIN_IP": "10000/60",
    "THROTTLE_FORGOT_IP": "10000/60",
    "THROTTLE_MFA_IP": "10000/60",
    "THROTTLE_LOGIN_CODE_IP": "10000/60",
}

OpenPage = Callable[..., Awaitable[Page]]

_errors: WeakKeyDictionary[Page, list[str]] = WeakKeyDictionary()
_expected_statuses: WeakKeyDictionary[Page, set[int]] = WeakKeyDictionary()
FAILED_LOAD = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")


def chromium_path() -> str:
    """The system Chromium; its absence fails a CI run and skips a local one."""
    path = shutil.which("chromium")
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: the browser tests cannot run in CI")
        pytest.skip("chromium is not installed; `make test` installs it")
    return path


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    path = chromium_path()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=path, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


def console_errors(page: Page) -> list[str]:
    """The page's console errors and uncaught exceptions so far; clear it to accept them."""
    return _errors.setdefault(page, [])


async def cookie(page: Page, name: str) -> str | None:
    """A cookie of the page's context, HttpOnly ones included."""
    for item in await page.context.cookies():
        if item.get("name") == name:
            return item.get("value")
    return None


def _watch(page: Page) -> None:
    errors = console_errors(page)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            source = message.location.get("url")
            errors.append(f"console: {message.text}" + (f" ({source})" if source else ""))

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))


@pytest.fixture(scope="session", name="browser")
async def browser_fixture() -> AsyncIterator[Browser]:
    async with chromium() as launched:
        yield launched


@pytest.fixture(name="open_page")
async def open_page_fixture(browser: Browser) -> AsyncIterator[OpenPage]:
    """Opens a page in a new context; keyword arguments go to `browser.new_context`."""
    contexts: list[BrowserContext] = []
    pages: list[Page] = []

    async def opener(**options: Any) -> Page:
        context = await browser.new_context(**{"viewport": VIEWPORT, **options})
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        new_page = await context.new_page()
        _watch(new_page)
        pages.append(new_page)
        return new_page

    yield opener
    problems = [error for p in pages for error in console_errors(p) if not _expected(p, error)]
    for context in contexts:
        await context.close()
    assert not problems, "errors in the browser:\n" + "\n".join(problems)


@pytest.fixture(name="page")
async def page_fixture(open_page: OpenPage) -> Page:
    return await open_page()


@pytest.fixture(name="page_no_js")
async def page_no_js_fixture(open_page: OpenPage) -> Page:
    return await open_page(java_script_enabled=False)


@pytest.fixture(scope="session", name="site")
def site_fixture(postgres: Postgres, mailbox: Mailbox) -> Iterator[LiveServer]:
    """The site under uvicorn, its own database, its emails sent to `mailbox`."""
    port = free_port()
    env = app_env(
        postgres.create_database(),
        BASE_URL=f"http://127.0.0.1:{port}",
        SMTP_URL=mailbox.url,
        **RELAXED_THROTTLES,
    )
    server = LiveServer(env, port).start()
    yield server
    server.stop()


async def mark_window(page: Page) -> None:
    """A mark that lives as long as the document: a navigation wipes it, a swap keeps it."""
    await page.evaluate("() => { window.__mark = 1; }")


async def window_is_marked(page: Page) -> bool:
    return bool(await page.evaluate("() => window.__mark === 1"))


def expect_failed_requests(page: Page, *statuses: int) -> None:
    """Forgive Chromium's console line for answers the test provokes (a 422 form, a 500...)."""
    _expected_statuses.setdefault(page, set()).update(statuses)


def _expected(page: Page, error: str) -> bool:
    failed = FAILED_LOAD.search(error)
    return failed is not None and int(failed.group(1)) in _expected_statuses.get(page, set())


async def choose_essential_cookies(page: Page, site: LiveServer) -> None:
    """As if the visitor had answered the banner, so it covers nothing the test clicks."""
    await page.context.add_cookies([{"name": "cookie_policy", "value": "1", "url": site.url}])


@dataclass
class Member:
    email: str
    key: str
    nickname: str
    session_cookie: str = ""


def new_email() -> str:
    return f"browser-{uuid.uuid4().hex[:10]}@example.com"


async def sign_up(page: Page, site: LiveServer, email: str | None = None) -> Member:
    """Signs up through the page's form; returns the address and what the welcome showed once."""
    email = email or new_email()
    await page.goto(site.url + "/auth/signup")
    await page.locator("#signup-email").fill(email)
    await page.locator("#signup-form").get_by_role("button", name="Sign up").click()
    await expect(page.locator("[data-key-sent]")).to_be_visible()
    nickname = await page.locator("main .nickname").first.inner_text()
    return Member(email, await emailed_key(email), nickname.strip())


async def emailed_link(mailbox: Mailbox, email: str, subject: str) -> str:
    """The path of the confirmation link in the newest email with that subject."""
    message = await mailbox.wait_for(email, subject)
    link = CONFIRM_LINK.search(text_of(message))
    assert link, text_of(message)
    return link.group(1)


async def confirm(page: Page, site: LiveServer, mailbox: Mailbox, member: Member) -> None:
    """Follows the link of the welcome email in the page."""
    await page.goto(site.url + await emailed_link(mailbox, member.email, "Welcome"))


async def new_member(site: LiveServer, mailbox: Mailbox, *, confirmed: bool = True) -> Member:
    """A member signed up (and confirmed) over plain HTTP, quicker than a browser would be."""
    async with httpx.AsyncClient(base_url=site.url) as client:
        form = await client.get("/auth/signup")
        token = CSRF.search(form.text)
        assert token
        email = new_email()
        welcome = await client.post(
            "/auth/signup", data={"email": email, "csrf_token": token.group(1)}
        )
        assert welcome.status_code == 200, welcome.text
        nickname = re.search(r'<span class="nickname">([^<]+)</span>', welcome.text)
        assert nickname, welcome.text
        key = await emailed_key(email)
        if confirmed:
            link = await emailed_link(mailbox, email, "Welcome")
            await client.get(link, follow_redirects=True)
        return Member(email, key, nickname.group(1), client.cookies[SESSION_COOKIE])


async def log_in(page: Page, site: LiveServer, member: Member) -> None:
    """Logs in through the login form, as someone typing."""
    await page.goto(site.url + "/auth/login")
    form = page.locator("#login-form")
    await form.get_by_label("Email address").fill(member.email)
    await form.get_by_label("Access key").fill(member.key)
    await form.get_by_role("button", name="Log in").click()
    await expect(page.locator("#navbar .nickname")).to_have_text(member.nickname)


async def member_page(
    open_page: OpenPage,
    site: LiveServer,
    mailbox: Mailbox,
    *,
    confirmed: bool = True,
    **options: Any,
) -> tuple[Page, Member]:
    """A page in a new context holding a new member's session, the cookie banner answered."""
    member = await new_member(site, mailbox, confirmed=confirmed)
    page = await open_page(**options)
    await choose_essential_cookies(page, site)
    await page.context.add_cookies(
        [{"name": SESSION_COOKIE, "value": member.session_cookie, "url": site.url}]
    )
    return page, member


@cache
def axe_source() -> str:
    return AXE.read_text()


async def axe_violations(
    page: Page,
    impacts: tuple[str, ...] = ("serious", "critical"),
    rules: tuple[str, ...] = (),
) -> str:
    """axe-core's violations of those impacts (of those rules only, if named), one line each;
    the page's context needs `bypass_csp=True`, since the CSP forbids the injected script."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.add_script_tag(content=axe_source())
    found = await page.evaluate(
        """async ([impacts, rules]) => {
            const options = {resultTypes: ["violations"]};
            if (rules.length) options.runOnly = {type: "rule", values: rules};
            const result = await axe.run(document, options);
            return result.violations
                .filter(v => impacts.includes(v.impact))
                .map(v => `${v.impact} ${v.id}: ${v.help} -> ` +
                          v.nodes.map(n => n.target.join(" ")).slice(0, 5).join(", "));
        }""",
        [list(impacts), list(rules)],
    )
    return "\n".join(found)


async def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot under test-artifacts/screenshots, named by the viewport; lazy
    images are loaded first, so the picture shows what a reader scrolling down would see."""
    size = page.viewport_size or VIEWPORT
    path = SCREENSHOTS / f"{name}-{size['width']}x{size['height']}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.evaluate(
        """async () => {
            const lazy = [...document.querySelectorAll("img[loading=lazy]")];
            lazy.forEach(img => { img.loading = "eager"; });
            await Promise.all(lazy.map(img => img.decode().catch(() => null)));
            window.scrollTo(0, 0);
        }"""
    )
    await page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


async def sideways_overflow(page: Page) -> str:
    """Empty when the page fits its viewport's width, else what sticks out."""
    return str(
        await page.evaluate(
            """() => {
                const root = document.documentElement;
                if (root.scrollWidth <= root.clientWidth) return "";
                const wide = [...document.querySelectorAll("body *")]
                    .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
                    .slice(0, 5)
                    .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
                              (e.className && typeof e.className === "string"
                                ? "." + e.className.trim().split(/\\s+/).join(".") : ""));
                return `${root.scrollWidth} px wide in ${root.clientWidth} px: ` + wide.join(", ");
            }"""
        )
    )
