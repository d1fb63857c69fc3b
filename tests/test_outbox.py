"""The development outbox, S3 tiles for new accounts, and email surviving an SMTP outage."""

from __future__ import annotations

import asyncio
import html
import re
import time
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from aiobotocore.session import get_session

import settings as settings_module
from sql import outbox
from sql.pool import PooledDatabase
from sql.query import execute, fetch_one
from tests.accounts_helpers import new_email
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
        email = new_email()
        assert (await post_form(browser, "/auth/signup", {"email": email})).status_code == 200
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
        assert f"Email: {email}" in lines, "one line each"
        assert any(re.fullmatch(r"Access key: [A-Za-z0-9]{10,}", line) for line in lines)
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
        email = new_email()
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            assert (await post_form(c, "/auth/signup", {"email": email})).status_code == 200
        box.controller.start()
        try:
            message = await box.wait_for(email, "Welcome")
        finally:
            box.controller.stop()
    assert re.search(r"^Access key: [A-Za-z0-9]{10,}\r?$", text_of(message), re.MULTILINE)
    assert len(box.to(email)) == 1


class Outage:
    """An app whose SMTP server is down (nothing listens on its port) until `smtp_up()`."""

    def __init__(self, application: Any, box: Mailbox) -> None:
        self.services = application.state.services
        self.db: PooledDatabase = self.services.db
        self.box = box
        self.up = False

    def smtp_up(self) -> None:
        self.box.controller.start()
        self.up = True

    async def queue(
        self, recipient: str, secrets: dict[str, str] | None, written: timedelta = timedelta()
    ) -> None:
        """A goodbye email, with those secrets, as if queued `written` ago."""
        async with self.services.change() as work:
            await work.email("goodbye", recipient, {"nickname": "n"}, secrets)
            await execute(
                self.db,
                "update minimaluser.tbl_outbox"
                " set obx_created_at = now() - cast(:written as interval)"
                " where obx_recipient = :recipient",
                {"recipient": recipient, "written": written},
            )

    async def row(self, recipient: str) -> Any:
        return await fetch_one(
            self.db,
            "select obx_id, obx_attempts, obx_secret, obx_secret_wiped, obx_last_error,"
            " obx_failed_at, obx_sent_at from minimaluser.tbl_outbox"
            " where obx_recipient = :recipient",
            {"recipient": recipient},
        )

    async def until(self, recipient: str, ready: Callable[[Any], bool]) -> Any:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            row = await self.row(recipient)
            if row is not None and ready(row):
                return row
            await asyncio.sleep(0.05)
        raise AssertionError(f"the outbox row of {recipient} never got there: {row}")

    async def age(self, recipient: str, interval: timedelta) -> None:
        """The message was written that long ago, and is due now."""
        await execute(
            self.db,
            "update minimaluser.tbl_outbox set obx_due_at = now(),"
            " obx_created_at = now() - cast(:interval as interval)"
            " where obx_recipient = :recipient",
            {"recipient": recipient, "interval": interval},
        )


@pytest.fixture
async def outage(postgres: Postgres) -> AsyncIterator[Outage]:
    from app import create_app

    box = Mailbox()
    env = app_env(postgres.create_database(), SMTP_URL=box.url)
    application = create_app(settings_module.load(env))
    async with application.router.lifespan_context(application):
        down = Outage(application, box)
        try:
            yield down
        finally:
            if down.up:
                box.controller.stop()


async def test_email_undeliverable_for_three_days_fails_for_good_with_its_secret_wiped(
    outage: Outage,
) -> None:
    recipient = new_email()
    await outage.queue(recipient, {"key": "a-key-waiting-for-smtp"})
    trying = await outage.until(recipient, lambda r: r["obx_attempts"] >= 1)
    assert trying["obx_secret"] is not None and trying["obx_last_error"]
    await outage.age(recipient, timedelta(days=3, minutes=1))

    failed = await outage.until(recipient, lambda r: r["obx_failed_at"] is not None)
    assert failed["obx_secret"] is None, "the sealed access key is wiped"
    assert failed["obx_secret_wiped"]
    assert failed["obx_last_error"] == trying["obx_last_error"], "the error is kept"
    assert failed["obx_attempts"] > trying["obx_attempts"], "it failed at a new attempt"

    outage.smtp_up()
    await asyncio.sleep(3)
    after = await outage.row(recipient)
    assert after["obx_attempts"] == failed["obx_attempts"], "never tried again"
    assert after["obx_failed_at"] == failed["obx_failed_at"] and after["obx_sent_at"] is None
    assert outage.box.to(recipient) == []


async def test_email_younger_than_three_days_is_still_retried_and_arrives(
    outage: Outage,
) -> None:
    recipient = new_email()
    await outage.queue(recipient, {"key": "a-key-waiting-for-smtp"})
    await outage.until(recipient, lambda r: r["obx_attempts"] >= 1)
    await outage.age(recipient, timedelta(days=2, hours=23))
    before = await outage.row(recipient)

    retried = await outage.until(
        recipient, lambda r: r["obx_attempts"] >= before["obx_attempts"] + 2
    )
    assert retried["obx_failed_at"] is None and retried["obx_secret"] is not None

    outage.smtp_up()
    await outage.box.wait_for(recipient, "Goodbye")
    sent = await outage.until(recipient, lambda r: r["obx_sent_at"] is not None)
    assert sent["obx_failed_at"] is None and sent["obx_secret"] is None


async def test_operators_list_failed_emails_retry_those_without_secrets_and_drop_them(
    outage: Outage,
) -> None:
    plain, secret = new_email(), new_email()
    await outage.queue(plain, None, timedelta(days=4))
    await outage.queue(secret, {"key": "a-key-nobody-may-get-blank"}, timedelta(days=4))
    for recipient in (plain, secret):
        await outage.until(recipient, lambda r: r["obx_failed_at"] is not None)

    listed = {m.recipient: m for m in await outbox.failed(outage.db, 100)}
    assert set(listed) == {plain, secret}
    assert all(m.last_error and m.event == "goodbye" and m.attempts == 1 for m in listed.values())
    assert listed[secret].wiped and not listed[plain].wiped

    assert not await outbox.retry(outage.db, listed[secret].id), "never re-sent without its key"
    assert (await outage.row(secret))["obx_failed_at"] is not None

    assert await outbox.retry(outage.db, listed[plain].id)
    again = await outage.until(plain, lambda r: r["obx_attempts"] == 2)
    assert again["obx_failed_at"] is not None, "past its deadline, one more failure is final"
    outage.smtp_up()
    assert await outbox.retry(outage.db, listed[plain].id)
    await outage.box.wait_for(plain, "Goodbye")
    await outage.until(plain, lambda r: r["obx_sent_at"] is not None)
    assert [m.recipient for m in await outbox.failed(outage.db, 100)] == [secret]
    assert not await outbox.retry(outage.db, listed[plain].id), "a sent message is not failed"
    assert not await outbox.drop(outage.db, listed[plain].id), "nor dropped"

    assert await outbox.drop(outage.db, listed[secret].id)
    assert await outage.row(secret) is None
    assert await outbox.failed(outage.db, 100) == []
    assert not await outbox.drop(outage.db, listed[secret].id)
    assert outage.box.to(secret) == []
