"""Login by an emailed code, through HTTP: the whole flow, the same answer for unknown
addresses, expiry with the clock moved, attempts, one use, one browser, and throttles."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import httpx

from accounts.runtime import Clock
from sql.pool import PooledDatabase
from tests.accounts_helpers import client_for, log_in, new_email, sign_up
from tests.forms import csrf_token, post_form
from tests.servers import Mailbox, text_of

PATH = "/auth/login/code"
CODE_LINE = re.compile(r"^Login code: ([A-Z0-9]{4}-[A-Z0-9]{4})\r?$", re.MULTILINE)


async def emailed_login_code(mailbox: Mailbox, email: str, already: int = 0) -> str:
    for _ in range(600):
        letters = [m for m in mailbox.to(email) if "login code" in m["Subject"].lower()]
        if len(letters) > already:
            found = CODE_LINE.search(text_of(letters[already]))
            assert found, text_of(letters[already])
            return found.group(1)
        await asyncio.sleep(0.05)
    raise AssertionError(f"no login code emailed to {email}")


async def ask(client: httpx.AsyncClient, email: str) -> httpx.Response:
    return await post_form(client, PATH, {"email": email})


async def logged_in(client: httpx.AsyncClient) -> bool:
    return "Log out" in (await client.get("/")).text


async def test_a_code_from_the_mailbox_logs_in_confirms_and_ends_other_sessions(
    app: Any, mailbox: Mailbox, db: PooledDatabase
) -> None:
    async with client_for(app, "10.30.0.1") as squatter, client_for(app, "10.30.0.2") as owner:
        email, _ = await sign_up(squatter)
        assert (await ask(owner, email)).status_code == 303
        page = await owner.get(PATH)
        assert 'name="code"' in page.text and "we emailed it a login code" in page.text
        code = await emailed_login_code(mailbox, email)
        typed = code.replace("-", "").lower()
        done = await post_form(owner, PATH, {"code": typed})
        assert done.status_code == 303 and done.headers["location"] == "/"
        assert await logged_in(owner)
        assert not await logged_in(squatter), "the code proves the mailbox: others are out"
        confirmed = await db.fetch_val(
            "select aut_confirmed from minimaluser.tbl_auth where aut_email = :e", {"e": email}
        )
        assert confirmed
        events = await db.fetch_all(
            "select sev_event, sev_detail from minimaluser.tbl_security_event e"
            " join minimaluser.tbl_auth u using (aut_id) where u.aut_email = :e",
            {"e": email},
        )
        assert ("login", "login_code") in [(r["sev_event"], r["sev_detail"]) for r in events]


async def test_known_and_unknown_addresses_get_the_same_answer(app: Any, mailbox: Mailbox) -> None:
    async with client_for(app, "10.30.1.1") as member:
        known, _ = await sign_up(member)
    unknown = new_email()
    answers = []
    for email in (known, unknown):
        async with client_for(app, "10.30.1.2") as asker:
            first = await ask(asker, email)
            second = await asker.get(PATH)
            answers.append(
                (first.status_code, first.headers["location"], second.text.replace(email, ""))
            )
    assert answers[0][:2] == answers[1][:2]
    tokens = re.compile(r'value="[^"]+"|"X-CSRF-Token": "[^"]+"')
    assert tokens.sub("", answers[0][2]) == tokens.sub("", answers[1][2])
    await emailed_login_code(mailbox, known)
    assert mailbox.to(unknown) == []


async def test_a_code_works_once_for_five_minutes_in_this_browser_only(
    app: Any, mailbox: Mailbox, clock: Clock
) -> None:
    async with client_for(app, "10.30.2.1") as member:
        email, _ = await sign_up(member, confirmed=True)
    async with client_for(app, "10.30.2.2") as browser, client_for(app, "10.30.2.3") as other:
        await ask(browser, email)
        code = await emailed_login_code(mailbox, email)
        token = await csrf_token(other, PATH)
        stolen = await other.post(PATH, data={"code": code, "csrf_token": token})
        assert stolen.status_code == 422 or not await logged_in(other)
        assert not await logged_in(other)

        token = await csrf_token(browser, PATH)
        clock.offset += timedelta(minutes=6)
        late = await browser.post(PATH, data={"code": code, "csrf_token": token})
        assert late.status_code == 422 and not await logged_in(browser)

        clock.offset = timedelta()
        await ask(browser, email)
        code = await emailed_login_code(mailbox, email, already=1)
        assert (await post_form(browser, PATH, {"code": code})).status_code == 303
        await browser.post("/auth/logout", data={"csrf_token": await csrf_token(browser)})
        token = await csrf_token(browser, "/auth/login")
        again = await browser.post(PATH, data={"code": code, "csrf_token": token})
        assert again.status_code == 422, "a code works once"


async def test_three_wrong_codes_spend_the_code(app: Any, mailbox: Mailbox) -> None:
    async with client_for(app, "10.30.3.1") as member:
        email, _ = await sign_up(member, confirmed=True)
    async with client_for(app, "10.30.3.2") as browser:
        await ask(browser, email)
        code = await emailed_login_code(mailbox, email)
        for _ in range(3):
            assert (await post_form(browser, PATH, {"code": "BCDF-GHJK"})).status_code == 422
        token = await csrf_token(browser, "/auth/login")
        spent = await browser.post(PATH, data={"code": code, "csrf_token": token})
        assert spent.status_code == 422 and not await logged_in(browser)


async def test_a_second_factor_is_still_asked_after_the_code(app: Any, mailbox: Mailbox) -> None:
    from tests.test_mfa import member_with_totp

    clock: Clock = app.state.services.clock
    try:
        async with client_for(app, "10.30.4.1") as member:
            email, _, _, _ = await member_with_totp(member, clock)
        async with client_for(app, "10.30.4.2") as browser:
            await ask(browser, email)
            code = await emailed_login_code(mailbox, email)
            step = await post_form(browser, PATH, {"code": code})
            assert step.status_code == 303 and step.headers["location"] == "/auth/login/verify"
            assert not await logged_in(browser)
    finally:
        clock.offset = timedelta()


async def test_bursts_of_requests_are_throttled_per_address_and_never_block_the_forgotten_key(
    strict_app: Any, mailbox: Mailbox
) -> None:
    async with client_for(strict_app, "10.31.0.1") as member:
        email, _ = await sign_up(member)
    askers = [client_for(strict_app, f"10.31.1.{i}") for i in range(10)]
    try:
        tokens = [await csrf_token(c, PATH) for c in askers]
        answers = await asyncio.gather(
            *(
                c.post(PATH, data={"email": email, "csrf_token": t})
                for c, t in zip(askers, tokens, strict=True)
            )
        )
    finally:
        for c in askers:
            await c.aclose()
    codes = [a.status_code for a in answers]
    assert codes.count(303) == 3 and codes.count(429) == 7, codes
    async with client_for(strict_app, "10.31.2.1") as owner:
        assert (await post_form(owner, "/auth/forgotkey", {"email": email})).status_code == 303
    async with client_for(strict_app, "10.31.3.1") as one_place:
        answered = []
        for _ in range(22):
            answered.append((await ask(one_place, new_email())).status_code)
        assert answered.count(429) == 2, "twenty requests a minute from one address"


async def test_the_lock_after_wrong_keys_points_to_the_login_code(strict_app: Any) -> None:
    async with client_for(strict_app, "10.31.4.1") as member:
        email, key = await sign_up(member)
    async with client_for(strict_app, "10.31.4.2") as thief:
        for _ in range(5):
            await log_in(thief, email, "wrong")
        locked = await log_in(thief, email, key)
    assert locked.status_code == 429 and "log in with an emailed code" in locked.text


async def test_asking_again_starts_over_with_the_address(app: Any, mailbox: Mailbox) -> None:
    async with client_for(app, "10.30.5.1") as browser:
        await ask(browser, new_email())
        assert 'name="code"' in (await browser.get(PATH)).text
        again = await browser.get(f"{PATH}?restart=1")
        assert 'name="email"' in again.text and 'name="code"' not in again.text
