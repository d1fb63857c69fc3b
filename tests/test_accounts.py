"""Accounts: sign-up with a generated identity, confirmation email, login, the three states."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx

from sql.pool import PooledDatabase
from tests.accounts_helpers import (
    NICKNAME,
    confirmation_path,
    confirmed_user,
    log_in,
    new_email,
    sign_up,
)
from tests.forms import post_form
from tests.servers import KEY_LINE, Mailbox, text_of


async def test_guest_signs_up_sees_nickname_and_tile_and_the_key_goes_only_to_the_mailbox(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    email = new_email()
    page = await post_form(client, "/auth/signup", {"email": email.upper()})
    assert page.status_code == 200
    nickname = re.search(r'Welcome, <span class="nickname">([^<]+)</span>', page.text)
    assert nickname and NICKNAME.match(nickname.group(1))
    assert re.search(r'src="/tiles/tile-[0-9a-f]+\.svg"', page.text)
    assert "We sent your access key to" in page.text
    assert "mu_session" in client.cookies

    message = await mailbox.wait_for(email.upper().split("@")[0] + "@example.com", "Welcome")
    text = text_of(message)
    key = KEY_LINE.search(text)
    assert key and len(key.group(1)) >= 10 and key.group(1).isalnum()
    assert key.group(1) not in page.text
    home = await client.get("/")
    assert nickname.group(1) in home.text and "Log out" in home.text
    assert key.group(1) not in home.text
    assert "http://testserver/emailconfirmationhtml/" in text
    assert message.get_body(("html",)) is not None


async def test_htmx_sign_up_swaps_the_form_and_updates_the_navbar_out_of_band(
    client: httpx.AsyncClient,
) -> None:
    answer = await post_form(client, "/auth/signup", {"email": new_email()}, htmx=True)
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<div id="signup-form"')
    assert '<header id="navbar" class="sticky-top" hx-swap-oob="true">' in answer.text
    assert "<html" not in answer.text


async def test_sign_up_refuses_a_bad_address_with_a_message_and_stores_nothing(
    client: httpx.AsyncClient, db: PooledDatabase
) -> None:
    for bad in ["", "not-an-email", "a@b", "x" * 250 + "@example.com", "<script>@x.com"]:
        answer = await post_form(client, "/auth/signup", {"email": bad})
        assert answer.status_code == 422
        assert 'aria-invalid="true"' in answer.text
        assert "<script>@" not in answer.text
    count = await db.fetch_val(
        "select count(*) from minimaluser.tbl_auth where aut_email like '%script%'"
    )
    assert count == 0


async def test_an_address_can_sign_up_once_whatever_its_case(app: Any) -> None:
    email = new_email()
    transport = httpx.ASGITransport(app=app)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as first,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as second,
    ):
        await sign_up(first, email)
        answer = await post_form(second, "/auth/signup", {"email": email.upper()})
    assert answer.status_code == 422
    assert "already has an account" in answer.text


async def test_keys_are_stored_as_argon2id_hashes_and_outbox_secrets_are_wiped(
    client: httpx.AsyncClient, db: PooledDatabase, mailbox: Mailbox
) -> None:
    email, key = await sign_up(client)
    stored = await db.fetch_val(
        "select aut_key from minimaluser.tbl_auth where aut_email = :email", {"email": email}
    )
    assert stored.startswith("$argon2id$") and key not in stored
    await mailbox.wait_for(email, "Welcome")
    for _ in range(100):
        row = await db.fetch_one(
            "select obx_secret, obx_context::text as context, obx_sent_at"
            " from minimaluser.tbl_outbox where obx_recipient = :email",
            {"email": email},
        )
        assert row is not None
        if row["obx_sent_at"] is not None:
            break
        await asyncio.sleep(0.05)
    assert row is not None
    assert row["obx_secret"] is None and row["obx_sent_at"] is not None
    assert key not in row["context"]


async def test_confirmation_link_confirms_logs_in_and_is_idempotent(
    app: Any, client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    email, _ = await sign_up(client)
    path = await confirmation_path(mailbox, email)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        first = await other.get(path)
        assert first.status_code == 303 and first.headers["location"] == "/album/"
        album = await other.get("/album/")
        assert album.status_code == 200 and "Your email address is confirmed" in album.text
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as later:
        again = await later.get(path)
        assert again.status_code == 200
        assert "This address is confirmed" in again.text and "/auth/login" in again.text
        assert (await later.get("/album/")).status_code == 303


async def test_tampered_or_foreign_confirmation_tokens_change_nothing(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    email, _ = await sign_up(client)
    path = await confirmation_path(mailbox, email)
    for bad in (path[:-3] + "abc", "/emailconfirmationhtml/not-a-token"):
        answer = await client.get(bad)
        assert answer.status_code == 400 and "This link does not work" in answer.text
    assert (await client.get("/album/")).status_code == 403


async def test_unconfirmed_user_is_told_to_confirm_and_may_resend_once_in_a_while(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    email, _ = await sign_up(client)
    album = await client.get("/album/")
    assert album.status_code == 403 and "Confirm your email address first" in album.text
    sent = await post_form(client, "/auth/resend-confirmation", {}, htmx=True, page="/album/")
    assert sent.status_code == 200 and "We sent a new link" in sent.text
    message = await mailbox.wait_for(email, "Confirm your email")
    assert "/emailconfirmationhtml/" in text_of(message)
    again = await post_form(client, "/auth/resend-confirmation", {}, page="/album/")
    assert again.status_code == 429 and int(again.headers["retry-after"]) > 0


async def test_guest_is_sent_to_login_and_back_after_it(
    client: httpx.AsyncClient, mailbox: Mailbox, app: Any
) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as owner:
        email, key = await confirmed_user(owner, mailbox)
    answer = await client.get("/album/")
    assert answer.status_code == 303 and answer.headers["location"] == "/auth/login?next=/album/"
    htmx = await client.get("/album/", headers={"HX-Request": "true", "HX-Request-Type": "partial"})
    assert htmx.headers["hx-redirect"] == "/auth/login?next=/album/"
    logged = await post_form(
        client,
        "/auth/login",
        {"email": email, "key": key, "next": "/album/"},
        page="/auth/login?next=/album/",
    )
    assert logged.status_code == 303 and logged.headers["location"] == "/album/"
    assert (await client.get("/album/")).status_code == 200


async def test_login_failures_all_get_one_generic_message(
    client: httpx.AsyncClient,
) -> None:
    email, key = await sign_up(client)
    await client.post("/auth/logout", data={"csrf_token": ""})
    client.cookies.clear()
    wrong_key = await log_in(client, email, key + "x")
    unknown = await log_in(client, new_email(), key)
    assert wrong_key.status_code == unknown.status_code == 422
    message = "That email and access key do not match an active account."
    assert message in wrong_key.text and message in unknown.text


async def test_login_ignores_a_next_that_leaves_the_site(client: httpx.AsyncClient) -> None:
    email, key = await sign_up(client)
    client.cookies.clear()
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        answer = await log_in(client, email, key, next=target)
        assert answer.headers["location"] == "/"
        client.cookies.clear()


async def test_remember_me_keeps_the_cookie_for_thirty_days(client: httpx.AsyncClient) -> None:
    email, key = await sign_up(client)
    client.cookies.clear()
    plain = await log_in(client, email, key)
    assert "Max-Age" not in session_cookie(plain)
    client.cookies.clear()
    remembered = await log_in(client, email, key, remember="on")
    assert "Max-Age=2592000" in session_cookie(remembered)


def session_cookie(answer: httpx.Response) -> str:
    """The session's Set-Cookie line, apart from the others (the language's)."""
    return next(line for line in answer.headers.get_list("set-cookie") if "mu_session=" in line)


async def test_logout_is_a_post_that_ends_the_session_row(client: httpx.AsyncClient) -> None:
    await sign_up(client)
    old_cookie = client.cookies["mu_session"]
    assert (await client.get("/auth/logout")).status_code == 405
    answer = await post_form(client, "/auth/logout", {}, page="/")
    assert answer.status_code == 303
    assert "Sign up" in (await client.get("/")).text
    client.cookies.set("mu_session", old_cookie)
    assert "Log out" not in (await client.get("/")).text


async def test_a_disabled_account_loses_its_sessions_and_cannot_log_in(
    client: httpx.AsyncClient, db: PooledDatabase
) -> None:
    email, key = await sign_up(client)
    await db.execute(
        "update minimaluser.tbl_auth set aut_isvalid = false where aut_email = :email",
        {"email": email},
    )
    assert "Log out" not in (await client.get("/")).text
    assert (await log_in(client, email, key)).status_code == 422


async def test_image_details_need_a_login_and_hidden_images_are_404(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/album/imagedetails/1")).status_code == 303
    await sign_up(client)
    shown = await client.get("/album/imagedetails/1")
    assert shown.status_code == 200 and "Windowsill watcher" in shown.text
    for hidden in ("14", "999999", "abc", "99999999999999999999"):
        assert (await client.get(f"/album/imagedetails/{hidden}")).status_code == 404


async def test_the_album_lists_on_air_images_in_order_for_confirmed_users(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    await confirmed_user(client, mailbox)
    album = await client.get("/album/")
    ids = [int(i) for i in re.findall(r'href="/album/imagedetails/(\d+)"', album.text)]
    assert len(ids) == 13 and 14 not in ids


async def test_the_tile_is_served_as_svg_that_cannot_run_scripts(client: httpx.AsyncClient) -> None:
    page = await post_form(client, "/auth/signup", {"email": new_email()})
    tile = re.search(r'src="(/tiles/tile-[0-9a-f]+\.svg)"', page.text)
    assert tile
    answer = await client.get(tile.group(1))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in answer.headers["content-security-policy"]
    assert answer.text.lstrip().startswith("<svg") and "<script" not in answer.text


async def test_a_confirmed_user_asking_for_a_link_is_told_it_is_done(
    client: httpx.AsyncClient, mailbox: Mailbox
) -> None:
    email, _ = await confirmed_user(client, mailbox)
    answer = await post_form(
        client, "/auth/resend-confirmation", {}, htmx=True, page="/auth/userprofile"
    )
    assert answer.status_code == 200 and "already confirmed" in answer.text
    assert len([m for m in mailbox.to(email) if "Confirm your email" in m["Subject"]]) == 0
