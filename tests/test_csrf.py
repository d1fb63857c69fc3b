"""Every POST needs the session's CSRF token and a same-origin request; bodies are bounded."""

from __future__ import annotations

import httpx

from tests.forms import csrf_token


async def test_post_without_a_token_is_refused_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/")
    answer = await client.post("/consent", data={"choice": "all"})
    assert answer.status_code == 403
    assert "Reload the page and try again" in answer.text
    assert "cookie_policy" not in client.cookies


async def test_post_with_a_token_from_another_session_is_refused(app: object) -> None:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as alice,
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as mallory,
    ):
        stolen = await csrf_token(mallory)
        await alice.get("/")
        answer = await alice.post("/consent", data={"choice": "all", "csrf_token": stolen})
    assert answer.status_code == 403


async def test_token_in_the_htmx_header_is_accepted(client: httpx.AsyncClient) -> None:
    token = await csrf_token(client)
    answer = await client.post(
        "/consent",
        data={"choice": "essential"},
        headers={"X-CSRF-Token": token, "HX-Request": "true", "HX-Request-Type": "partial"},
    )
    assert answer.status_code == 200


async def test_cross_site_post_is_refused_even_with_a_token(client: httpx.AsyncClient) -> None:
    token = await csrf_token(client)
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        answer = await client.post(
            "/consent", data={"choice": "all", "csrf_token": token}, headers=headers
        )
        assert answer.status_code == 403
    same = await client.post(
        "/consent",
        data={"choice": "all", "csrf_token": token},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    assert same.status_code == 303


async def test_token_survives_several_forms_and_tabs(client: httpx.AsyncClient) -> None:
    first = await csrf_token(client, "/")
    second = await csrf_token(client, "/about")
    assert first == second


async def test_a_body_over_64_kib_is_refused_with_413(client: httpx.AsyncClient) -> None:
    token = await csrf_token(client)
    answer = await client.post(
        "/consent", data={"choice": "all", "csrf_token": token, "pad": "x" * 70_000}
    )
    assert answer.status_code == 413
    assert "cookie_policy" not in client.cookies


async def test_htmx_403_is_a_short_message_for_inline_display(client: httpx.AsyncClient) -> None:
    await client.get("/")
    answer = await client.post(
        "/consent",
        data={"choice": "all"},
        headers={"HX-Request": "true", "HX-Request-Type": "partial"},
    )
    assert answer.status_code == 403
    assert "data-error-message" in answer.text and "<html" not in answer.text
