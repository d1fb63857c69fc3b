"""The user's own data (GDPR art. 20) through HTTP: a member with every kind of data downloads
it as one JSON file, which holds each section with the right values and none of the secrets the
member has or had; the download needs a fresh authentication, a login, a confirmed address and
the CSRF token."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta
from typing import Any

import httpx
from itsdangerous import URLSafeTimedSerializer

from accounts.runtime import Clock
from sql.pool import PooledDatabase
from tests.accounts_helpers import (
    CODE_LINE,
    RESET_LINK,
    client_for,
    log_in,
    new_email,
    sign_up,
)
from tests.forms import csrf_token, post_form
from tests.servers import KEY_LINE, Mailbox, signup_letter, text_of
from tests.softkey import SoftKey
from tests.test_login_code import emailed_login_code
from tests.test_mfa import logout, turn_on
from tests.test_passkeys import add_passkey
from web.session import COOKIE

EXPORT = "/auth/userprofile/export"
PROFILE = "/auth/userprofile"
LINK_TOKEN = re.compile(r"http://testserver/\S*/([\w.-]{20,})")
# A timestamp cannot hold a secret, but its microseconds could match a 6-digit code by chance.
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d")


async def download(client: httpx.AsyncClient) -> httpx.Response:
    return await post_form(client, EXPORT, {}, page=PROFILE)


def jwt_of(app: Any, cookie: str) -> str:
    """The login JWT inside the signed session cookie, as the site reads it."""
    secret = app.state.services.settings.secret_key
    token: str = URLSafeTimedSerializer(secret, salt="session-cookie").loads(cookie)["t"]
    return token


def stamp(value: str | None) -> datetime:
    assert value is not None
    return datetime.fromisoformat(value)


async def test_member_downloads_every_kind_of_their_data_and_no_secret(
    app: Any, clock: Clock, mailbox: Mailbox, db: PooledDatabase
) -> None:
    async with (
        client_for(app, "10.60.0.1") as client,
        client_for(app, "10.60.0.2") as laptop,
        client_for(app, "10.60.0.3") as stranger,
    ):
        email, key = await sign_up(client, confirmed=True)
        letters = [await signup_letter(email)]
        await logout(client)
        assert (await log_in(client, email, key, remember="on")).status_code == 303
        assert (await log_in(laptop, email, key)).status_code == 303
        secret, codes = await turn_on(client, clock)
        soft_key = SoftKey()
        assert (await add_passkey(client, soft_key, "Work laptop")).status_code == 200
        moved_to = new_email()
        asked = await post_form(client, f"{PROFILE}/email", {"email": moved_to, "accesskey": key})
        assert asked.status_code == 303
        await post_form(stranger, "/auth/forgotkey", {"email": email})
        await post_form(stranger, "/auth/login/code", {"email": email})
        await post_form(client, "/consent", {"choice": "all"})

        letters.append(text_of(await mailbox.wait_for(moved_to, "Confirm your new")))
        reset_text = text_of(await mailbox.wait_for(email, "one-time code"))
        letters.append(reset_text)
        login_code = await emailed_login_code(mailbox, email)
        letters.append(text_of(await mailbox.wait_for(email, "login code")))
        one_time = CODE_LINE.search(reset_text)
        reset_link = RESET_LINK.search(reset_text)
        assert one_time and reset_link

        cookie = client.cookies[COOKIE]
        token = await csrf_token(client, PROFILE)
        before = clock.now().date()
        answer = await download(client)
        after = clock.now().date()

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["cache-control"] == "no-store"
    names = {f"minimal-user-data-{day.isoformat()}.json" for day in (before, after)}
    assert answer.headers["content-disposition"] in {f'attachment; filename="{n}"' for n in names}
    data = answer.json()
    row = await db.fetch_one(
        "select aut_name, aut_key, aut_timestamp from minimaluser.tbl_auth"
        " where aut_email = :email",
        {"email": email},
    )
    assert row is not None

    account = data["account"]
    assert account["email"] == email and account["nickname"] == row["aut_name"]
    assert stamp(account["created"]) == row["aut_timestamp"]
    assert account["confirmed"] is True
    assert account["language"] == "en"
    assert stamp(account["created"]) <= stamp(account["confirmed_at"])
    assert account["pending_email_change"] == moved_to

    sessions = sorted(data["sessions"], key=lambda s: s["ip"])
    assert [(s["ip"], s["remember"], s["this_browser"]) for s in sessions] == [
        ("10.60.0.1", True, True),
        ("10.60.0.2", False, False),
    ]
    assert all(s["user_agent"].startswith("python-httpx/") for s in sessions)
    assert all(stamp(s["created"]) <= stamp(s["last_seen"]) for s in sessions)

    events = {e["event"] for e in data["security_log"]}
    assert {
        "signup",
        "email_confirmed",
        "login",
        "mfa_enabled",
        "passkey_added",
        "email_change_requested",
        "reset_requested",
        "login_code_requested",
    } <= events
    login = next(e for e in data["security_log"] if e["event"] == "login")
    assert login["detail"] == "key" and login["description"] == "Logged in with the access key"
    assert login["ip"] in {"10.60.0.1", "10.60.0.2"} and stamp(login["at"])

    factor = data["second_factor"]
    assert factor["authenticator_app"] is True and factor["recovery_codes_left"] == 10
    assert stamp(factor["authenticator_app_since"]) >= stamp(account["confirmed_at"])

    assert [p["name"] for p in data["passkeys"]] == ["Work laptop"]
    assert set(data["passkeys"][0]) == {"name", "created", "last_used"}
    assert data["passkeys"][0]["last_used"] is None

    assert data["cookie_choice"] == {"code": 3, "meaning": "essential and analysis cookies"}

    mails = data["emails"]
    assert all(set(m) == {"event", "to", "written", "status", "sent", "language"} for m in mails)
    assert all(m["language"] == "en" for m in mails)
    assert all(m["status"] in {"sent", "pending"} for m in mails)
    sent = {(m["event"], m["to"]) for m in mails}
    assert {
        ("signup", email),
        ("mfa_enabled", email),
        ("passkey_added", email),
        ("email_change", moved_to),
        ("email_change_requested", email),
        ("forgot_key", email),
        ("login_code", email),
    } <= sent

    secrets = {
        "access key": key,
        "TOTP secret": secret,
        "key hash": row["aut_key"],
        "one-time code": one_time.group(1),
        "reset link token": reset_link.group(1).rsplit("/", 1)[-1],
        "login code": login_code,
        "login code, typed plain": login_code.replace("-", ""),
        "session cookie": cookie,
        "JWT": jwt_of(app, cookie),
        "CSRF token": token,
        "passkey id": base64.urlsafe_b64encode(soft_key.credential_id).decode().rstrip("="),
    }
    for n, code in enumerate(codes):
        secrets[f"recovery code {n}"] = code
        secrets[f"recovery code {n}, typed plain"] = code.replace("-", "")
    for n, letter in enumerate(letters):
        for found in LINK_TOKEN.findall(letter):
            secrets[f"link token of email {n}"] = found
        for found in KEY_LINE.findall(letter):
            secrets["emailed key"] = found
    assert len([name for name in secrets if name.startswith("link token")]) == 3
    text = TIMESTAMP.sub("", answer.text)
    for name, value in secrets.items():
        assert len(value) >= 6 and value not in text, f"the {name} is in the export"
    for word in ("hash", "secret", "token", "context"):
        assert f'"{word}' not in answer.text.lower()


async def test_the_download_needs_a_fresh_authentication(app: Any, clock: Clock) -> None:
    async with client_for(app, "10.60.1.1") as client:
        email, key = await sign_up(client, confirmed=True)
        await logout(client)
        assert (await log_in(client, email, key)).status_code == 303
        clock.offset += timedelta(minutes=11)
        stale = await download(client)
        assert stale.status_code == 303
        assert stale.headers["location"] == "/auth/reauthenticate?next=/auth/userprofile&again=1"
        back = await post_form(
            client,
            "/auth/reauthenticate",
            {"accesskey": key, "next": PROFILE, "again": "1"},
        )
        assert back.status_code == 303 and back.headers["location"] == PROFILE
        fresh = await download(client)
        assert fresh.status_code == 200 and fresh.json()["account"]["email"] == email


async def test_a_guest_is_sent_to_log_in_and_an_unconfirmed_member_to_confirm(app: Any) -> None:
    async with client_for(app, "10.60.2.1") as guest:
        answer = await post_form(guest, EXPORT, {}, page="/")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/auth/login?next=")
    async with client_for(app, "10.60.2.2") as newcomer:
        await sign_up(newcomer)
        page = (await newcomer.get(PROFILE)).text
        assert "Your data" in page and 'action="/auth/userprofile/export"' not in page
        refused = await download(newcomer)
        assert refused.status_code == 403 and "application/json" not in refused.headers.get(
            "content-type", ""
        )


async def test_the_form_is_a_plain_post_and_needs_its_csrf_token(app: Any) -> None:
    async with client_for(app, "10.60.3.1") as client:
        await sign_up(client, confirmed=True)
        page = (await client.get(PROFILE)).text
        form = re.search(r'<form id="export-form"[^>]*>', page)
        assert form and 'method="post"' in form.group(0) and "hx-post" not in form.group(0)
        assert "Download my data" in page
        refused = await client.post(EXPORT, data={})
        assert refused.status_code == 403
        assert "application/json" not in refused.headers.get("content-type", "")


async def test_the_privacy_notice_says_what_is_kept_and_how_to_export_or_delete(
    app: Any,
) -> None:
    async with client_for(app, "10.60.4.1") as client:
        notice = (await client.get("/privacy-notice")).text
    for words in (
        "12 hours",
        "30 days",
        "1 year",
        "7 days once delivered",
        "24 hours",
        "Download my data",
        "Delete my account",
        "audit log",
    ):
        assert words in notice, words
