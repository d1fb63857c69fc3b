"""The second factor through HTTP, with real codes computed from the secret the page shows:
setup, login with a code, wrong and replayed codes, recovery codes, the pending step, the
throttles, re-authentication (the clock moved, not slept) and SECRET_KEY rotation."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pyotp
import pytest

import settings as settings_module
from accounts.runtime import Clock
from sql.pool import PooledDatabase
from tests.accounts_helpers import client_for, emailed_code, log_in, reset, sign_up
from tests.forms import csrf_token, post_form
from tests.servers import Mailbox, Postgres, app_env, text_of

SECRET = re.compile(r'data-totp-secret="([A-Z2-7]+)"')
RECOVERY = re.compile(r'data-recovery-code="([A-Z0-9-]+)"')
VERIFY = "/auth/login/verify"


def code_now(clock: Clock, secret: str, later: int = 1) -> str:
    """The code of a time step not used yet: the clock moves `later` steps on first."""
    clock.offset += timedelta(seconds=30 * later)
    return pyotp.TOTP(secret).at(clock.now())


async def turn_on(client: httpx.AsyncClient, clock: Clock) -> tuple[str, list[str]]:
    """Sets up the authenticator app as a person would; the secret and recovery codes."""
    page = await client.get("/auth/mfa/totp")
    assert page.status_code == 200, page.text
    secret = SECRET.search(page.text)
    assert secret
    done = await post_form(client, "/auth/mfa/totp", {"code": code_now(clock, secret.group(1), 0)})
    assert done.status_code == 200, done.text
    codes = RECOVERY.findall(done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    return secret.group(1), codes


async def member_with_totp(
    client: httpx.AsyncClient, clock: Clock
) -> tuple[str, str, str, list[str]]:
    """A confirmed member who turned the authenticator app on: email, key, secret, codes."""
    email, key = await sign_up(client, confirmed=True)
    await logout(client)
    assert (await log_in(client, email, key)).status_code == 303
    secret, codes = await turn_on(client, clock)
    return email, key, secret, codes


async def logout(client: httpx.AsyncClient) -> None:
    await client.post("/auth/logout", data={"csrf_token": await csrf_token(client)})


async def logged_in(client: httpx.AsyncClient) -> bool:
    return "Log out" in (await client.get("/")).text


async def test_an_authenticator_app_turns_on_only_after_a_right_code(
    app: Any, clock: Clock, mailbox: Mailbox, db: PooledDatabase
) -> None:
    async with client_for(app, "10.20.0.1") as client:
        email, key = await sign_up(client, confirmed=True)
        await logout(client)
        await log_in(client, email, key)
        first = await client.get("/auth/mfa/totp")
        again = await client.get("/auth/mfa/totp")
        secret = SECRET.search(first.text)
        assert secret and secret.group(1) in again.text, "a reload shows the same secret"
        assert "<svg" in first.text and "QR code" in first.text
        wrong = await post_form(client, "/auth/mfa/totp", {"code": "000000"})
        assert wrong.status_code == 422 and 'aria-invalid="true"' in wrong.text
        assert "Off" in (await client.get("/auth/mfa")).text
        code = pyotp.TOTP(secret.group(1)).at(clock.now())
        spaced = f"{code[:3]} {code[3:]}"
        done = await post_form(client, "/auth/mfa/totp", {"code": spaced})
        assert done.status_code == 200
        assert len(RECOVERY.findall(done.text)) == 10
        assert 'download="minimal-user-recovery-codes.txt"' in done.text
        status = await client.get("/auth/mfa")
        assert "On" in status.text and 'data-recovery-left="10"' in status.text
        assert "Second factor on" in (await client.get("/auth/userprofile")).text
    await mailbox.wait_for(email, "second factor is now on")
    stored = await db.fetch_val(
        "select t.tot_secret from minimaluser.tbl_totp t join minimaluser.tbl_auth u"
        " using (aut_id) where u.aut_email = :e",
        {"e": email},
    )
    assert secret.group(1).encode() not in bytes(stored), "the secret is stored encrypted"


async def test_login_asks_for_the_code_and_logs_nobody_in_before_it(app: Any, clock: Clock) -> None:
    async with client_for(app, "10.20.1.1") as client:
        email, key, secret, _ = await member_with_totp(client, clock)
        await logout(client)
        step = await log_in(client, email, key, remember="on")
        assert step.status_code == 303 and step.headers["location"].startswith(VERIFY)
        assert not await logged_in(client)
        assert (await client.get("/auth/userprofile")).status_code == 303
        page = await client.get(VERIFY)
        assert page.status_code == 200 and 'name="code"' in page.text
        wrong = await post_form(client, VERIFY, {"code": "123456"})
        assert wrong.status_code == 422 and not await logged_in(client)
        code = code_now(clock, secret)
        done = await post_form(client, VERIFY, {"code": code})
        assert done.status_code == 303
        assert "Max-Age" in done.headers["set-cookie"], "remember me, decided at the key step"
        assert await logged_in(client)

        # The same code again is a replay: refused.
        await logout(client)
        await log_in(client, email, key)
        replay = await post_form(client, VERIFY, {"code": code})
        assert replay.status_code == 422 and not await logged_in(client)
        arabic = code_now(clock, secret).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
        assert (await post_form(client, VERIFY, {"code": arabic})).status_code == 303


async def test_the_code_step_belongs_to_the_browser_that_gave_the_key(
    app: Any, clock: Clock
) -> None:
    async with client_for(app, "10.20.2.1") as client, client_for(app, "10.20.2.2") as other:
        email, key, _, _ = await member_with_totp(client, clock)
        await logout(client)
        await log_in(client, email, key)
        elsewhere = await other.get(VERIFY)
        assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/auth/login"


async def test_a_recovery_code_works_once_and_the_owner_is_told(
    app: Any, clock: Clock, mailbox: Mailbox
) -> None:
    async with client_for(app, "10.20.3.1") as client:
        email, key, _, codes = await member_with_totp(client, clock)
        await logout(client)
        await log_in(client, email, key)
        used = codes[0].lower().replace("-", " ")
        assert (await post_form(client, VERIFY, {"code": used})).status_code == 303
        message = await mailbox.wait_for(email, "recovery code was used")
        assert "9 recovery codes" in text_of(message)
        await logout(client)
        await log_in(client, email, key)
        again = await post_form(client, VERIFY, {"code": codes[0]})
        assert again.status_code == 422 and not await logged_in(client)


async def test_new_recovery_codes_replace_the_old_ones(
    app: Any, clock: Clock, mailbox: Mailbox
) -> None:
    async with client_for(app, "10.20.4.1") as client:
        email, key, _, old = await member_with_totp(client, clock)
        fresh = await post_form(client, "/auth/mfa/recovery-codes", {}, page="/auth/mfa")
        assert fresh.status_code == 200
        new = RECOVERY.findall(fresh.text)
        assert len(new) == 10 and not set(new) & set(old)
        await mailbox.wait_for(email, "new recovery codes")
        await logout(client)
        await log_in(client, email, key)
        assert (await post_form(client, VERIFY, {"code": old[1]})).status_code == 422
        assert (await post_form(client, VERIFY, {"code": new[1]})).status_code == 303


async def test_the_code_step_expires_after_fifteen_minutes(app: Any, clock: Clock) -> None:
    async with client_for(app, "10.20.5.1") as client:
        email, key, secret, _ = await member_with_totp(client, clock)
        await logout(client)
        await log_in(client, email, key)
        token = await csrf_token(client, VERIFY)
        clock.offset += timedelta(minutes=16)
        late = await client.post(
            VERIFY, data={"code": code_now(clock, secret), "csrf_token": token}
        )
        assert late.status_code == 303 and late.headers["location"] == "/auth/login"
        assert not await logged_in(client)


async def test_five_wrong_codes_end_the_login_and_the_owner_is_told(
    app: Any, clock: Clock, mailbox: Mailbox
) -> None:
    async with client_for(app, "10.20.6.1") as client:
        email, key, _, _ = await member_with_totp(client, clock)
        await logout(client)
        await log_in(client, email, key)
        for _ in range(4):
            assert (await post_form(client, VERIFY, {"code": "000000"})).status_code == 422
        fifth = await post_form(client, VERIFY, {"code": "000000"})
        assert fifth.status_code == 303 and fifth.headers["location"] == "/auth/login"
        message = await mailbox.wait_for(email, "may have your access key")
        assert "10.20.6.1" in text_of(message)
        assert (await client.get(VERIFY)).headers["location"] == "/auth/login"


@pytest.fixture
async def strict_clock(strict_app: Any) -> AsyncIterator[Clock]:
    clock: Clock = strict_app.state.services.clock
    yield clock
    clock.offset = timedelta()


async def test_wrong_codes_are_throttled_per_account_and_a_key_reset_clears_them(
    strict_app: Any, strict_clock: Clock, mailbox: Mailbox
) -> None:
    async with client_for(strict_app, "10.21.0.1") as client:
        email, key, secret, _ = await member_with_totp(client, strict_clock)
        answers = []
        for _ in range(3):
            await logout(client)
            await log_in(client, email, key)
            for _ in range(4):
                answers.append((await post_form(client, VERIFY, {"code": "000000"})).status_code)
        assert answers.count(422) == 10 and answers.count(429) == 2, answers
        assert (
            await post_form(client, VERIFY, {"code": code_now(strict_clock, secret)})
        ).status_code == 429

        # The owner proves the mailbox: the code throttles go with the key's lock.
        await post_form(client, "/auth/forgotkey", {"email": email})
        otp, path = await emailed_code(mailbox, email)
        assert (await reset(client, path, otp, "an owner's brand new key")).status_code == 303
        assert (await log_in(client, email, key)).status_code == 422, "the old key is dead"
        await log_in(client, email, "an owner's brand new key")
        done = await post_form(client, VERIFY, {"code": code_now(strict_clock, secret)})
        assert done.status_code == 303


async def test_sensitive_actions_ask_for_the_key_again_after_ten_minutes(
    app: Any, clock: Clock
) -> None:
    async with client_for(app, "10.20.7.1") as client:
        _, key, secret, _ = await member_with_totp(client, clock)
        clock.offset += timedelta(minutes=11)
        page = await client.get("/auth/mfa/totp")
        assert page.status_code == 303  # on already: back to /auth/mfa
        interrupted = await post_form(client, "/auth/mfa/recovery-codes", {}, page="/auth/mfa")
        assert interrupted.status_code == 303
        assert interrupted.headers["location"].startswith("/auth/reauthenticate?next=/auth/mfa")
        asked = await client.get(interrupted.headers["location"])
        assert "Nothing was changed" in asked.text and 'name="accesskey"' in asked.text
        wrong = await post_form(
            client,
            "/auth/reauthenticate",
            {"accesskey": "wrong", "next": "/auth/mfa", "again": "1"},
        )
        assert wrong.status_code == 422
        back = await post_form(
            client, "/auth/reauthenticate", {"accesskey": key, "next": "/auth/mfa", "again": "1"}
        )
        assert back.status_code == 303 and back.headers["location"] == "/auth/mfa"
        assert "do that again" in (await client.get("/auth/mfa")).text
        assert (
            await post_form(client, "/auth/mfa/recovery-codes", {}, page="/auth/mfa")
        ).status_code == 200

        clock.offset += timedelta(minutes=11)
        with_code = await post_form(
            client, "/auth/reauthenticate", {"code": code_now(clock, secret), "next": "/auth/mfa"}
        )
        assert with_code.status_code == 303
        off = await post_form(client, "/auth/mfa/totp/disable", {}, page="/auth/mfa")
        assert off.status_code == 303 and off.headers["location"] == "/auth/mfa"
        assert "Set up an authenticator app" in (await client.get("/auth/mfa")).text


async def test_a_confirmation_link_is_no_authentication(app: Any, clock: Clock) -> None:
    async with client_for(app, "10.20.8.1") as client:
        await sign_up(client, confirmed=True)
        answer = await client.get("/auth/mfa/totp")
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/auth/reauthenticate")


async def test_a_squatter_who_never_confirmed_cannot_turn_a_second_factor_on(
    app: Any, clock: Clock
) -> None:
    async with client_for(app, "10.20.9.1") as client:
        await sign_up(client)
        assert (await client.get("/auth/mfa/totp")).status_code == 403
        assert (await client.get("/auth/mfa")).status_code == 403
        refused = await post_form(client, "/auth/mfa/totp", {"code": "123456"}, page="/")
        assert refused.status_code == 403


async def test_a_rotated_secret_key_keeps_every_second_factor_working(
    postgres: Postgres, mailbox: Mailbox
) -> None:
    from app import create_app

    url = postgres.create_database()
    old, new = "o" * 40, "n" * 40
    first = create_app(settings_module.load(app_env(url, SMTP_URL=mailbox.url, SECRET_KEY=old)))
    async with first.router.lifespan_context(first):
        async with client_for(first, "10.22.0.1") as client:
            email, key, secret, codes = await member_with_totp(client, first.state.services.clock)
            cookies = dict(client.cookies)
    rotated = app_env(url, SMTP_URL=mailbox.url, SECRET_KEY=new, SECRET_KEY_FALLBACKS=old)
    second = create_app(settings_module.load(rotated))
    async with second.router.lifespan_context(second):
        clock = second.state.services.clock
        clock.offset = timedelta(minutes=2)
        async with client_for(second, "10.22.0.2") as kept:
            kept.cookies.update(cookies)
            assert await logged_in(kept), "a cookie signed with the old key still works"
        async with client_for(second, "10.22.0.2") as browser:
            await log_in(browser, email, key)
            assert (
                await post_form(browser, VERIFY, {"code": code_now(clock, secret)})
            ).status_code == 303
            await logout(browser)
            await log_in(browser, email, key)
            assert (await post_form(browser, VERIFY, {"code": codes[0]})).status_code == 303
    forgotten = app_env(url, SMTP_URL=mailbox.url, SECRET_KEY=new)
    third = create_app(settings_module.load(forgotten))
    async with third.router.lifespan_context(third):
        async with client_for(third, "10.22.0.3") as kept:
            kept.cookies.update(cookies)
            assert not await logged_in(kept), "without the fallback the old cookie is void"
        async with client_for(third, "10.22.0.3") as browser:
            await log_in(browser, email, key)
            clock = third.state.services.clock
            clock.offset = timedelta(minutes=4)
            # The authenticator secret was sealed again with the new key at its last use...
            resealed = await post_form(browser, VERIFY, {"code": code_now(clock, secret)})
            assert resealed.status_code == 303
            await logout(browser)
            # ...but a recovery code made under the dropped key is refused, without a 500.
            await log_in(browser, email, key)
            lost = await post_form(browser, VERIFY, {"code": codes[1]})
            assert lost.status_code == 422


async def test_a_new_account_is_not_asked_for_a_code(app: Any) -> None:
    async with client_for(app, "10.20.10.1") as client:
        email, key = await sign_up(client, confirmed=True)
        await logout(client)
        answer = await log_in(client, email, key)
        assert answer.status_code == 303 and answer.headers["location"] == "/"


async def test_a_secret_no_key_opens_refuses_the_code_without_failing(
    app: Any, clock: Clock, db: PooledDatabase
) -> None:
    async with client_for(app, "10.20.11.1") as client:
        email, key, secret, codes = await member_with_totp(client, clock)
        await db.execute(
            "update minimaluser.tbl_totp set tot_secret = 'not a sealed secret'::bytea"
            " where aut_id = (select aut_id from minimaluser.tbl_auth where aut_email = :e)",
            {"e": email},
        )
        await logout(client)
        await log_in(client, email, key)
        refused = await post_form(client, VERIFY, {"code": code_now(clock, secret)})
        assert refused.status_code == 422
        assert (await post_form(client, VERIFY, {"code": codes[2]})).status_code == 303
