"""The forgotten key: the same answer for every address, a one-time code by email, a new key."""

from __future__ import annotations

import asyncio
import itertools
import re
from typing import Any
from uuid import uuid4

import httpx

from accounts import tokens
from sql.pool import PooledDatabase
from tests.accounts_helpers import NEW_KEY, emailed_code, log_in, new_email, reset, sign_up
from tests.forms import post_form
from tests.servers import Mailbox, text_of

RESET_PATH = re.compile(r"^/auth/resetkey/([\w-]+\.[\w-]+\.[\w-]+)$")
CSRF_VALUE = re.compile(r'(csrf_token" value="|"X-CSRF-Token": ")[^"]+"')
SENT = "If that address has an account, we emailed it a 6-digit code. It works for 10 minutes."
CODE_FAILED = "That code is wrong or has expired. Ask for a new one."
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial"}
ADDRESSES = itertools.count(1)


def guest(app: Any) -> httpx.AsyncClient:
    """A client of its own IP address, so the per-IP throttles of other tests never reach it."""
    n = next(ADDRESSES)
    transport = httpx.ASGITransport(app=app, client=(f"10.9.{n // 250}.{n % 250 + 1}", 1234))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def ask_code(client: httpx.AsyncClient, email: str, htmx: bool = False) -> httpx.Response:
    return await post_form(client, "/auth/forgotkey", {"email": email}, htmx=htmx)


async def account_with_code(app: Any, mailbox: Mailbox) -> tuple[str, str, str, str]:
    """A fresh account and a requested code: its email, old key, code and reset page."""
    async with guest(app) as owner:
        email, key = await sign_up(owner)
    async with guest(app) as asker:
        answer = await ask_code(asker, email)
    assert answer.status_code == 303
    code, path = await emailed_code(mailbox, email)
    assert path == answer.headers["location"]
    return email, key, code, path


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def test_known_and_unknown_addresses_get_the_same_answer_and_the_same_work(
    app: Any, db: PooledDatabase, mailbox: Mailbox
) -> None:
    async with guest(app) as owner:
        email, _ = await sign_up(owner)
    unknown_email = new_email()
    pages, rows = [], []
    for address in (email, unknown_email):
        async with guest(app) as asker:
            answer = await ask_code(asker, address)
            assert answer.status_code == 303
            token = RESET_PATH.match(answer.headers["location"])
            assert token, answer.headers["location"]
            page = await asker.get(answer.headers["location"])
        assert page.status_code == 200 and SENT in page.text
        pages.append(CSRF_VALUE.sub(r"\1CSRF", page.text.replace(token.group(1), "TOKEN")))
        claims = tokens.decode(app.state.services.settings.secret_key, "reset-key", token.group(1))
        assert claims is not None and set(claims) == {"rid", "aud", "iat", "exp"}
        rows.append(
            await db.fetch_one(
                "select aut_id, rst_code_hash from minimaluser.tbl_key_reset where rst_id = :id",
                {"id": claims["rid"]},
            )
        )
    assert pages[0] == pages[1]
    assert all(row is not None and row["rst_code_hash"].startswith("$argon2id$") for row in rows)
    assert rows[0]["aut_id"] is not None and rows[1]["aut_id"] is None  # type: ignore[index]
    code, _ = await emailed_code(mailbox, email)
    assert code not in rows[0]["rst_code_hash"]  # type: ignore[index]
    assert mailbox.to(unknown_email) == []


async def test_user_can_reset_key_with_emailed_code_and_every_session_ends(
    app: Any, db: PooledDatabase, mailbox: Mailbox
) -> None:
    async with guest(app) as owner:
        email, old_key = await sign_up(owner)
        assert "Log out" in (await owner.get("/")).text
        async with guest(app) as asker:
            answer = await ask_code(asker, email)
            code, path = await emailed_code(mailbox, email)
            assert path == answer.headers["location"]
            done = await reset(asker, path, code)
            assert done.status_code == 303 and done.headers["location"] == "/auth/login"
            login_page = await asker.get("/auth/login")
            assert f"The access key of {email} is changed" in login_page.text
        assert "Log out" not in (await owner.get("/")).text
    async with guest(app) as later:
        assert (await log_in(later, email, old_key)).status_code == 422
        assert (await log_in(later, email, NEW_KEY)).status_code == 303
    notice = await mailbox.wait_for(email, "access key was reset")
    assert "every session of the account was logged out" in text_of(notice)
    secret = await db.fetch_val(
        "select obx_secret from minimaluser.tbl_outbox where obx_recipient = :email"
        " and obx_event = 'forgot_key'",
        {"email": email},
    )
    assert secret is None


