"""The browser fixtures as a plugin, so the modules that load it share one Chromium and one site.

A fixture imported into a test module is set up again for each module, even a session one;
a module that says `pytest_plugins = ["tests.browser_fixtures"]` gets these once per run.
"""

from __future__ import annotations

from tests.browser import (
    browser_fixture,
    open_page_fixture,
    page_fixture,
    page_no_js_fixture,
    site_fixture,
)

__all__ = [
    "browser_fixture",
    "open_page_fixture",
    "page_fixture",
    "page_no_js_fixture",
    "site_fixture",
]
