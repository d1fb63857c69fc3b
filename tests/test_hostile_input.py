"""Every form filled with hostile values: never a 5xx, nothing stored on refusal, output escaped."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.accounts_helpers import sign_up
from tests.forms import csrf_token

NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b@example.com",
    "\r\nBcc: victim@example.com",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' or 1=1 --",
    "'; drop table minimaluser.tbl_auth; --",
    "%00%0d%0a",
    "😀" * 50,
    "\u202etxt.exe",
    "A" * 5000,
    "x@" + "y" * 300 + ".com",
    "//evil.example",
    "javascript:alert(1)",
    "../../etc/passwd",
    "@",
    "a@b",
    "name@example.com",
]
hostile = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=200),
    st.text(
        alphabet=st.characters(codec="utf-8", categories=["Cc", "Cs", "Zs", "Po", "Sm"]),
        max_size=80,
    ),
)
FORMS: dict[str, tuple[str, ...]] = {
    "/auth/signup": ("email",),
    "/auth/login": ("email", "key", "next", "remember"),
    "/consent": ("choice", "next", "analysis"),
    "/auth/forgotkey": ("email",),
    "/auth/resetkey/not-a-token": ("otp", "newaccesskey", "confirmaccesskey"),
    "/auth/login/code": ("email", "code", "next"),
    "/auth/login/verify": ("code", "next"),
}
PROFILE_FORMS: dict[str, tuple[str, ...]] = {
    "/auth/userprofile/nickname": ("username",),
    "/auth/userprofile/key": ("accesskey", "newaccesskey", "confirmaccesskey"),
    "/auth/userprofile/email": ("email", "accesskey"),
    "/auth/userprofile": ("username",),
    "/auth/deleteaccount": ("accesskey",),
    "/auth/reauthenticate": ("accesskey", "code", "next", "again"),
    "/auth/mfa/totp": ("code",),
    "/auth/userprofile/export": ("next",),
}
PATHS = (
    "/album/imagedetails/{}",
    "/emailconfirmationhtml/{}",
    "/auth/resetkey/{}",
    "/tiles/{}",
    "/auth/login?next={}",
    "/auth/login/code?next={}",
    "/auth/reauthenticate?next={0}&again={0}",
)
ADMIN_PATHS = (
    "/admin/?q={}",
    "/admin/?before={}",
    "/admin/?q=a&after={}",
    "/admin/audit?q={}",
    "/admin/audit?before={}",
    "/admin/accounts/{}",
)
ADDRESSES = itertools.count(1)
CHEAP = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def visitor(app: Any) -> httpx.AsyncClient:
    n = next(ADDRESSES)
    transport = httpx.ASGITransport(app=app, client=(f"10.77.{n // 250}.{n % 250 + 1}", 999))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def assert_safe(answer: httpx.Response, values: dict[str, str]) -> None:
    assert answer.status_code < 500, (answer.status_code, values)
    for value in values.values():
        if "<" in value and len(value) > 3:
            assert value not in answer.text, value


async def snapshot(app: Any) -> list[Any]:
    rows = await app.state.services.db.fetch_all(
        "select aut_id, aut_email, aut_key, aut_name, aut_confirmed from minimaluser.tbl_auth"
        " order by aut_id"
    )
    return [tuple(r.values()) for r in rows]


@CHEAP
@given(form=st.sampled_from(sorted(FORMS)), data=st.data())
async def test_guest_forms_survive_hostile_values(app: Any, form: str, data: st.DataObject) -> None:
    values = {name: data.draw(hostile, label=name) for name in FORMS[form]}
    async with visitor(app) as c:
        token = await csrf_token(c, "/auth/signup")
        before = await snapshot(app)
        answer = await c.post(form, data={**values, "csrf_token": token})
        assert_safe(answer, values)
        if answer.status_code >= 400:
            assert await snapshot(app) == before


@CHEAP
@given(form=st.sampled_from(sorted(PROFILE_FORMS)), data=st.data())
async def test_profile_forms_survive_hostile_values(
    app: Any, form: str, data: st.DataObject
) -> None:
    values = {name: data.draw(hostile, label=name) for name in PROFILE_FORMS[form]}
    async with visitor(app) as c:
        await sign_up(c)
        token = await csrf_token(c, "/auth/userprofile")
        before = await snapshot(app)
        answer = await c.post(form, data={**values, "csrf_token": token})
        assert_safe(answer, values)
        if answer.status_code >= 400:
            assert await snapshot(app) == before


@CHEAP
@given(template=st.sampled_from(PATHS), value=hostile)
async def test_hostile_paths_and_queries_never_fail(app: Any, template: str, value: str) -> None:
    async with visitor(app) as c:
        await sign_up(c)
        try:
            answer = await c.get(template.format(value))
        except httpx.InvalidURL:
            return
        assert answer.status_code < 500
        if "<" in value and len(value) > 3:
            assert value not in answer.text


async def test_a_nul_character_in_any_guest_field_is_harmless(app: Any) -> None:
    for form, names in FORMS.items():
        values = {name: "a\x00b@example.com" for name in names}
        async with visitor(app) as c:
            token = await csrf_token(c, "/auth/signup")
            answer = await c.post(form, data={**values, "csrf_token": token})
            assert answer.status_code < 500, form


@CHEAP
@given(template=st.sampled_from(ADMIN_PATHS), value=hostile)
async def test_hostile_operator_searches_and_pages_never_fail(
    app: Any, template: str, value: str
) -> None:
    async with visitor(app) as c:
        email, _ = await sign_up(c)
        await app.state.services.db.execute(
            "update minimaluser.tbl_auth set aut_operator = true where aut_email = :e",
            {"e": email},
        )
        try:
            answer = await c.get(template.format(value))
        except httpx.InvalidURL:
            return
        assert answer.status_code < 500, (template, value)
        if "<" in value and len(value) > 3:
            assert value not in answer.text
