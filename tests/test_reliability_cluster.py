"""Two app processes on one database, as behind a load balancer: what one does, the other knows.

A person's client here talks to both servers; its cookies (for 127.0.0.1, whatever the port) go
to either, as a browser's would behind one public name. Simultaneous claims of one nickname are
in tests/test_profile.py, and simultaneous key resets with one code in tests/test_recovery.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.accounts_helpers import confirmation_path, new_email
from tests.forms import csrf_token, post_form
from tests.reliability_helpers import database_at, eventually, key_in, outbox_rows
from tests.servers import LiveServer, Mailbox, Postgres, app_env, emailed_key


class Cluster:
    def __init__(self, url: str, servers: list[LiveServer]) -> None:
        self.database_url = url
        self.a, self.b = (server.url for server in servers)


@pytest.fixture(scope="module")
def cluster(postgres: Postgres, mailbox: Mailbox) -> Iterator[Cluster]:
    """Same database, same BASE_URL, same secret (DATA_DIR/secret_key, shared by both)."""
    url = postgres.create_database()
    servers = [LiveServer(app_env(url, SMTP_URL=mailbox.url)) for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(LiveServer.start, servers))
        yield Cluster(url, servers)
    finally:
        for server in servers:
            server.stop()


async def test_sign_up_on_one_confirm_and_log_in_on_the_other_with_shared_limits_and_revocation(
    cluster: Cluster, mailbox: Mailbox
) -> None:
    a, b = cluster.a, cluster.b
    email = new_email()
    async with (
        httpx.AsyncClient(timeout=30) as newcomer,
        httpx.AsyncClient(timeout=30) as phone,
        httpx.AsyncClient(timeout=30) as laptop,
    ):
        welcome = await post_form(newcomer, f"{a}/auth/signup", {"email": email})
        assert welcome.status_code == 200
        key = await emailed_key(email)

        # The emailed link, followed on the other process, confirms and logs in.
        confirmed = await phone.get(b + await confirmation_path(mailbox, email))
        assert (confirmed.status_code, confirmed.headers["location"]) == (303, "/album/")
        assert (await phone.get(f"{b}/album/")).status_code == 200
        assert (await phone.get(f"{a}/album/")).status_code == 200

        login = await post_form(laptop, f"{b}/auth/login", {"email": email, "key": key})
        assert (login.status_code, login.headers["location"]) == (303, "/")
        assert (await laptop.get(f"{a}/auth/userprofile")).status_code == 200

        # "Log out other sessions" on one process ends them on the other as well.
        ended = await post_form(
            phone, f"{a}/auth/userprofile/sessions", {}, page=f"{a}/auth/userprofile"
        )
        assert ended.status_code == 303
        gone = await laptop.get(f"{b}/auth/userprofile")
        assert gone.status_code == 303 and gone.headers["location"].startswith("/auth/login")
        assert (await phone.get(f"{b}/auth/userprofile")).status_code == 200

        # Failed logins spread over both processes count together: the sixth is refused.
        statuses = []
        for attempt in range(6):
            server = (a, b)[attempt % 2]
            wrong = await post_form(laptop, f"{server}/auth/login", {"email": email, "key": "x"})
            statuses.append(wrong.status_code)
        assert statuses == [422] * 5 + [429]
        for server in (a, b):
            right = await post_form(laptop, f"{server}/auth/login", {"email": email, "key": key})
            assert right.status_code == 429
            assert int(right.headers["retry-after"]) > 0


async def test_simultaneous_sign_ups_with_one_address_on_both_processes_make_one_account(
    cluster: Cluster, mailbox: Mailbox
) -> None:
    email = new_email()
    clients = [httpx.AsyncClient(timeout=30) for _ in range(8)]
    try:
        servers = [(cluster.a, cluster.b)[i % 2] for i in range(len(clients))]
        tokens = [
            await csrf_token(client, f"{server}/auth/signup")
            for client, server in zip(clients, servers, strict=True)
        ]
        answers = await asyncio.gather(
            *(
                client.post(f"{server}/auth/signup", data={"email": email, "csrf_token": token})
                for client, server, token in zip(clients, servers, tokens, strict=True)
            )
        )
    finally:
        for client in clients:
            await client.aclose()
    assert sorted(a.status_code for a in answers) == [200] + [422] * (len(clients) - 1)
    [winner] = [a for a in answers if a.status_code == 200]
    assert "We sent your access key to" in winner.text
    for loser in (a for a in answers if a.status_code == 422):
        assert "already has an account" in loser.text

    async with database_at(cluster.database_url) as db:
        accounts = await db.fetch_val(
            "select count(*) from minimaluser.tbl_auth where lower(aut_email) = lower(:email)",
            {"email": email},
        )
        assert accounts == 1

        async def delivered() -> bool:
            rows = [r for r in await outbox_rows(db) if r["obx_recipient"] == email]
            return len(rows) == 1 and rows[0]["obx_sent_at"] is not None

        await eventually(delivered, "the one welcome email sent")
    [message] = mailbox.to(email)
    assert key_in(message).isalnum()
