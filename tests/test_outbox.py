"""The development outbox, S3 tiles for new accounts, and email surviving an SMTP outage."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiobotocore.session import get_session

import settings as settings_module
from tests.accounts_helpers import new_email, sign_up
from tests.forms import post_form
from tests.servers import Mailbox, MotoServer, Postgres, app_env, text_of


@pytest.fixture
async def dev_app(postgres: Postgres) -> AsyncIterator[Any]:
    from app import create_app

    env = app_env(postgres.create_database(), APP_ENV="development")
    application = create_app(settings_module.load(env))
    async with application.router.lifespan_context(application):
        yield application


async def test_development_keeps_emails_at_dev_outbox_for_this_machine_only(dev_app: Any) -> None:
    local = httpx.ASGITransport(app=dev_app, client=("127.0.0.1", 5000))
    async with httpx.AsyncClient(transport=local, base_url="http://testserver") as browser:
        email, key = await sign_up(browser)
        listing = await browser.get("/dev/outbox")
        for _ in range(50):
            if email in listing.text:
                break
            listing = await browser.get("/dev/outbox")
        assert email in listing.text
        message_path = re.search(r'href="(/dev/outbox/\d+)"', listing.text)
        assert message_path
        message = await browser.get(message_path.group(1))
        shown = re.search(r'<pre class="dev-mail[^"]*">(.*?)</pre>', message.text, re.DOTALL)
        assert shown, "the plain-text part is shown as preformatted text"
        lines = html.unescape(re.sub(r"<[^>]+>", "", shown.group(1))).splitlines()
        assert f"Email: {email}" in lines and f"Access key: {key}" in lines, "one line each"
        link = re.search(r'<a href="http://testserver(/emailconfirmationhtml/[^"]+)"', message.text)
        assert link
        assert (await browser.get(link.group(1))).headers["location"] == "/album/"
    remote = httpx.ASGITransport(app=dev_app, client=("203.0.113.9", 5000))
    async with httpx.AsyncClient(transport=remote, base_url="http://testserver") as stranger:
        assert (await stranger.get("/dev/outbox")).status_code == 404


async def test_the_outbox_is_missing_outside_development(client: httpx.AsyncClient) -> None:
    assert (await client.get("/dev/outbox")).status_code == 404


async def test_sign_up_stores_the_tile_in_the_s3_bucket(
    postgres: Postgres, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import create_app

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with MotoServer() as moto:
        credentials = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
        async with get_session().create_client(
            "s3", region_name="us-east-1", endpoint_url=moto.url, **credentials
        ) as s3:
            await s3.create_bucket(Bucket="tiles")
            env = app_env(
                postgres.create_database(),
                SMTP_URL=mailbox.url,
                S3_BUCKET="tiles",
                S3_ENDPOINT_URL=moto.url,
                AWS_DEFAULT_REGION="us-east-1",
            )
            application = create_app(settings_module.load(env))
            async with application.router.lifespan_context(application):
                transport = httpx.ASGITransport(app=application)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://testserver"
                ) as c:
                    page = await post_form(c, "/auth/signup", {"email": new_email()})
                    name = re.search(r'src="/tiles/(tile-[0-9a-f]+\.svg)"', page.text)
                    assert name
                    served = await c.get(f"/tiles/{name.group(1)}")
                    assert served.status_code == 200
            stored = await s3.get_object(Bucket="tiles", Key=f"tiles/{name.group(1)}")
            assert stored["ContentType"] == "image/svg+xml"
            body = await stored["Body"].read()
            assert body.startswith(b"<svg") and b"<script" not in body


async def test_email_waits_out_an_smtp_outage_and_then_arrives(
    postgres: Postgres,
) -> None:
    from app import create_app

    box = Mailbox()
    env = app_env(postgres.create_database(), SMTP_URL=box.url)
    application = create_app(settings_module.load(env))
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            email, key = await sign_up(c)
        box.controller.start()
        try:
            message = await box.wait_for(email, "Welcome")
        finally:
            box.controller.stop()
    assert f"Access key: {key}" in text_of(message)
    assert len(box.to(email)) == 1
