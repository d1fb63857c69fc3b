"""Passkeys: the rules against py_webauthn with recorded answers (tests/data/passkeys, made once
by tests/softkey.py), then the HTTP ceremonies with a software passkey answering live
challenges: adding one, the second step of a login, signing in without email, renaming and
removing, and the errors a person can cause, each a JSON answer, never a 500."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from webauthn import base64url_to_bytes, verify_registration_response
from webauthn.helpers.exceptions import InvalidRegistrationResponse

from accounts import mfa
from accounts import passkeys as rules
from accounts.checks import AccountError
from accounts.runtime import Client, Clock, Services
from sql import passkeys, pending_logins, users, webauthn_challenges
from sql.pool import PooledDatabase
from sql.sessions import CurrentUser
from tests.accounts_helpers import client_for, log_in, sign_up
from tests.forms import csrf_token, post_form
from tests.servers import Mailbox, text_of
from tests.softkey import DATA, SoftKey, unb64

CLIENT = Client("10.30.0.1", "pytest")
VERIFY = "/auth/login/verify"


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{name}.json").read_text())
    return data


@asynccontextmanager
async def member(
    app: Any, db: PooledDatabase, ip: str
) -> AsyncIterator[tuple[httpx.AsyncClient, CurrentUser]]:
    """A confirmed member logged in with the key just now, and who the rules see."""
    async with client_for(app, ip) as client:
        email, key = await sign_up(client, confirmed=True)
        await post_form(client, "/auth/logout", {}, page="/")
        assert (await log_in(client, email, key)).status_code == 303
        user = await users.by_email(db, email)
        assert user
        yield client, CurrentUser(user.id, user.email, user.nickname, True, user.tile, uuid4())


async def expect(svc: Services, challenge: str, purpose: str, user_id: int | None) -> UUID:
    """The recorded challenge, as the options step would have kept it for this browser."""
    challenge_id, now = uuid4(), svc.clock.now()
    await webauthn_challenges.put(
        svc.db, challenge_id, unb64(challenge), purpose, user_id, now, now + timedelta(minutes=5)
    )
    return challenge_id


async def with_recorded_passkey(svc: Services, current: CurrentUser) -> str:
    """The recorded registration, added to this account (it may hold that credential alone)."""
    made = recorded("registration")
    credential_id = unb64(made["credential"]["rawId"])
    await svc.db.execute(
        "delete from minimaluser.tbl_passkey where pky_credential_id = :id", {"id": credential_id}
    )
    challenge_id = await expect(svc, made["challenge"], rules.REGISTER, current.id)
    name = await rules.add(svc, current, challenge_id, made["credential"], " My  laptop ", CLIENT)
    # The recorded answers carry the user handle the recorded options gave (a hash, as ours).
    handle = unb64(made["user_handle"])
    await svc.db.execute(
        "update minimaluser.tbl_passkey set pky_user_handle = :handle where aut_id = :id",
        {"handle": handle, "id": current.id},
    )
    return name


async def sign_in_recorded(svc: Services, name: str) -> Any:
    answer = recorded(name)
    challenge_id = await expect(svc, answer["challenge"], rules.SIGN_IN, None)
    return await rules.sign_in(svc, challenge_id, answer["credential"], CLIENT, False)


async def stored_count(svc: Services, user_id: int) -> int:
    return (await passkeys.of_user(svc.db, user_id))[0].sign_count


async def test_a_recorded_registration_is_verified_kept_once_and_told(
    app: Any, db: PooledDatabase, mailbox: Mailbox
) -> None:
    svc: Services = app.state.services
    async with member(app, db, "10.30.1.1") as (client, current):
        assert await with_recorded_passkey(svc, current) == "My laptop"
        [kept] = await passkeys.of_user(db, current.id)
        assert kept.name == "My laptop" and kept.last_used_at is None
        made = recorded("registration")
        with pytest.raises(AccountError) as spent:
            await rules.add(svc, current, None, made["credential"], "again", CLIENT)
        assert spent.value.message == rules.EXPIRED
        again = await expect(svc, made["challenge"], rules.REGISTER, current.id)
        with pytest.raises(AccountError) as twice:
            await rules.add(svc, current, again, made["credential"], "again", CLIENT)
        assert twice.value.message == rules.ALREADY_ADDED
        letter = await mailbox.wait_for(current.email, "passkey was added")
        assert '"My laptop"' in text_of(letter)
        log = (await client.get("/auth/userprofile")).text
        assert "Passkey added" in log
    with pytest.raises(InvalidRegistrationResponse):
        verify_registration_response(
            credential=made["credential"],
            expected_challenge=base64url_to_bytes(made["challenge"]),
            expected_rp_id="testserver",
            expected_origin="http://testserver.evil.example",
        )


async def test_a_recorded_sign_in_works_once_and_a_replay_is_refused(
    app: Any, db: PooledDatabase
) -> None:
    svc: Services = app.state.services
    async with member(app, db, "10.30.2.1") as (_, current):
        await with_recorded_passkey(svc, current)
        answer = recorded("authentication")
        challenge_id = await expect(svc, answer["challenge"], rules.SIGN_IN, None)
        done = await rules.sign_in(svc, challenge_id, answer["credential"], CLIENT, False)
        assert done.user_id == current.id
        [used] = await passkeys.of_user(db, current.id)
        assert used.sign_count == 7 and used.last_used_at is not None
        with pytest.raises(AccountError) as spent:
            await rules.sign_in(svc, challenge_id, answer["credential"], CLIENT, False)
        assert spent.value.message == rules.EXPIRED, "a challenge is used once"
        with pytest.raises(AccountError) as replayed:
            await sign_in_recorded(svc, "authentication")
        assert replayed.value.message == rules.NOT_VERIFIED, "the same counter again"
        assert await stored_count(svc, current.id) == 7


async def test_an_answer_made_on_another_origin_is_refused(app: Any, db: PooledDatabase) -> None:
    svc: Services = app.state.services
    async with member(app, db, "10.30.3.1") as (_, current):
        await with_recorded_passkey(svc, current)
        with pytest.raises(AccountError) as phished:
            await sign_in_recorded(svc, "authentication_phished")
        assert phished.value.message == rules.NOT_VERIFIED
        assert await stored_count(svc, current.id) == 0


async def test_the_sign_counter_may_stay_at_zero_but_never_go_back(
    app: Any, db: PooledDatabase
) -> None:
    svc: Services = app.state.services
    async with member(app, db, "10.30.4.1") as (_, current):
        await with_recorded_passkey(svc, current)
        assert (await sign_in_recorded(svc, "authentication_synced")).user_id == current.id
        assert (await sign_in_recorded(svc, "authentication_synced")).user_id == current.id
        await db.execute(
            "update minimaluser.tbl_passkey set pky_sign_count = 3 where aut_id = :id",
            {"id": current.id},
        )
        with pytest.raises(AccountError):
            await sign_in_recorded(svc, "authentication_synced")
        await db.execute(
            "update minimaluser.tbl_passkey set pky_sign_count = 10 where aut_id = :id",
            {"id": current.id},
        )
        with pytest.raises(AccountError):
            await sign_in_recorded(svc, "authentication")
        assert await stored_count(svc, current.id) == 10


async def test_signing_in_without_email_needs_the_user_verified(
    app: Any, db: PooledDatabase
) -> None:
    svc: Services = app.state.services
    async with member(app, db, "10.30.5.1") as (_, current):
        await with_recorded_passkey(svc, current)
        with pytest.raises(AccountError) as unverified:
            await sign_in_recorded(svc, "authentication_unverified")
        assert unverified.value.message == rules.NOT_VERIFIED


async def test_another_users_passkey_cannot_finish_someones_pending_login(
    app: Any, db: PooledDatabase
) -> None:
    svc: Services = app.state.services
    async with (
        member(app, db, "10.30.6.1") as (_, owner),
        member(app, db, "10.30.6.2") as (_, other),
    ):
        await with_recorded_passkey(svc, owner)
        pending = await pending_logins.create(
            db, other.id, False, svc.clock.now() + timedelta(minutes=15)
        )
        answer = recorded("authentication")
        challenge_id = await expect(svc, answer["challenge"], rules.SECOND_STEP, other.id)
        with pytest.raises(AccountError) as refused:
            await rules.second_step(svc, pending, challenge_id, answer["credential"], CLIENT)
        assert refused.value.message == rules.NOT_YOURS
        assert await pending_logins.live(db, pending, svc.clock.now()), "still waiting"
        assert await stored_count(svc, owner.id) == 0
        # The owner's own pending login takes it.
        mine = await pending_logins.create(db, owner.id, False, svc.clock.now() + timedelta(1))
        challenge_id = await expect(svc, answer["challenge"], rules.SECOND_STEP, owner.id)
        done = await rules.second_step(svc, mine, challenge_id, answer["credential"], CLIENT)
        assert done.user_id == owner.id


# Over HTTP, with a software passkey answering live challenges.


async def post_json(
    client: httpx.AsyncClient, path: str, body: Any, page: str = "/"
) -> httpx.Response:
    token = await csrf_token(client, page)
    return await client.post(
        path,
        content=json.dumps(body) if not isinstance(body, bytes) else body,
        headers={"Content-Type": "application/json", "X-CSRF-Token": token},
    )


async def add_passkey(client: httpx.AsyncClient, key: SoftKey, name: str) -> httpx.Response:
    options = await post_json(client, "/auth/mfa/passkeys/options", {}, "/auth/mfa")
    assert options.status_code == 200, options.text
    made = options.json()
    assert made["rp"]["id"] == "testserver"
    assert made["authenticatorSelection"]["residentKey"] == "required"
    body = {"credential": key.register(made), "name": name}
    return await post_json(client, "/auth/mfa/passkeys", body, "/auth/mfa")


async def logged_in(client: httpx.AsyncClient) -> bool:
    return "Log out" in (await client.get("/")).text


async def test_member_adds_a_passkey_that_then_serves_as_the_second_step(
    app: Any, db: PooledDatabase, mailbox: Mailbox
) -> None:
    client = client_for(app, "10.30.7.1")
    async with client:
        email, key_text = await sign_up(client, confirmed=True)
        await post_form(client, "/auth/logout", {}, page="/")
        await log_in(client, email, key_text)
        key = SoftKey()
        added = await add_passkey(client, key, "Work laptop")
        assert added.status_code == 200 and added.json() == {"redirect": "/auth/mfa"}
        page = (await client.get("/auth/mfa")).text
        assert "Work laptop" in page and "not used yet" in page and "Added " in page
        await mailbox.wait_for(email, "passkey was added")

        await post_form(client, "/auth/logout", {}, page="/")
        step = await log_in(client, email, key_text)
        assert step.status_code == 303 and step.headers["location"].startswith(VERIFY)
        verify = (await client.get(VERIFY)).text
        assert "Use a passkey" in verify and 'name="code"' not in verify
        options = await post_json(client, f"{VERIFY}/passkey/options", {}, VERIFY)
        asked = options.json()
        assert [unb64(c["id"]) for c in asked["allowCredentials"]] == [key.credential_id]
        done = await post_json(
            client, f"{VERIFY}/passkey", {"credential": key.sign(asked), "next": "/album/"}, VERIFY
        )
        assert done.json() == {"redirect": "/album/"}
        assert await logged_in(client)
        assert "Logged in with a passkey" in (await client.get("/auth/userprofile")).text
        assert "last used" in (await client.get("/auth/mfa")).text


async def test_a_passkey_signs_in_without_email_or_key(app: Any) -> None:
    client = client_for(app, "10.30.8.1")
    async with client:
        email, key_text = await sign_up(client, confirmed=True)
        await post_form(client, "/auth/logout", {}, page="/")
        await log_in(client, email, key_text)
        key = SoftKey()
        assert (await add_passkey(client, key, "Phone")).status_code == 200
        await post_form(client, "/auth/logout", {}, page="/")
        assert not await logged_in(client)

        options = (await post_json(client, "/auth/passkey/options", {}, "/auth/login")).json()
        assert options["userVerification"] == "required" and options["allowCredentials"] == []
        lazy = key.sign(options, verified=False)
        refused = await post_json(client, "/auth/passkey", {"credential": lazy}, "/auth/login")
        assert refused.status_code == 422 and refused.json()["error"] == rules.NOT_VERIFIED
        options = (await post_json(client, "/auth/passkey/options", {}, "/auth/login")).json()
        body = {"credential": key.sign(options), "next": "https://evil.example/"}
        done = await post_json(client, "/auth/passkey", body, "/auth/login")
        assert done.status_code == 200 and done.json() == {"redirect": "/"}
        assert await logged_in(client)


async def test_rename_and_remove_work_as_plain_forms_and_through_htmx(
    app: Any, mailbox: Mailbox, clock: Clock
) -> None:
    client = client_for(app, "10.30.9.1")
    async with client:
        email, key_text = await sign_up(client, confirmed=True)
        await post_form(client, "/auth/logout", {}, page="/")
        await log_in(client, email, key_text)
        key = SoftKey()
        await add_passkey(client, key, "Old name")
        page = (await client.get("/auth/mfa")).text
        number = page.split('data-passkey-id="')[1].split('"')[0]
        path = "/auth/mfa/passkeys/rename"
        renamed = await post_form(client, path, {"passkey": number, "name": "New name"})
        assert renamed.status_code == 303 and renamed.headers["location"] == "/auth/mfa"
        assert "New name" in (await client.get("/auth/mfa")).text
        empty = await post_form(client, path, {"passkey": number, "name": "  "}, htmx=True)
        assert empty.status_code == 422 and 'aria-invalid="true"' in empty.text
        assert empty.text.lstrip().startswith('<section id="passkeys"')
        stranger = await post_form(client, path, {"passkey": "999999999", "name": "x"}, htmx=True)
        assert stranger.status_code == 422 and rules.NOT_FOUND in stranger.text

        clock.offset += timedelta(minutes=11)
        stale = await post_form(client, "/auth/mfa/passkeys/remove", {"passkey": number})
        assert stale.headers["location"].startswith("/auth/reauthenticate")
        clock.offset = timedelta()
        removed = await post_form(
            client, "/auth/mfa/passkeys/remove", {"passkey": number}, htmx=True
        )
        assert removed.status_code == 200 and "Passkey “New name” removed." in removed.text
        letter = await mailbox.wait_for(email, "passkey was removed")
        assert '"New name"' in text_of(letter)
        assert "Passkey renamed" in (await client.get("/auth/userprofile")).text

        await post_form(client, "/auth/logout", {}, page="/")
        options = (await post_json(client, "/auth/passkey/options", {}, "/auth/login")).json()
        gone = await post_json(
            client, "/auth/passkey", {"credential": key.sign(options)}, "/auth/login"
        )
        assert gone.status_code == 422 and gone.json()["error"] == rules.UNKNOWN
        assert (await log_in(client, email, key_text)).headers["location"] == "/"


async def test_what_a_person_can_get_wrong_answers_json_never_a_500(app: Any, clock: Clock) -> None:
    client = client_for(app, "10.30.10.1")
    async with client:
        wrong: list[Any] = [b"not json", b"[1, 2]", {"credential": "nonsense"}, {"credential": {}}]
        for body in wrong:
            answer = await post_json(client, "/auth/passkey", body, "/auth/login")
            assert answer.status_code == 422, answer.text
            assert answer.json()["error"] in (rules.UNREADABLE, rules.EXPIRED)
        await post_json(client, "/auth/passkey/options", {}, "/auth/login")
        for body in ({"credential": "nonsense"}, {"credential": {"id": 3, "response": []}}):
            await post_json(client, "/auth/passkey/options", {}, "/auth/login")
            answer = await post_json(client, "/auth/passkey", body, "/auth/login")
            assert answer.status_code == 422 and answer.json()["error"] == rules.UNREADABLE
        no_token = await client.post("/auth/passkey/options", json={})
        assert no_token.status_code == 403
        nothing_pending = await post_json(client, f"{VERIFY}/passkey/options", {}, "/auth/login")
        assert nothing_pending.json() == {"redirect": "/auth/login"}

        email, key_text = await sign_up(client, confirmed=True)
        await post_form(client, "/auth/logout", {}, page="/")
        await log_in(client, email, key_text)
        clock.offset += timedelta(minutes=11)
        stale = await post_json(client, "/auth/mfa/passkeys/options", {}, "/auth/mfa")
        assert stale.status_code == 303
        assert stale.headers["location"].startswith("/auth/reauthenticate?next=/auth/mfa")
        clock.offset = timedelta()
        options = (await post_json(client, "/auth/mfa/passkeys/options", {}, "/auth/mfa")).json()
        clock.offset += timedelta(minutes=6)
        late = await post_json(
            client,
            "/auth/mfa/passkeys",
            {"credential": SoftKey().register(options)},
            "/auth/mfa",
        )
        assert late.status_code == 422 and late.json()["error"] == rules.EXPIRED


async def test_an_operator_reset_removes_passkeys_but_the_owner_turning_the_app_off_does_not(
    app: Any, db: PooledDatabase
) -> None:
    svc = app.state.services
    async with member(app, db, "10.40.9.1") as (_, current):
        await with_recorded_passkey(svc, current)
        assert not await mfa.reset_second_factor(svc, current, CLIENT, by_operator=False)
        assert await passkeys.exists(db, current.id)
        assert await mfa.reset_second_factor(svc, current, None)
        assert not await passkeys.exists(db, current.id)


async def test_a_passkey_serves_to_re_authenticate(app: Any, clock: Clock) -> None:
    async with client_for(app, "10.30.9.1") as client:
        email, key_text = await sign_up(client, confirmed=True)
        await post_form(client, "/auth/logout", {}, page="/")
        await log_in(client, email, key_text)
        key = SoftKey()
        await add_passkey(client, key, "Phone")
        clock.offset += timedelta(minutes=11)
        asked = await client.get("/auth/mfa/totp")
        assert asked.headers["location"].startswith("/auth/reauthenticate")
        page = (await client.get(asked.headers["location"])).text
        assert "Confirm with a passkey" in page
        reauth = "/auth/reauthenticate"
        options = (await post_json(client, f"{reauth}/passkey/options", {}, reauth)).json()
        signed = {"credential": key.sign(options), "next": "/auth/mfa/totp"}
        done = await post_json(client, f"{reauth}/passkey", signed, reauth)
        assert done.json() == {"redirect": "/auth/mfa/totp"}
        assert (await client.get("/auth/mfa/totp")).status_code == 200
        replayed = await post_json(client, f"{reauth}/passkey", signed, reauth)
        assert replayed.status_code >= 400, "the challenge works once"
