"""Real Chromium driven by Playwright: a browser per run, a fresh context (fresh cookies) per page.

Test modules import the fixtures by their function names (`from tests.browser import
page_fixture`); tests ask for them as `browser`, `open_page`, `page` and `page_no_js`.
Every page records its console errors and uncaught exceptions; the test fails at teardown if
any are left, so a test that provokes one on purpose clears `console_errors(page)` itself.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from weakref import WeakKeyDictionary

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Page, async_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
TIMEOUT_MS = 10_000

OpenPage = Callable[..., Awaitable[Page]]

_errors: WeakKeyDictionary[Page, list[str]] = WeakKeyDictionary()


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
    problems = [error for p in pages for error in console_errors(p)]
    for context in contexts:
        await context.close()
    assert not problems, "errors in the browser:\n" + "\n".join(problems)


@pytest.fixture(name="page")
async def page_fixture(open_page: OpenPage) -> Page:
    return await open_page()


@pytest.fixture(name="page_no_js")
async def page_no_js_fixture(open_page: OpenPage) -> Page:
    return await open_page(java_script_enabled=False)
