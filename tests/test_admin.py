"""The operator's command line, run as a real process against the test database."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from tests.accounts_helpers import log_in, sign_up
from tests.servers import ROOT, Mailbox, app_env


def admin(database_url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "admin", *args],
        cwd=ROOT,
        env={**os.environ, **app_env(database_url)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout


async def test_operator_disables_and_enables_an_account(
    client: httpx.AsyncClient, database_url: str
) -> None:
    email, key = await sign_up(client)
    assert email in admin(database_url, "list")
    assert admin(database_url, "disable", email).startswith("disabled")
    assert "Log out" not in (await client.get("/")).text
    assert (await log_in(client, email, key)).status_code == 422
    assert admin(database_url, "enable", email).startswith("enabled")
    assert (await log_in(client, email, key)).status_code == 303


async def test_operator_deletes_an_account_its_tile_and_says_goodbye(
    client: httpx.AsyncClient, database_url: str, mailbox: Mailbox
) -> None:
    email, key = await sign_up(client)
    tile = (await client.get("/auth/userprofile")).text.split('src="/tiles/', 1)[1].split('"')[0]
    assert (await client.get(f"/tiles/{tile}")).status_code == 200
    assert admin(database_url, "delete", email).startswith("deleted")
    assert (await client.get(f"/tiles/{tile}")).status_code == 404
    assert email not in admin(database_url, "list")
    assert (await log_in(client, email, key)).status_code == 422
    await mailbox.wait_for(email, "Goodbye")
