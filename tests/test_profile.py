"""The profile: nickname, key and email changes, sessions, and deleting the account."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from sql.pool import PooledDatabase
from tests.accounts_helpers import CONFIRM_LINK, log_in, new_email, sign_up
from tests.forms import post_form
from tests.servers import Mailbox, text_of

PROFILE = "/auth/userprofile"


@asynccontextmanager
async def browser(app: Any, ip: str = "127.0.0.1") -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(ip, 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def unique_nickname() -> str:
    return f"cat.{uuid.uuid4().hex[:10]}"


async def test_user_changes_nickname_without_javascript(client: httpx.AsyncClient) -> None:
    await sign_up(client, confirmed=True)
    nickname = unique_nickname()
    answer = await post_form(
        client, "/auth/userprofile/nickname", {"username": nickname}, page=PROFILE
    )
    assert answer.status_code == 303 and answer.headers["location"] == PROFILE
    page = await client.get(PROFILE)
    assert f"Your nickname is now {nickname}." in page.text
    assert f'<span class="nickname">{nickname}</span>' in page.text


async def test_htmx_nickname_change_swaps_its_form_and_the_navbar(
    client: httpx.AsyncClient,
) -> None:
    await sign_up(client, confirmed=True)
    nickname = unique_nickname()
    answer = await post_form(
        client, "/auth/userprofile/nickname", {"username": nickname}, htmx=True, page=PROFILE
    )
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<form id="nickname-form"')
    assert '<header id="navbar" class="sticky-top" hx-swap-oob="true">' in answer.text
    assert '<section id="identity"' in answer.text and nickname in answer.text


async def test_bad_nicknames_are_refused_inline(client: httpx.AsyncClient) -> None:
    await sign_up(client, confirmed=True)
    for bad in ("abc", "has space", "ünïcode", "x" * 100, "<b>bold</b>"):
        answer = await post_form(
            client, "/auth/userprofile/nickname", {"username": bad}, htmx=True, page=PROFILE
        )
        assert answer.status_code == 422
        assert 'aria-invalid="true"' in answer.text and "<b>bold" not in answer.text


async def test_a_nickname_belongs_to_one_account_whatever_its_case(app: Any) -> None:
    nickname = unique_nickname()
    async with browser(app) as first, browser(app) as second:
        await sign_up(first, confirmed=True)
        await sign_up(second, confirmed=True)
        assert (
            await post_form(
                first, "/auth/userprofile/nickname", {"username": nickname}, page=PROFILE
            )
        ).status_code == 303
        taken = await post_form(
            second, "/auth/userprofile/nickname", {"username": nickname.upper()}, page=PROFILE
        )
        assert taken.status_code == 422 and "That nickname is taken" in taken.text


async def test_simultaneous_claims_of_one_nickname_have_one_winner(app: Any) -> None:
    nickname = unique_nickname()
    async with browser(app) as first, browser(app) as second:
        await sign_up(first, confirmed=True)
        await sign_up(second, confirmed=True)
        answers = await asyncio.gather(
            *(
                post_form(c, "/auth/userprofile/nickname", {"username": nickname}, page=PROFILE)
                for c in (first, second)
            )
        )
    assert sorted(a.status_code for a in answers) == [303, 422]


async def test_original_style_post_to_the_profile_page_changes_the_nickname(
    client: httpx.AsyncClient,
) -> None:
    await sign_up(client, confirmed=True)
    nickname = unique_nickname()
    answer = await post_form(client, PROFILE, {"username": nickname})
    assert answer.status_code == 303
    assert nickname in (await client.get(PROFILE)).text


async def test_key_change_rules_are_explained_inline(client: httpx.AsyncClient) -> None:
    _, key = await sign_up(client)
    fine = "a fine new key"
    cases = [
        (
            {"accesskey": "wrong", "newaccesskey": fine, "confirmaccesskey": fine},
            "not your current",
        ),
        (
            {"accesskey": key, "newaccesskey": "password1", "confirmaccesskey": "password1"},
            "common",
        ),
        ({"accesskey": key, "newaccesskey": key, "confirmaccesskey": key}, "must differ"),
        ({"accesskey": key, "newaccesskey": fine, "confirmaccesskey": "another"}, "not the same"),
        ({"accesskey": key, "newaccesskey": "short", "confirmaccesskey": "short"}, "at least 8"),
    ]
    for values, message in cases:
        answer = await post_form(client, "/auth/userprofile/key", values, htmx=True, page=PROFILE)
        assert answer.status_code == 422, values
        assert message in answer.text
        assert 'aria-invalid="true"' in answer.text
    # Only wrong keys count towards the limit: four more make five, and then it holds.
    for _ in range(4):
        wrong = await post_form(
            client, "/auth/userprofile/key", cases[0][0], htmx=True, page=PROFILE
        )
        assert wrong.status_code == 422
    sixth = await post_form(client, "/auth/userprofile/key", cases[1][0], htmx=True, page=PROFILE)
    assert sixth.status_code == 429 and int(sixth.headers["retry-after"]) > 0


async def test_key_change_ends_other_sessions_keeps_this_one_and_sends_a_notice(
    app: Any, mailbox: Mailbox
) -> None:
    async with browser(app, "10.1.0.1") as laptop, browser(app, "10.1.0.2") as phone:
        email, key = await sign_up(laptop)
        await log_in(phone, email, key)
        assert "Log out" in (await phone.get("/")).text
        new_key = "purple otter rides a bicycle"
        answer = await post_form(
            laptop,
            "/auth/userprofile/key",
            {"accesskey": key, "newaccesskey": new_key, "confirmaccesskey": new_key},
            page=PROFILE,
        )
        assert answer.status_code == 303
        assert "1 other session logged out" in (await laptop.get(PROFILE)).text
        assert "Log out" not in (await phone.get("/")).text
        phone.cookies.clear()
        assert (await log_in(phone, email, key)).status_code == 422
        assert (await log_in(phone, email, new_key)).status_code == 303
    notice = await mailbox.wait_for(email, "access key was changed")
    assert "/auth/forgotkey" in text_of(notice)


async def test_email_change_waits_for_the_new_address_to_confirm(
    app: Any, mailbox: Mailbox, db: PooledDatabase
) -> None:
    async with browser(app) as c:
        old, key = await sign_up(c)
        new = new_email()
        asked = await post_form(
            c, "/auth/userprofile/email", {"email": new, "accesskey": key}, htmx=True, page=PROFILE
        )
        assert asked.status_code == 200 and f"We sent a link to {new}" in asked.text
        assert "Waiting for confirmation" in asked.text
        notice = await mailbox.wait_for(old, "change of your email address was requested")
        assert new in text_of(notice)
        c.cookies.clear()
        assert (await log_in(c, old, key)).status_code == 303
        link = CONFIRM_LINK.search(text_of(await mailbox.wait_for(new, "Confirm your new email")))
        assert link
        followed = await c.get(link.group(1))
        assert followed.status_code == 303 and followed.headers["location"] == PROFILE
        assert new in (await c.get(PROFILE)).text
        assert "is confirmed" in (await c.get(link.group(1))).text
        changed = await mailbox.wait_for(old, "email address was changed")
        assert new in text_of(changed)
        c.cookies.clear()
        assert (await log_in(c, old, key)).status_code == 422
        assert (await log_in(c, new, key)).status_code == 303


async def test_email_change_needs_the_key_and_a_free_address(client: httpx.AsyncClient) -> None:
    taken, _ = await sign_up(client)
    client.cookies.clear()
    _, key = await sign_up(client)
    wrong = await post_form(
        client, "/auth/userprofile/email", {"email": new_email(), "accesskey": "nope"}, page=PROFILE
    )
    assert wrong.status_code == 422 and "not your current access key" in wrong.text
    used = await post_form(
        client, "/auth/userprofile/email", {"email": taken.upper(), "accesskey": key}, page=PROFILE
    )
    assert used.status_code == 422 and "belongs to another account" in used.text
    bad = await post_form(
        client, "/auth/userprofile/email", {"email": "nope", "accesskey": key}, page=PROFILE
    )
    assert bad.status_code == 422 and "valid email address" in bad.text


async def test_a_cancelled_change_leaves_a_dead_link(app: Any, mailbox: Mailbox) -> None:
    async with browser(app) as c:
        old, key = await sign_up(c)
        new = new_email()
        await post_form(
            c, "/auth/userprofile/email", {"email": new, "accesskey": key}, page=PROFILE
        )
        cancelled = await post_form(
            c, "/auth/userprofile/email/cancel", {}, htmx=True, page=PROFILE
        )
        assert "cancelled" in cancelled.text and "Waiting for confirmation" not in cancelled.text
        link = CONFIRM_LINK.search(text_of(await mailbox.wait_for(new, "Confirm your new email")))
        assert link
        assert (await c.get(link.group(1))).status_code == 400
        assert old in (await c.get(PROFILE)).text


async def test_an_address_taken_meanwhile_is_reported_and_nothing_changes(
    app: Any, mailbox: Mailbox
) -> None:
    async with browser(app) as c, browser(app) as other:
        old, key = await sign_up(c)
        new = new_email()
        await post_form(
            c, "/auth/userprofile/email", {"email": new, "accesskey": key}, page=PROFILE
        )
        await sign_up(other, new)
        link = CONFIRM_LINK.search(text_of(await mailbox.wait_for(new, "Confirm your new email")))
        assert link
        answer = await c.get(link.group(1))
        assert answer.status_code == 409 and "already in use" in answer.text
        assert old in (await c.get(PROFILE)).text


async def test_profile_lists_sessions_and_logs_out_the_others(app: Any) -> None:
    phone_agent = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AppleWebKit Safari/604.1"
    async with browser(app, "10.2.0.1") as laptop, browser(app, "10.2.0.2") as phone:
        email, key = await sign_up(laptop)
        phone.headers["User-Agent"] = phone_agent
        await log_in(phone, email, key)
        page = await laptop.get(PROFILE)
        assert (
            "Safari on iPhone" in page.text and "10.2.0.2" in page.text and "This one" in page.text
        )
        ended = await post_form(laptop, "/auth/userprofile/sessions", {}, htmx=True, page=PROFILE)
        assert "1 other session logged out" in ended.text
        assert "Log out" not in (await phone.get("/")).text
        assert "Log out" in (await laptop.get("/")).text


async def test_deleting_the_account_removes_rows_tile_and_session_and_says_goodbye(
    client: httpx.AsyncClient, mailbox: Mailbox, db: PooledDatabase
) -> None:
    email, key = await sign_up(client)
    tile = re.search(r'src="(/tiles/[^"]+)"', (await client.get(PROFILE)).text)
    assert tile and (await client.get(tile.group(1))).status_code == 200
    inline = await client.get("/auth/deleteaccount")
    assert 'action="/auth/deleteaccount"' in inline.text
    refused = await post_form(client, "/auth/deleteaccount", {"accesskey": "wrong"}, page=PROFILE)
    assert refused.status_code == 422
    answer = await post_form(client, "/auth/deleteaccount", {"accesskey": key}, page=PROFILE)
    assert answer.status_code == 303 and answer.headers["location"] == "/auth/goodbye"
    assert "Your account is deleted" in (await client.get("/auth/goodbye")).text
    assert "Sign up" in (await client.get("/")).text
    assert (await client.get(tile.group(1))).status_code == 404
    remaining = await db.fetch_val(
        "select count(*) from minimaluser.tbl_auth where lower(aut_email) = lower(:email)",
        {"email": email},
    )
    assert remaining == 0
    goodbye = await mailbox.wait_for(email, "Goodbye")
    assert "Your account is deleted" in text_of(goodbye)


async def test_htmx_delete_redirects_to_goodbye(client: httpx.AsyncClient) -> None:
    _, key = await sign_up(client)
    answer = await post_form(
        client, "/auth/deleteaccount", {"accesskey": key}, htmx=True, page=PROFILE
    )
    assert answer.headers["hx-redirect"] == "/auth/goodbye"


async def test_profile_forms_need_a_login(client: httpx.AsyncClient) -> None:
    for path in ("/auth/userprofile/nickname", "/auth/userprofile/key", "/auth/deleteaccount"):
        answer = await post_form(client, path, {"username": "whatever"}, page="/")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/auth/login")


async def test_profile_shows_the_security_log(app: Any) -> None:
    async with browser(app, "10.3.0.1") as c:
        email, key = await sign_up(c)
        c.cookies.clear()
        assert (await log_in(c, email, "wrong")).status_code == 422
        assert (await log_in(c, email, key)).status_code == 303
        page = await c.get(PROFILE)
    events = page.text.split('id="events"', 1)[1]
    for label in ("Account created", "Failed login", "Logged in"):
        assert label in events
    assert "10.3.0.1" in events and key not in events


async def test_a_throttled_change_without_javascript_gets_the_page_with_a_429(
    client: httpx.AsyncClient,
) -> None:
    await sign_up(client)
    data = {"email": new_email(), "accesskey": "wrong"}
    answers = [
        await post_form(client, "/auth/userprofile/email", data, page=PROFILE) for _ in range(6)
    ]
    assert [a.status_code for a in answers] == [422] * 5 + [429]
    assert "Too many attempts" in answers[-1].text and "Where you are logged in" in answers[-1].text
    htmx = await post_form(client, "/auth/userprofile/email", data, htmx=True, page=PROFILE)
    assert htmx.status_code == 429 and "<html" not in htmx.text
