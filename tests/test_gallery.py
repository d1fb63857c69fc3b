"""/dev/gallery: every partial in its states, for designers, in development and locally only."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import settings as settings_module
from tests.servers import ROOT, Mailbox, Postgres, app_env

PARTIALS = ROOT / "partials"
BOX = re.compile(r'<div class="gallery-box[^"]*" data-partial="([^"]+)" data-state="([^"]+)">')


def partial_files() -> list[str]:
    """Every fragment file under partials/; macros.html holds macros, not a fragment."""
    return sorted(
        f"partials/{path.relative_to(PARTIALS).as_posix()}"
        for path in PARTIALS.rglob("*.html")
        if path.name != "macros.html"
    )


@pytest.fixture(scope="module")
async def dev_app(postgres: Postgres) -> AsyncIterator[Any]:
    from app import create_app

    env = app_env(postgres.create_database(), APP_ENV="development")
    application = create_app(settings_module.load(env))
    async with application.router.lifespan_context(application):
        yield application


async def get_gallery(app: Any, ip: str = "127.0.0.1", **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, client=(ip, 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get("/dev/gallery", headers=headers)


async def test_gallery_shows_every_partial_in_labelled_boxes(dev_app: Any) -> None:
    page = await get_gallery(dev_app)

    assert page.status_code == 200
    boxes = [(partial, html.unescape(state)) for partial, state in BOX.findall(page.text)]
    shown = {partial for partial, _ in boxes}
    missing = sorted(set(partial_files()) - shown)
    assert not missing, f"partials without a box in routes/gallery.py: {missing}"
    assert len(boxes) == len(set(boxes)), "two boxes with the same label"


async def test_gallery_shows_the_states_that_matter(dev_app: Any) -> None:
    page = (await get_gallery(dev_app)).text

    assert 'id="signup-email-error"' in page and 'aria-invalid="true"' in page
    assert "data-key-sent" in page
    assert "Your nickname is now brave-otter-042917-teal." in page
    assert "Waiting for confirmation" in page
    assert "Cookies on this site" in page
    assert 'action="/auth/logout"' in page and 'href="/auth/signup"' in page
    for status in (403, 404, 429, 500, 503):
        assert f'data-state="status {status}"' in page
    assert 'src="data:image/svg+xml;base64,' in page, "the sample tile is drawn by the namer"


async def test_gallery_is_for_this_machine_only(dev_app: Any) -> None:
    assert (await get_gallery(dev_app, ip="203.0.113.9")).status_code == 404
    forwarded = await get_gallery(dev_app, **{"X-Forwarded-For": "203.0.113.9"})
    assert forwarded.status_code == 404


async def test_gallery_is_missing_in_test_and_production(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    assert (await client.get("/dev/gallery")).status_code == 404

    from app import create_app

    env = app_env(
        "postgresql://nobody@localhost/never-connected",
        APP_ENV="production",
        SECRET_KEY="a production secret of more than 32 bytes",
        SMTP_URL=mailbox.url,
    )
    production = create_app(settings_module.load(env))
    assert (await get_gallery(production)).status_code == 404


def test_the_partials_folder_is_walked() -> None:
    files = partial_files()
    assert "partials/navbar.html" in files and "partials/macros.html" not in files
    assert all(Path(ROOT / name).is_file() for name in files)