async def test_a_code_works_only_once(app: Any, mailbox: Mailbox) -> None:
    _, _, code, path = await account_with_code(app, mailbox)
    async with guest(app) as asker:
        assert (await reset(asker, path, code)).status_code == 303
        again = await reset(asker, path, code, "another fine key 42")
        assert again.status_code == 422 and CODE_FAILED in again.text
        page = await asker.get(path)
        assert page.status_code == 400 and 'href="/auth/forgotkey"' in page.text


async def test_five_wrong_codes_spend_the_code(app: Any, mailbox: Mailbox) -> None:
    email, key, code, path = await account_with_code(app, mailbox)
    async with guest(app) as asker:
        for _ in range(5):
            answer = await reset(asker, path, wrong(code))
            assert answer.status_code == 422 and CODE_FAILED in answer.text
        late = await reset(asker, path, code)
        assert late.status_code == 422 and CODE_FAILED in late.text
        assert (await asker.get(path)).status_code == 400
        assert (await log_in(asker, email, key)).status_code == 303


async def test_a_new_request_replaces_the_old_code(
    app: Any, db: PooledDatabase, mailbox: Mailbox
) -> None:
    email, _, old_code, old_path = await account_with_code(app, mailbox)
    await db.execute(
        "delete from minimaluser.tbl_limit where lim_key = :key",
        {"key": f"forgot:address-minute:{email}"},
    )
    async with guest(app) as asker:
        assert (await ask_code(asker, email)).status_code == 303
        new_code, new_path = await emailed_code(mailbox, email, already=1)
        assert new_path != old_path
        assert (await asker.get(old_path)).status_code == 400
        stale = await reset(asker, old_path, old_code)
        assert stale.status_code == 422 and CODE_FAILED in stale.text
        assert (await reset(asker, new_path, new_code)).status_code == 303


async def test_an_expired_or_forged_link_shows_a_clear_page(
    app: Any, db: PooledDatabase, mailbox: Mailbox
) -> None:
    secret = app.state.services.settings.secret_key
    expired = tokens.encode(secret, "reset-key", {"rid": str(uuid4())}, -10)
    foreign = tokens.encode(secret, "confirm-email", {"rid": str(uuid4())}, 600)
    email, _, code, path = await account_with_code(app, mailbox)
    await db.execute(
        "update minimaluser.tbl_key_reset set rst_expires = now() - interval '1 second'"
        " where aut_id = (select aut_id from minimaluser.tbl_auth where aut_email = :email)",
        {"email": email},
    )
    async with guest(app) as asker:
        for link in (f"/auth/resetkey/{expired}", f"/auth/resetkey/{foreign}", "/auth/resetkey/x"):
            page = await asker.get(link)
            assert page.status_code == 400 and "This link does not work" in page.text
            assert 'href="/auth/forgotkey"' in page.text
        assert (await asker.get(path)).status_code == 400
        late = await reset(asker, path, code)
        assert late.status_code == 422 and CODE_FAILED in late.text


