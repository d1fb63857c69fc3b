"""Tiles from the bucket's public URL (TILES_BASE_URL) in real Chromium: one that could not be
uploaded yet, S3 being down, is shown from the site meanwhile."""

from __future__ import annotations

import asyncio
import json
import re

from playwright.async_api import Page, expect

from tests.browser import (
    RELAXED_THROTTLES,
    OpenPage,
    choose_essential_cookies,
    console_errors,
    sign_up,
)
from tests.servers import (
    AWS,
    BUCKET,
    LiveServer,
    Mailbox,
    MotoServer,
    Postgres,
    app_env,
    free_port,
    s3_at,
)

pytest_plugins = ["tests.browser_fixtures"]

# What an operator sets for TILES_BASE_URL: anyone may read the tiles, and nothing else.
PUBLIC_TILES = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/tiles/*",
            }
        ],
    }
)
SHOWN = "img => img.complete && img.naturalWidth > 0"


async def signed_up_tile(open_page: OpenPage, site: LiveServer) -> tuple[Page, str]:
    """A new member's welcome page, once its tile has loaded or failed; the tile's source."""
    page = await open_page()
    await choose_essential_cookies(page, site)
    await sign_up(page, site)
    tile = page.locator("main img[data-tile]")
    await expect(tile).to_have_count(1)
    await page.wait_for_function(
        "() => [...document.querySelectorAll('img[data-tile]')].every(i => i.complete)"
    )
    return page, str(await tile.get_attribute("src"))


async def test_a_tile_waiting_for_s3_is_shown_from_the_site(
    open_page: OpenPage, postgres: Postgres, mailbox: Mailbox
) -> None:
    moto = MotoServer()
    await asyncio.to_thread(moto.start)
    async with s3_at(moto.url) as s3:
        await s3.create_bucket(Bucket=BUCKET)
        await s3.put_bucket_policy(Bucket=BUCKET, Policy=PUBLIC_TILES)
    port = free_port()
    env = app_env(
        postgres.create_database(),
        BASE_URL=f"http://127.0.0.1:{port}",
        SMTP_URL=mailbox.url,
        S3_BUCKET=BUCKET,
        S3_ENDPOINT_URL=moto.url,
        TILES_BASE_URL=f"{moto.url}/{BUCKET}",
        **AWS,
        **RELAXED_THROTTLES,
    )
    server = LiveServer(env, port).start()
    try:
        page, source = await signed_up_tile(open_page, server)
        assert source.startswith(f"{moto.url}/{BUCKET}/tiles/tile-"), source
        assert await page.locator("main img[data-tile]").evaluate(SHOWN)

        await asyncio.to_thread(moto.stop)
        page, source = await signed_up_tile(open_page, server)
        assert re.fullmatch(r"/tiles/tile-[0-9a-f]+\.svg", source), source
        await page.wait_for_function(
            "() => [...document.querySelectorAll('img[data-tile]')]"
            ".every(i => i.complete && i.naturalWidth > 0)"
        )
        assert await page.locator("#navbar img[data-tile]").get_attribute("src") == source
        console_errors(page).clear()
    finally:
        server.stop()
        await asyncio.to_thread(moto.stop)
