"""What an attacker's review found, each shown closed: the squatter's story, atomic throttles
under bursts, the forgotten key's equal trace, no mail cannon, the bounded hash queue, link
tokens sealed in the outbox and a security log that tells the story."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import settings as settings_module
from accounts.recovery import address_digest
from sql.pool import PooledDatabase
from tests.accounts_helpers import (
    CONFIRM_LINK,
    client_for,
    emailed_code,
    log_in,
    new_email,
    reset,
    sign_up,
)
from tests.forms import csrf_token, post_form
from tests.servers import KEY_LINE, Mailbox, Postgres, app_env, signup_letter, text_of

PROFILE = "/auth/userprofile"


async def sessions_of(db: PooledDatabase, email: str) -> list[Any]:
    return list(
        await db.fetch_all(
            "select s.ses_id from minimaluser.tbl_session s join minimaluser.tbl_auth u"
            " using (aut_id) where lower(u.aut_email) = lower(:email)",
            {"email": email},
        )
    )


async def events_of(db: PooledDatabase, email: str) -> list[tuple[str, str | None]]:
    rows = await db.fetch_all(
        "select e.sev_event, e.sev_detail from minimaluser.tbl_security_event e"
        " join minimaluser.tbl_auth u using (aut_id) where lower(u.aut_email) = lower(:email)"
        " order by e.sev_id",
        {"email": email},
    )
    return [(r["sev_event"], r["sev_detail"]) for r in rows]


async def mails(db: PooledDatabase, recipient: str, event: str) -> int:
    count: int = await db.fetch_val(
        "select count(*) from minimaluser.tbl_outbox where obx_recipient = :r and obx_event = :e",
        {"r": recipient, "e": event},
    )
    return count


async def confirm_link(email: str) -> str:
    found = CONFIRM_LINK.search(await signup_letter(email))
    assert found
    return found.group(1)


# The squatter: whoever types someone else's address holds nothing once its owner confirms.


async def test_a_squatter_is_shown_no_key_cannot_write_to_the_mailbox_and_is_logged_out(
    app: Any, db: PooledDatabase
) -> None:
    victim = new_email()
    async with client_for(app, "10.12.0.1") as squatter, client_for(app, "10.12.0.2") as owner:
        welcome = await post_form(squatter, "/auth/signup", {"email": victim})
        assert welcome.status_code == 200
        assert "We sent your access key to <strong" in welcome.text
        letter = await signup_letter(victim)
        key = KEY_LINE.search(letter)
        assert key and key.group(1) not in welcome.text
        assert "Log out" in (await squatter.get("/")).text

        # No words of the squatter's choice go to the owner's mailbox.
        profile = await squatter.get(PROFILE)
        assert 'name="username"' not in profile.text
        renamed = await post_form(
            squatter, "/auth/userprofile/nickname", {"username": "buy-cheap-pills"}, page=PROFILE
        )
        assert renamed.status_code == 422 and "Confirm your email address first" in renamed.text
        assert (
            await db.fetch_val(
                "select aut_name from minimaluser.tbl_auth where aut_email = :e", {"e": victim}
            )
            != "buy-cheap-pills"
        )

        # The owner follows the link: the squatter's session ends, the owner's browser has one.
        followed = await owner.get(await confirm_link(victim))
        assert followed.status_code == 303 and followed.headers["location"] == "/album/"
        assert "Log out" not in (await squatter.get("/")).text
        assert (await squatter.get(PROFILE)).status_code == 303
        assert len(await sessions_of(db, victim)) == 1
        assert (await owner.get("/album/")).status_code == 200
        log = (await owner.get(PROFILE)).text
        assert "Email address confirmed" in log
        assert "Logged in with the confirmation link" in log
        assert "Other sessions logged out by the confirmation link" in log

        # The squatter cannot move the address away: the key was only ever in the email.
        assert (await log_in(squatter, victim, "a guessed key")).status_code == 422
        events = await events_of(db, victim)
        assert ("email_confirmed", None) in events
        assert ("login", "link") in events
        assert ("sessions_ended_by_confirmation", None) in events
        assert (await log_in(squatter, victim, key.group(1))).status_code == 303


async def test_a_browser_already_logged_in_keeps_its_one_session_when_it_confirms(
    app: Any, db: PooledDatabase
) -> None:
    async with client_for(app, "10.12.1.1") as browser, client_for(app, "10.12.1.2") as other:
        email, key = await sign_up(browser)
        assert (await log_in(other, email, key)).status_code == 303
        [before, _] = sorted(await sessions_of(db, email), key=str)
        assert len(await sessions_of(db, email)) == 2

        assert (await browser.get(await confirm_link(email))).status_code == 303

        rows = await sessions_of(db, email)
        assert len(rows) == 1
        assert "Log out" in (await browser.get("/")).text
        assert "Log out" not in (await other.get("/")).text
        assert rows[0]["ses_id"] in {before["ses_id"], _["ses_id"]}


async def test_when_a_scanner_follows_the_link_first_the_owner_is_offered_to_log_in(
    app: Any, db: PooledDatabase
) -> None:
    async with client_for(app, "10.12.2.1") as owner, client_for(app, "10.12.2.2") as scanner:
        email, key = await sign_up(owner)
        link = await confirm_link(email)
        assert (await scanner.get(link)).status_code == 303
        later = await owner.get(link)
        assert later.status_code == 200
        assert "Log in with the access key from the same email" in later.text
        assert (await log_in(owner, email, key)).status_code == 303
        assert len(await sessions_of(db, email)) == 2


async def test_an_email_change_confirmation_also_leaves_one_session(
    app: Any, db: PooledDatabase, mailbox: Mailbox
) -> None:
    async with client_for(app, "10.12.3.1") as laptop, client_for(app, "10.12.3.2") as phone:
        email, key = await sign_up(laptop, confirmed=True)
        assert (await log_in(phone, email, key)).status_code == 303
        new = new_email()
        asked = await post_form(
            laptop, "/auth/userprofile/email", {"email": new, "accesskey": key}, page=PROFILE
        )
        assert asked.status_code == 303
        letter = await mailbox.wait_for(new, "Confirm")
        link = CONFIRM_LINK.search(text_of(letter))
        assert link
        assert (await laptop.get(link.group(1))).status_code == 303
        assert len(await sessions_of(db, new)) == 1
        assert "Log out" not in (await phone.get("/")).text


# Throttles take their slot atomically: bursts are judged attempt by attempt.


async def burst(
    clients: list[httpx.AsyncClient], path: str, data: dict[str, str], page: str | None = None
) -> list[int]:
    tokens = [await csrf_token(c, page or path) for c in clients]
    answers = await asyncio.gather(
        *(
            c.post(path, data={**data, "csrf_token": t})
            for c, t in zip(clients, tokens, strict=True)
        )
    )
    return [a.status_code for a in answers]


async def test_a_burst_of_wrong_keys_from_one_address_is_judged_five_times_at_most(
    strict_app: Any,
) -> None:
    async with client_for(strict_app, "10.13.0.1") as owner:
        email, _ = await sign_up(owner)
    async with client_for(strict_app, "10.13.0.2") as thief:
        codes = await burst([thief] * 40, "/auth/login", {"email": email, "key": "wrong"})
    assert codes.count(422) == 5, codes
    assert codes.count(429) == 35


async def test_a_burst_of_wrong_keys_from_many_addresses_is_judged_five_times_at_most(
    strict_app: Any, mailbox: Mailbox
) -> None:
    async with client_for(strict_app, "10.13.1.1") as owner:
        email, key = await sign_up(owner)
    thieves = [client_for(strict_app, f"10.13.2.{i}") for i in range(40)]
    try:
        codes = await burst(thieves, "/auth/login", {"email": email, "key": "wrong"})
    finally:
        for thief in thieves:
            await thief.aclose()
    assert codes.count(422) == 5, codes
    async with client_for(strict_app, "10.13.1.1") as owner:
        locked = await log_in(owner, email, key)
        assert locked.status_code == 429 and "forgotten-key page" in locked.text
        # Proving the mailbox lifts the lock at once.
        assert (await post_form(owner, "/auth/forgotkey", {"email": email})).status_code == 303
        code, path = await emailed_code(mailbox, email)
        assert (await reset(owner, path, code, "the owner's own new key")).status_code == 303
        assert (await log_in(owner, email, "the owner's own new key")).status_code == 303
    db = strict_app.state.services.db
    events = [event for event, _ in await events_of(db, email)]
    assert events.count("login_failed") == 5
    assert events.count("account_locked") == 1
    assert "account_unlocked" in events and "sessions_ended_by_reset" in events


async def test_people_who_log_in_often_are_never_locked_out(strict_app: Any) -> None:
    async with client_for(strict_app, "10.13.3.1") as member:
        email, key = await sign_up(member)
        for _ in range(15):
            token = await csrf_token(member)
            assert (
                await member.post("/auth/logout", data={"csrf_token": token})
            ).status_code == 303
            assert (await log_in(member, email, key)).status_code == 303


async def test_a_burst_of_forgotten_key_requests_sends_one_email(strict_app: Any) -> None:
    db = strict_app.state.services.db
    async with client_for(strict_app, "10.13.4.1") as owner:
        email, _ = await sign_up(owner)
    askers = [client_for(strict_app, f"10.13.5.{i}") for i in range(20)]
    try:
        codes = await burst(askers, "/auth/forgotkey", {"email": email})
    finally:
        for asker in askers:
            await asker.aclose()
    assert codes.count(303) == 1 and codes.count(429) == 19, codes
    assert await mails(db, email, "forgot_key") == 1


async def test_a_burst_of_sign_ups_from_one_address_stops_at_its_limit(strict_app: Any) -> None:
    clients = [client_for(strict_app, "10.13.6.1") for _ in range(30)]
    try:
        tokens = [await csrf_token(c, "/auth/signup") for c in clients]
        answers = await asyncio.gather(
            *(
                c.post("/auth/signup", data={"email": new_email(), "csrf_token": t})
                for c, t in zip(clients, tokens, strict=True)
            )
        )
    finally:
        for c in clients:
            await c.aclose()
    codes = [a.status_code for a in answers]
    assert codes.count(200) == 20 and codes.count(429) == 10, codes


async def test_a_burst_of_resends_sends_one_link(strict_app: Any) -> None:
    db = strict_app.state.services.db
    async with client_for(strict_app, "10.13.7.1") as member:
        email, _ = await sign_up(member)
        codes = await burst([member] * 10, "/auth/resend-confirmation", {}, page=PROFILE)
    assert codes.count(429) == 9, codes
    assert await mails(db, email, "confirm") == 1


async def test_a_burst_of_email_changes_mails_each_address_a_bounded_number_of_times(
    strict_app: Any,
) -> None:
    db = strict_app.state.services.db
    target = new_email()
    async with client_for(strict_app, "10.13.8.1") as member:
        _, key = await sign_up(member, confirmed=True)
        changes = [
            post_form(
                member,
                "/auth/userprofile/email",
                {"email": new_email(), "accesskey": key},
                page=PROFILE,
            )
            for _ in range(8)
        ]
        codes = [a.status_code for a in await asyncio.gather(*changes)]
    assert codes.count(303) == 3 and codes.count(429) == 5, codes
    # Many accounts aiming at one address: it gets three letters an hour, no more.
    sent = []
    for i in range(5):
        async with client_for(strict_app, f"10.13.9.{i}") as member:
            _, key = await sign_up(member, confirmed=True)
            answer = await post_form(
                member, "/auth/userprofile/email", {"email": target, "accesskey": key}, page=PROFILE
            )
            sent.append(answer.status_code)
    assert sent == [303, 303, 303, 429, 429]
    assert await mails(db, target, "email_change") == 3


# The forgotten key leaves the same trace for known and unknown addresses.


@pytest.fixture
async def loose_app(postgres: Postgres, mailbox: Mailbox) -> AsyncIterator[Any]:
    """An app whose per-address forgotten-key limits let parallel requests through."""
    from app import create_app

    env = app_env(
        postgres.create_database(),
        SMTP_URL=mailbox.url,
        THROTTLE_FORGOT_ADDRESS_MINUTE="100/60",
        THROTTLE_FORGOT_ADDRESS_HOUR="100/3600",
    )
    application = create_app(settings_module.load(env))
    async with application.router.lifespan_context(application):
        yield application


async def test_known_and_unknown_addresses_keep_one_request_each_even_in_parallel(
    loose_app: Any,
) -> None:
    svc = loose_app.state.services
    async with client_for(loose_app, "10.14.0.1") as owner:
        known, _ = await sign_up(owner)
    unknown = new_email()
    for email in (known, unknown):
        async with client_for(loose_app, "10.14.0.2") as asker:
            first = await post_form(asker, "/auth/forgotkey", {"email": email})
            old_path = first.headers["location"]
            assert (await asker.get(old_path)).status_code == 200
            codes = await burst([asker] * 4, "/auth/forgotkey", {"email": email})
            assert codes == [303] * 4
            # The earlier link is dead for both, and each address holds one request.
            assert (await asker.get(old_path)).status_code == 400
        rows = await svc.db.fetch_val(
            "select count(*) from minimaluser.tbl_key_reset where rst_address = :a",
            {"a": address_digest(svc, email)},
        )
        assert rows == 1, email


# The hash queue is bounded: a flood is told to come back, nothing waits for ever.


async def test_a_full_hash_queue_answers_503_with_retry_after_and_costs_no_attempt(
    app: Any, client: httpx.AsyncClient
) -> None:
    email, key = await sign_up(client)
    hasher = app.state.services.hasher
    async with client_for(app, "10.15.0.1") as member:
        token = await csrf_token(member, "/auth/login")
        hasher.queue = 0
        try:
            for _ in range(6):
                busy = await member.post(
                    "/auth/login", data={"email": email, "key": "wrong", "csrf_token": token}
                )
                assert busy.status_code == 503
                assert busy.headers["retry-after"] == "2"
        finally:
            hasher.queue = 32
        assert (await log_in(member, email, key)).status_code == 303


# Link tokens wait in the outbox sealed, like keys and codes.


async def test_no_link_token_waits_in_the_outbox_in_clear(
    client: httpx.AsyncClient, db: PooledDatabase, mailbox: Mailbox
) -> None:
    email, key = await sign_up(client, confirmed=True)
    new = new_email()
    await post_form(
        client, "/auth/userprofile/email", {"email": new, "accesskey": key}, page=PROFILE
    )
    await post_form(client, "/auth/forgotkey", {"email": email})
    await mailbox.wait_for(new, "Confirm")
    await emailed_code(mailbox, email)
    rows = await db.fetch_all(
        "select obx_event, obx_context::text as context, obx_secret from minimaluser.tbl_outbox"
        " where obx_recipient in (:a, :b)",
        {"a": email, "b": new},
    )
    events = {r["obx_event"] for r in rows}
    assert {"signup", "email_change", "forgot_key"} <= events
    for row in rows:
        assert "token" not in row["context"] and "eyJ" not in row["context"], row["obx_event"]


async def test_an_unconfirmed_account_keeps_its_generated_nickname(
    client: httpx.AsyncClient,
) -> None:
    await sign_up(client)
    answer = await post_form(
        client, "/auth/userprofile/nickname", {"username": "my-own-name"}, htmx=True, page=PROFILE
    )
    assert answer.status_code == 422
    assert "Confirm your email address first" in answer.text
    assert "my-own-name" not in (await client.get("/")).text


async def test_an_in_place_sign_up_names_the_new_csrf_token_for_the_page(
    client: httpx.AsyncClient,
) -> None:
    before = await csrf_token(client, "/auth/signup")
    answer = await client.post(
        "/auth/signup",
        data={"email": new_email(), "csrf_token": before},
        headers={"HX-Request": "true", "HX-Request-Type": "partial"},
    )
    assert answer.status_code == 200
    token = answer.headers["x-csrf-token"]
    assert token != before
    consent = await client.post(
        "/consent",
        data={"choice": "essential"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert consent.status_code in (200, 204)
    assert "x-csrf-token" not in consent.headers