async def test_weak_or_mismatched_new_keys_are_refused_inline_without_spending_the_code(
    app: Any, mailbox: Mailbox
) -> None:
    _, old_key, code, path = await account_with_code(app, mailbox)
    refusals = [
        ({"key": "password1"}, "newaccesskey", "among the most common passwords"),
        ({"key": "short"}, "newaccesskey", "at least 8 characters"),
        ({"key": "x" * 129}, "newaccesskey", "at most 128 characters"),
        ({"key": NEW_KEY, "confirm": NEW_KEY + "!"}, "confirmaccesskey", "do not match"),
        ({"key": old_key}, "newaccesskey", "must differ from the current one"),
        ({"key": NEW_KEY, "otp": "12a45"}, "otp", "Enter the 6 digits"),
    ]
    async with guest(app) as asker:
        for values, field, words in refusals:
            otp = values.pop("otp", code)
            answer = await reset(asker, path, otp, values.pop("key"), **values)
            assert answer.status_code == 422 and words in answer.text
            field_input = re.search(rf'<input [^>]*name="{field}"[^>]*>', answer.text)
            assert field_input and 'aria-invalid="true"' in field_input.group(0)
            assert re.search(r'aria-describedby="[^"]*reset-key-\w+-error"', field_input.group(0))
            assert 'role="alert"' in answer.text
            assert "password1" not in answer.text
        assert (await reset(asker, path, code)).status_code == 303


async def test_a_locked_out_account_recovers_through_the_flow(app: Any, mailbox: Mailbox) -> None:
    async with guest(app) as owner:
        email, key = await sign_up(owner)
    async with guest(app) as intruder:
        for _ in range(5):
            assert (await log_in(intruder, email, key + "x")).status_code == 422
        assert (await log_in(intruder, email, key)).status_code == 429
    async with guest(app) as asker:
        assert (await ask_code(asker, email)).status_code == 303
        code, path = await emailed_code(mailbox, email)
        assert (await reset(asker, path, code)).status_code == 303
        assert (await log_in(asker, email, NEW_KEY)).status_code == 303


async def test_requests_for_one_address_are_limited_alike_whether_it_is_known_or_not(
    app: Any,
) -> None:
    async with guest(app) as owner:
        email, _ = await sign_up(owner)
    for address in (email, new_email()):
        async with guest(app) as first, guest(app) as second:
            assert (await ask_code(first, address)).status_code == 303
            again = await ask_code(second, address.upper())
        assert again.status_code == 429
        assert 0 < int(again.headers["retry-after"]) <= 60
        assert "Too many attempts" in again.text


async def test_a_bad_address_is_refused_with_the_form(app: Any) -> None:
    async with guest(app) as asker:
        for bad in ("", "not-an-email", "<script>@x.com"):
            answer = await ask_code(asker, bad)
            assert answer.status_code == 422 and 'aria-invalid="true"' in answer.text
            assert "<script>@" not in answer.text


async def test_htmx_requests_get_hx_redirects_and_fragments(app: Any, mailbox: Mailbox) -> None:
    async with guest(app) as owner:
        email, _ = await sign_up(owner)
    async with guest(app) as asker:
        bad = await ask_code(asker, "not-an-email", htmx=True)
        assert bad.status_code == 422 and bad.text.startswith('<form id="forgot-key-form"')
        assert "<html" not in bad.text
        asked = await ask_code(asker, email, htmx=True)
        assert asked.status_code == 204 and RESET_PATH.match(asked.headers["hx-redirect"])
        code, path = await emailed_code(mailbox, email)
        assert path == asked.headers["hx-redirect"]
        refused = await reset(asker, path, wrong(code), htmx=True)
        assert refused.status_code == 422 and refused.text.startswith('<form id="reset-key-form"')
        assert CODE_FAILED in refused.text and "<html" not in refused.text
        done = await reset(asker, path, code, htmx=True)
        assert done.status_code == 204 and done.headers["hx-redirect"] == "/auth/login"


async def test_two_simultaneous_resets_with_one_code_succeed_once(
    app: Any, mailbox: Mailbox
) -> None:
    email, _, code, path = await account_with_code(app, mailbox)
    async with guest(app) as first, guest(app) as second:
        answers = await asyncio.gather(
            reset(first, path, code, "first new key 1234"),
            reset(second, path, code, "second new key 5678"),
        )
        assert sorted(a.status_code for a in answers) == [303, 422]
        winner = "first new key 1234" if answers[0].status_code == 303 else "second new key 5678"
        loser = "second new key 5678" if winner.startswith("first") else "first new key 1234"
        assert (await log_in(first, email, loser)).status_code == 422
        assert (await log_in(second, email, winner)).status_code == 303
