"""The operator's command line, run as a real process against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any
from uuid import uuid4

import httpx
import pyotp

from accounts import mfa
from accounts.runtime import Client, Services
from sql import recovery_codes, totp, users
from sql.sessions import CurrentUser
from tests.accounts_helpers import confirmed_user, log_in, sign_up
from tests.forms import csrf_token
from tests.servers import ROOT, Mailbox, app_env, text_of


def admin(database_url: str, *args: str, status: int = 0) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "admin", *args],
        cwd=ROOT,
        env={**os.environ, **app_env(database_url)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == status, result.stdout + result.stderr
    return result.stdout


async def test_operator_disables_and_enables_an_account(
    client: httpx.AsyncClient, database_url: str
) -> None:
    email, key = await sign_up(client)
    assert email in admin(database_url, "list")
    assert admin(database_url, "disable", email).strip() == f"{email} is disabled."
    assert "Log out" not in (await client.get("/")).text
    assert (await log_in(client, email, key)).status_code == 422
    assert admin(database_url, "enable", email).strip() == f"{email} is enabled."
    assert (await log_in(client, email, key)).status_code == 303


async def test_operator_deletes_an_account_its_tile_and_says_goodbye(
    client: httpx.AsyncClient, database_url: str, mailbox: Mailbox
) -> None:
    email, key = await sign_up(client)
    tile = (await client.get("/auth/userprofile")).text.split('src="/tiles/', 1)[1].split('"')[0]
    assert (await client.get(f"/tiles/{tile}")).status_code == 200
    assert admin(database_url, "delete", email).strip() == f"{email} is deleted."
    assert (await client.get(f"/tiles/{tile}")).status_code == 404
    assert email not in admin(database_url, "list")
    assert (await log_in(client, email, key)).status_code == 422
    await mailbox.wait_for(email, "Goodbye")


async def turn_on_authenticator(svc: Services, email: str) -> int:
    """The rule the sign-in security page calls, with a code of the setup's secret."""
    user = await users.by_email(svc.db, email)
    assert user is not None
    current = CurrentUser(user.id, user.email, user.nickname, True, user.tile, uuid4())
    secret = await mfa.setup_secret(svc, current)
    await mfa.enable_totp(svc, current, pyotp.TOTP(secret).now(), Client("127.0.0.1", "test"))
    return user.id


async def test_operator_resets_a_second_factor_and_the_user_is_told(
    client: httpx.AsyncClient, app: Any, database_url: str, mailbox: Mailbox
) -> None:
    svc: Services = app.state.services
    email, _ = await confirmed_user(client, mailbox)
    user_id = await turn_on_authenticator(svc, email)
    assert await recovery_codes.left(svc.db, user_id) == 10

    line = admin(database_url, "reset-mfa", email)
    assert line.strip() == f"The second factor of {email} is reset; an email tells them."
    assert await totp.of_user(svc.db, user_id) is None
    assert await recovery_codes.left(svc.db, user_id) == 0
    told = text_of(await mailbox.wait_for(email, "second factor was turned off"))
    assert "our support team" in told and f"{svc.settings.base_url}/auth/forgotkey" in told

    assert admin(database_url, "reset-mfa", email).strip() == f"{email} has no second factor."


def test_operator_commands_fail_for_an_unknown_address(database_url: str) -> None:
    for command in ("reset-mfa", "disable", "delete"):
        line = admin(database_url, command, "nobody-here@example.com", status=1)
        assert line.strip() == "no account for nobody-here@example.com"


async def test_grant_makes_an_operator_and_the_command_line_is_audited(
    client: httpx.AsyncClient, app: Any, database_url: str
) -> None:
    email, key = await sign_up(client, confirmed=True)
    assert admin(database_url, "grant", email).strip() == f"{email} is an operator"
    assert "(it was already)" in admin(database_url, "grant", email)
    await client.post("/auth/logout", data={"csrf_token": await csrf_token(client)})
    await log_in(client, email, key)
    assert (await client.get("/admin/")).status_code == 200
    assert admin(database_url, "revoke", email).strip() == f"{email} is not an operator"
    assert (await client.get("/admin/")).status_code == 404
    rows = await app.state.services.db.fetch_all(
        "select aud_actor, aud_action, aud_target_email from minimaluser.tbl_audit"
        " where aud_target_email = :e order by aud_id",
        {"e": email},
    )
    assert [r["aud_action"] for r in rows] == ["grant", "revoke"]
    assert all(r["aud_actor"].startswith("command line (") for r in rows)
