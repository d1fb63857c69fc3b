"""S3 down for a live site: sign-up still succeeds and shows its tile (served from the job queue),
the upload and a removal that failed meanwhile are done once S3 is back; no tile orphaned or lost.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from sql.pool import PooledDatabase
from tests.accounts_helpers import new_email, sign_up
from tests.forms import post_form
from tests.reliability_helpers import browser, database_at, eventually
from tests.servers import (
    AWS,
    BUCKET,
    LiveServer,
    Mailbox,
    MotoServer,
    Postgres,
    app_env,
    emailed_key,
    s3_at,
)

TILE = re.compile(r'src="/tiles/(tile-[0-9a-f]+\.svg)"')


async def stored(url: str) -> dict[str, bytes]:
    async with s3_at(url) as s3:
        listing = await s3.list_objects_v2(Bucket=BUCKET)
        objects = {}
        for item in listing.get("Contents", []):
            answer = await s3.get_object(Bucket=BUCKET, Key=item["Key"])
            async with answer["Body"] as body:
                objects[item["Key"]] = await body.read()
        return objects


async def jobs(db: PooledDatabase) -> list[Any]:
    return list(
        await db.fetch_all(
            "select tjb_action, tjb_name, tjb_attempts from minimaluser.tbl_tile_job"
            " order by tjb_id"
        )
    )


async def test_tiles_survive_an_s3_outage_none_orphaned_none_lost(
    postgres: Postgres, mailbox: Mailbox
) -> None:
    moto = MotoServer()
    await asyncio.to_thread(moto.start)
    async with s3_at(moto.url) as s3:
        await s3.create_bucket(Bucket=BUCKET)
    url = postgres.create_database()
    env = app_env(url, S3_BUCKET=BUCKET, S3_ENDPOINT_URL=moto.url, SMTP_URL=mailbox.url, **AWS)
    server = LiveServer(env).start()
    try:
        async with browser(server) as leaver, browser(server) as newcomer, database_at(url) as db:
            # Someone signed up while S3 was up: the tile is in the bucket.
            leaver_email = new_email()
            welcome = await post_form(leaver, "/auth/signup", {"email": leaver_email})
            leaver_key = await emailed_key(leaver_email)
            leaver_tile = TILE.search(welcome.text)
            assert leaver_tile
            leaver_object = f"tiles/{leaver_tile.group(1)}"
            await eventually(
                lambda: _holds(moto.url, leaver_object), "the first tile in the bucket"
            )
            svg_of_leaver = (await stored(moto.url))[leaver_object]

            await asyncio.to_thread(moto.stop)

            started = time.monotonic()
            email, _key = await sign_up(newcomer)
            assert time.monotonic() - started < 10
            page = await newcomer.get("/")
            tile = TILE.search(page.text)
            assert tile, "the home page shows the new member's tile"
            shown = await newcomer.get(f"/tiles/{tile.group(1)}")
            assert shown.status_code == 200 and shown.content.startswith(b"<svg")
            assert shown.headers["cache-control"] == "no-store"

            goodbye = await post_form(
                leaver,
                "/auth/deleteaccount",
                {"accesskey": leaver_key},
                page="/auth/userprofile",
            )
            assert goodbye.status_code == 303, goodbye.text

            async def both_tried() -> bool:
                waiting = await jobs(db)
                return [(j["tjb_action"], j["tjb_name"]) for j in waiting] == [
                    ("put", tile.group(1)),
                    ("delete", leaver_tile.group(1)),
                ] and all(j["tjb_attempts"] > 0 for j in waiting)

            await eventually(both_tried, "the upload and the removal tried and queued")

            # moto forgets everything when it stops; a real bucket would still hold the
            # leaver's tile. Put it back before the queued removal may run (its row locked).
            async with db.connection() as connection, connection.transaction():
                await connection.fetch_all(
                    "select tjb_id from minimaluser.tbl_tile_job"
                    " where tjb_action = 'delete' for update"
                )
                await asyncio.to_thread(moto.start)
                async with s3_at(moto.url) as s3:
                    await s3.create_bucket(Bucket=BUCKET)
                    await s3.put_object(Bucket=BUCKET, Key=leaver_object, Body=svg_of_leaver)

            async def queue_empty() -> bool:
                return await jobs(db) == []

            await eventually(queue_empty, "every queued tile job done once S3 is back")
            assert await stored(moto.url) == {f"tiles/{tile.group(1)}": shown.content}
            members = await db.fetch_all("select aut_email, aut_tile from minimaluser.tbl_auth")
            assert [(m["aut_email"], m["aut_tile"]) for m in members] == [(email, tile.group(1))]
    finally:
        server.stop()
        moto.stop()


async def _holds(url: str, key: str) -> bool:
    return key in await stored(url)
