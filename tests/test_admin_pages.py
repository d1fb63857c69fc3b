"""The operator pages through HTTP: invisible to everyone else, the list and search, an
account's page and its actions (re-authentication, self-protection), the audit log and the
mail that failed."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest

from accounts.runtime import Clock
from sql.pool import PooledDatabase
from tests.accounts_helpers import client_for, log_in, new_email, sign_up
from tests.forms import csrf_token, post_form
from tests.servers import Mailbox

ADMIN_PATHS = ["/admin/", "/admin", "/admin/audit", "/admin/mail", "/admin/accounts/1", "/admin/x"]
POST_PATHS = ["/admin/accounts/1/disable", "/admin/accounts/1/delete", "/admin/mail/1/drop"]


async def user_id(db: PooledDatabase, email: str) -> int:
    found: int = await db.fetch_val(
        "select aut_id from minimaluser.tbl_auth where aut_email = :e", {"e": email}
    )
    return found


async def operator(client: httpx.AsyncClient, db: PooledDatabase) -> tuple[str, str]:
    """A confirmed member made an operator, logged in with the key just now."""
    email, key = await sign_up(client, confirmed=True)
    await db.execute(
        "update minimaluser.tbl_auth set aut_operator = true where aut_email = :e", {"e": email}
    )
    await client.post("/auth/logout", data={"csrf_token": await csrf_token(client)})
    assert (await log_in(client, email, key)).status_code == 303
    return email, key


async def act(client: httpx.AsyncClient, target: int, action: str) -> httpx.Response:
    data = {"sure": "on"} if action == "delete" else {}
    return await post_form(client, f"/admin/accounts/{target}/{action}", data, page="/admin/")


async def test_to_everyone_else_every_admin_url_is_unknown(
    app: Any, client: httpx.AsyncClient
) -> None:
    unknown = await client.get("/no-such-page")
    for method in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS"):
        expected = (await client.request(method, "/no-such-page")).status_code
        for path in ADMIN_PATHS:
            answer = await client.request(method, path)
            assert answer.status_code == expected, (method, path)
    same = (await client.get("/admin/")).text.replace("/admin/", "/no-such-page")
    assert same == unknown.text, "the very page of an unknown URL"
    await sign_up(client, confirmed=True)
    token = await csrf_token(client)
    for path in ADMIN_PATHS + POST_PATHS:
        assert (await client.get(path)).status_code == 404, path
        refused = await client.post(path, data={"csrf_token": token})
        assert refused.status_code == 404, path
        assert (await client.post(path)).status_code == 403, "the CSRF guard, as on any path"
    assert "Operators" not in (await client.get("/")).text


async def test_accounts_are_listed_newest_first_a_page_at_a_time_while_more_arrive(
    app: Any, db: PooledDatabase
) -> None:
    tag = uuid.uuid4().hex[:8]
    await db.execute(
        "insert into minimaluser.tbl_auth (aut_email, aut_key, aut_name, aut_tile)"
        " select 'page-' || :tag || '-' || n || '@example.com', 'x', 'page-' || :tag || '-' || n,"
        " 't.svg' from generate_series(1, 120) n",
        {"tag": tag},
    )
    async with client_for(app, "10.50.0.1") as client:
        await operator(client, db)
        assert "Operators" in (await client.get("/")).text
        first = await client.get("/admin/")
        assert first.status_code == 200
        ids = [int(i) for i in re.findall(r'href="/admin/accounts/(\d+)"', first.text)]
        assert len(ids) == 50 and ids == sorted(ids, reverse=True)
        later = re.search(r'href="/admin/(\?before=\d+)"', first.text)
        assert later
        await sign_up(client_for(app, "10.50.0.2"))  # a newcomer between two pages
        second = await client.get("/admin/" + later.group(1))
        more = [int(i) for i in re.findall(r'href="/admin/accounts/(\d+)"', second.text)]
        assert len(more) == 50 and max(more) < min(ids), "no row twice, none skipped"


async def test_search_by_the_start_of_an_address_or_a_nickname(
    app: Any, db: PooledDatabase
) -> None:
    tag = uuid.uuid4().hex[:6]
    for n in (3, 1, 2):
        await db.execute(
            "insert into minimaluser.tbl_auth (aut_email, aut_key, aut_name, aut_tile)"
            " values (:email, 'x', :name, 't.svg')",
            {"email": f"Find{tag}-{n}@example.com", "name": f"zz-{tag}-{n}"},
        )
    async with client_for(app, "10.50.1.1") as client:
        await operator(client, db)
        found = await client.get("/admin/", params={"q": f"find{tag}"})
        emails = re.findall(rf"(Find{tag}-\d)@example.com</a>", found.text)
        assert emails == [f"Find{tag}-1", f"Find{tag}-2", f"Find{tag}-3"]
        by_name = await client.get("/admin/", params={"q": f"ZZ-{tag}-2"})
        assert f"zz-{tag}-2" in by_name.text and f"zz-{tag}-1" not in by_name.text
        fragment = await client.get(
            "/admin/",
            params={"q": f"find{tag}"},
            headers={"HX-Request": "true", "HX-Request-Type": "partial"},
        )
        assert fragment.text.lstrip().startswith('<div id="accounts">')
        none = await client.get("/admin/", params={"q": "%_nobody"})
        assert "starts with" in none.text and "/admin/accounts/" not in none.text


async def test_an_operator_disables_enables_and_deletes_with_every_step_audited(
    app: Any, db: PooledDatabase, mailbox: Mailbox
) -> None:
    async with client_for(app, "10.50.2.1") as client, client_for(app, "10.50.2.2") as member:
        me, _ = await operator(client, db)
        email, key = await sign_up(member)
        target = await user_id(db, email)
        page = await client.get(f"/admin/accounts/{target}")
        assert email in page.text and 'data-state="confirmed">no' in page.text
        assert key not in page.text and "signup" in page.text

        assert (await act(client, target, "resend-confirmation")).status_code == 303
        await mailbox.wait_for(email, "Confirm")
        assert (await act(client, target, "disable")).status_code == 303
        assert "Log out" not in (await member.get("/")).text, "its sessions end at once"
        refused = await log_in(member, email, key)
        assert refused.status_code == 422 and "do not match an active account" in refused.text
        assert (await act(client, target, "enable")).status_code == 303
        assert (await log_in(member, email, key)).status_code == 303

        me_id = await user_id(db, me)
        for action in ("disable", "delete"):
            await act(client, me_id, action)
            assert "cannot disable or delete their own" in (await client.get("/admin/")).text
        assert "Log out" in (await client.get("/")).text

        unsure = await post_form(client, f"/admin/accounts/{target}/delete", {}, page="/admin/")
        assert unsure.headers["location"] == f"/admin/accounts/{target}"
        assert "Tick the box" in (await client.get(unsure.headers["location"])).text
        assert (await act(client, target, "delete")).status_code == 303
        await mailbox.wait_for(email, "Goodbye")
        assert (await client.get(f"/admin/accounts/{target}")).status_code == 404

        log = await client.get("/admin/audit", params={"q": email})
        actions = re.findall(r'data-audit-action="([a-z-]+)"', log.text)
        assert actions == ["delete", "enable", "disable", "resend-confirmation"]
        assert me in log.text and "10.50.2.1" in log.text and f"(#{target})" in log.text
        by_operator = await client.get("/admin/audit", params={"q": me[:8]})
        assert email in by_operator.text
    with pytest.raises(Exception, match="append-only"):
        await db.execute("delete from minimaluser.tbl_audit")
    with pytest.raises(Exception, match="append-only"):
        await db.execute("update minimaluser.tbl_audit set aud_actor = 'someone else'")


async def test_operator_actions_need_a_fresh_authentication_with_the_second_factor(
    app: Any, db: PooledDatabase, clock: Clock
) -> None:
    from tests.test_mfa import code_now, member_with_totp

    async with client_for(app, "10.50.3.1") as client, client_for(app, "10.50.3.2") as member:
        email, key, secret, _ = await member_with_totp(client, clock)
        await db.execute(
            "update minimaluser.tbl_auth set aut_operator = true where aut_email = :e",
            {"e": email},
        )
        target_email, _ = await sign_up(member)
        target = await user_id(db, target_email)
        # Logged in by the key alone (the setup's session): the second factor is asked first.
        asked = await act(client, target, "disable")
        assert asked.headers["location"].startswith("/auth/reauthenticate")
        await post_form(client, "/auth/reauthenticate", {"accesskey": key, "next": "/admin/"})
        assert (
            (await act(client, target, "disable"))
            .headers["location"]
            .startswith("/auth/reauthenticate")
        ), "the key is not enough for an operator with a second factor"
        await post_form(
            client, "/auth/reauthenticate", {"code": code_now(clock, secret), "next": "/admin/"}
        )
        done = await act(client, target, "disable")
        assert done.headers["location"] == f"/admin/accounts/{target}"
        clock.offset += timedelta(minutes=11)
        late = await act(client, target, "enable")
        assert late.headers["location"].startswith("/auth/reauthenticate")


async def test_failed_mail_is_listed_retried_or_dropped(app: Any, db: PooledDatabase) -> None:
    recipient = new_email()
    await db.execute(
        "insert into minimaluser.tbl_outbox"
        " (obx_event, obx_recipient, obx_failed_at, obx_last_error, obx_attempts)"
        " values ('goodbye', :r, now(), 'SMTPRecipientsRefused', 9),"
        " ('key_changed', :r, now(), 'SMTPServerDisconnected', 9)",
        {"r": recipient},
    )
    async with client_for(app, "10.50.4.1") as client:
        await operator(client, db)
        page = await client.get("/admin/mail")
        assert recipient in page.text and "SMTPRecipientsRefused" in page.text
        ids = [int(i) for i in re.findall(r'action="/admin/mail/(\d+)/drop"', page.text)]
        assert len(ids) >= 2
        first, second = sorted(ids)[-2:]
        assert (
            await post_form(client, f"/admin/mail/{second}/drop", {}, page="/admin/mail")
        ).status_code == 303
        assert (
            await post_form(client, f"/admin/mail/{first}/retry", {}, page="/admin/mail")
        ).status_code == 303
        left = await client.get("/admin/mail")
        assert f"/admin/mail/{second}/drop" not in left.text
        assert f"/admin/mail/{first}/drop" not in left.text, "queued again, no longer failed"
        audit = await client.get("/admin/audit")
        assert "mail-drop" in audit.text and "mail-retry" in audit.text
