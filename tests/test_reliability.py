"""Breaking things on purpose: SMTP down, the mailer down, the app killed or stopped mid-send.

Every test runs the app as production does, under uvicorn in its own process, and checks that
what a success page promised (here: the email) is never lost. The helpers it shares with the
other tests/test_reliability_*.py files are in tests/reliability_helpers.py. The external
mailer's dedupe by message id, which bounds the one duplicate a killed process may cause, is
proven in tests/test_mailer_service.py
(test_the_app_side_delivers_through_the_running_mailer_once).
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlencode

import httpx
from aiosmtpd.controller import Controller

from sql.pool import PooledDatabase
from tests.accounts_helpers import new_email
from tests.forms import csrf_token, post_form
from tests.reliability_helpers import WAIT, browser, database_at, eventually, key_in, outbox_rows
from tests.servers import LiveServer, Mailbox, MailerProcess, Postgres, app_env, emailed_key

MAILER_SECRET = "a-mailer-secret-for-the-reliability-tests-0123456789"


async def sign_up_at(server: LiveServer | str) -> str:
    """Signs up through the form and returns the address: its key comes by email, whenever the
    email can be sent."""
    email = new_email()
    async with browser(server) as client:
        assert (await post_form(client, "/auth/signup", {"email": email})).status_code == 200
    return email


class FlakyMailbox(Mailbox):
    """An SMTP server that can be down, slow or quick; it counts messages as they start arriving,
    so a test can act while one is half-way through."""

    def __init__(self) -> None:
        super().__init__()
        self.delay = 0.0
        self.arriving = 0
        self.started = False

    def start(self) -> None:
        if self.started:
            self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.started = True
        self.controller.start()

    def stop(self) -> None:
        if self.controller._thread is not None:
            self.controller.stop()
        elif not self.started:
            self.controller.loop.close()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.arriving += 1
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)

    def sent_to(self, recipients: list[str]) -> bool:
        return all(self.to(r) for r in recipients)


async def test_sign_up_succeeds_with_smtp_down_and_no_email_is_lost_when_the_app_is_killed(
    postgres: Postgres,
) -> None:
    box = FlakyMailbox()
    url = postgres.create_database()
    env = app_env(url, SMTP_URL=box.url)
    server = LiveServer(env).start()
    try:
        started = time.monotonic()
        accounts = [await sign_up_at(server) for _ in range(5)]
        assert time.monotonic() - started < 5 * 10
        async with database_at(url) as db:
            await eventually(
                lambda: _all_tried(db, len(accounts)), "every email tried while SMTP is down"
            )
            assert all(row["obx_sent_at"] is None for row in await outbox_rows(db))

            box.delay = 1.0
            box.start()
            await eventually(
                lambda: len(box.messages) >= 2 and box.arriving > len(box.messages),
                "two emails sent and a third half-way through",
            )
            server.stop(signal.SIGKILL)
            box.delay = 0.0
            server = LiveServer(env).start()
            await eventually(lambda: box.sent_to(list(accounts)), "every email after the restart")
            await eventually(lambda: _all_sent(db), "the outbox marks them all sent")
    finally:
        server.stop()
        box.stop()
    # At most the one message in flight at the kill goes out twice (the window the design allows).
    assert len(box.messages) <= len(accounts) + 1
    for email in accounts:
        assert 1 <= len(box.to(email)) <= 2
        assert len({key_in(m) for m in box.to(email)}) == 1, "a repeated email holds the same key"


async def _all_tried(db: PooledDatabase, count: int) -> bool:
    rows = await outbox_rows(db)
    return len(rows) == count and all(row["obx_attempts"] > 0 for row in rows)


async def _all_sent(db: PooledDatabase) -> bool:
    return all(row["obx_sent_at"] is not None for row in await outbox_rows(db))


async def test_sigterm_finishes_the_request_in_flight_and_stops_the_dispatcher_between_emails(
    postgres: Postgres,
) -> None:
    box = FlakyMailbox()
    box.delay = 1.0
    box.start()
    url = postgres.create_database()
    env = app_env(url, SMTP_URL=box.url)
    server = LiveServer(env).start()
    try:
        accounts = [await sign_up_at(server) for _ in range(4)]
        email = accounts[0]
        key = await emailed_key(email)
        await eventually(lambda: box.arriving > len(box.messages), "an email half-way through")
        async with browser(server) as person:
            token = await csrf_token(person, "/auth/login")
            body = urlencode({"email": email, "key": key, "csrf_token": token}).encode()
            half_sent, go_on = asyncio.Event(), asyncio.Event()

            async def trickle() -> AsyncIterator[bytes]:
                yield body[:20]
                half_sent.set()
                await go_on.wait()
                yield body[20:]

            login = asyncio.create_task(
                person.post(
                    "/auth/login",
                    content=trickle(),
                    headers={
                        "Content-Type": "application/x-www-form-urlencoded",
                        "Content-Length": str(len(body)),
                    },
                )
            )
            await half_sent.wait()
            await asyncio.sleep(0.5)  # the server reads the headers and starts the request
            assert server.process is not None
            server.process.send_signal(signal.SIGTERM)
            await eventually(
                lambda: asyncio.to_thread(_refuses, server.url), "the server stops accepting"
            )
            go_on.set()
            answer = await login
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/"
        assert "set-cookie" in answer.headers
        await asyncio.to_thread(server.process.wait, WAIT)
        assert "Application shutdown complete" in server.log.read_text()

        # Stopped between messages: what SMTP accepted is marked sent, and nothing was cut.
        assert box.arriving == len(box.messages)
        async with database_at(url) as db:
            sent = [r for r in await outbox_rows(db) if r["obx_sent_at"] is not None]
            assert sorted(r["obx_recipient"] for r in sent) == sorted(m["To"] for m in box.messages)
            box.delay = 0.0
            server = LiveServer(env).start()
            await eventually(lambda: box.sent_to(list(accounts)), "every email after the restart")
            await eventually(lambda: _all_sent(db), "the outbox marks them all sent")
    finally:
        server.stop()
        box.stop()
    for address in accounts:
        [message] = box.to(address)
        assert key_in(message).isalnum()
    assert key_in(box.to(email)[0]) == key


def _refuses(url: str) -> bool:
    try:
        httpx.get(url + "/robots.txt", timeout=1)
    except httpx.ConnectError:
        return True
    except httpx.HTTPError:
        return False
    return False


async def test_sign_up_succeeds_with_the_external_mailer_down_and_the_email_follows(
    postgres: Postgres, mailbox: Mailbox
) -> None:
    mailer = MailerProcess(
        {
            "MAILER_SECRET": MAILER_SECRET,
            "SMTP_URL": mailbox.url,
            "DATABASE_URL": postgres.create_database(),
        }
    )
    url = postgres.create_database()
    server = LiveServer(app_env(url, MAILER_URL=mailer.url, MAILER_SECRET=MAILER_SECRET)).start()
    try:
        started = time.monotonic()
        email = await sign_up_at(server)
        assert time.monotonic() - started < 10
        async with database_at(url) as db:
            await eventually(lambda: _all_tried(db, 1), "the email tried while the mailer is down")
        assert mailbox.to(email) == []
        await asyncio.to_thread(mailer.start)
        message = await mailbox.wait_for(email, "Welcome")
        assert key_in(message).isalnum()
        async with database_at(url) as db:
            await eventually(lambda: _all_sent(db), "the outbox marks it sent")
    finally:
        server.stop()
        mailer.stop()
    assert len(mailbox.to(email)) == 1
