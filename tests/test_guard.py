"""The guard of unsafe requests on a small app of its own: no database, no lifespan.

Stacked as in app.py, under the session cookie that holds the CSRF token: a POST (PUT, PATCH,
DELETE) passes with a bounded body, from this site, with the session's token in its form or in
the X-CSRF-Token header; anything else gets the refusal app with scope["refusal"] = 403 or 413.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from web.guard import MAX_BODY, GuardMiddleware
from web.session import SessionCookieMiddleware, session_of

BASE_URL = "http://testserver"
OTHER_SITE = "https://elsewhere.example"
SECRET = "a-secret-of-the-guard-tests-0123456789"


async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
    status = scope["refusal"]
    await PlainTextResponse(f"refused {status}", status_code=status)(scope, receive, send)


async def form(request: Request) -> Response:
    """GET: the session's CSRF token. Otherwise the form the endpoint read, or its raw body."""
    if request.method == "GET":
        return PlainTextResponse(session_of(request).csrf_token())
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return JSONResponse(dict(await request.form()))
    return JSONResponse({"body": len(await request.body())})


def guarded_app(base_url: str = BASE_URL) -> Starlette:
    return Starlette(
        routes=[Route("/form", form, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])],
        middleware=[
            Middleware(SessionCookieMiddleware, secret_key=SECRET, secure=False),
            Middleware(GuardMiddleware, base_url=base_url, refuse=refuse),
        ],
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=guarded_app())
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as c:
        yield c


@pytest.fixture
async def token(client: httpx.AsyncClient) -> str:
    """The token of the client's session, which its cookie now carries."""
    return (await client.get("/form")).text


def refused(answer: httpx.Response, status: int) -> bool:
    return answer.status_code == status and answer.text == f"refused {status}"


async def test_a_get_passes_untouched_whatever_its_origin(client: httpx.AsyncClient) -> None:
    answer = await client.get(
        "/form", headers={"Origin": OTHER_SITE, "Sec-Fetch-Site": "cross-site"}
    )
    assert answer.status_code == 200 and answer.text


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
async def test_an_unsafe_request_without_a_token_is_refused(
    client: httpx.AsyncClient, token: str, method: str
) -> None:
    answer = await client.request(method, "/form", data={"name": "x"})
    assert refused(answer, 403)


async def test_a_session_without_a_token_accepts_none(client: httpx.AsyncClient) -> None:
    for sent in ("", "None", "anything"):
        assert refused(await client.post("/form", data={"csrf_token": sent}), 403)
        assert refused(await client.post("/form", headers={"X-CSRF-Token": sent}), 403)


async def test_the_right_form_token_passes_and_the_endpoint_reads_the_whole_form(
    client: httpx.AsyncClient, token: str
) -> None:
    fields = {"csrf_token": token, "email": "someone@example.com", "note": "ä" * 5000}
    answer = await client.post("/form", data=fields)
    assert answer.status_code == 200
    assert answer.json() == fields


async def test_a_body_in_several_chunks_reaches_the_endpoint_whole(
    client: httpx.AsyncClient, token: str
) -> None:
    body = urlencode({"csrf_token": token, "note": "n" * 20_000}).encode()

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    answer = await client.post(
        "/form",
        content=chunks(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": str(len(body)),
        },
    )
    assert answer.status_code == 200
    assert answer.json() == {"csrf_token": token, "note": "n" * 20_000}


async def test_the_token_in_the_x_csrf_token_header_passes(
    client: httpx.AsyncClient, token: str
) -> None:
    answer = await client.post("/form", json={"any": "thing"}, headers={"X-CSRF-Token": token})
    assert answer.status_code == 200
    assert answer.json() == {"body": len(b'{"any":"thing"}')}


async def test_a_wrong_token_is_refused(client: httpx.AsyncClient, token: str) -> None:
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert refused(await client.post("/form", data={"csrf_token": wrong}), 403)
    assert refused(await client.post("/form", headers={"X-CSRF-Token": wrong}), 403)


async def test_a_wrong_header_token_is_not_saved_by_a_right_form_token(
    client: httpx.AsyncClient, token: str
) -> None:
    answer = await client.post("/form", data={"csrf_token": token}, headers={"X-CSRF-Token": "x"})
    assert refused(answer, 403)


async def test_a_form_token_counts_only_in_a_urlencoded_form(
    client: httpx.AsyncClient, token: str
) -> None:
    assert refused(await client.post("/form", json={"csrf_token": token}), 403)


async def test_a_token_from_another_session_is_refused(
    client: httpx.AsyncClient, token: str
) -> None:
    transport = httpx.ASGITransport(app=guarded_app())
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as other:
        await other.get("/form")
        assert refused(await other.post("/form", data={"csrf_token": token}), 403)


async def test_an_origin_of_another_site_is_refused_even_with_the_right_token(
    client: httpx.AsyncClient, token: str
) -> None:
    for origin in (OTHER_SITE, "http://testserver.elsewhere.example", "null"):
        answer = await client.post("/form", data={"csrf_token": token}, headers={"Origin": origin})
        assert refused(answer, 403), origin


async def test_this_sites_origin_passes(client: httpx.AsyncClient, token: str) -> None:
    answer = await client.post("/form", data={"csrf_token": token}, headers={"Origin": BASE_URL})
    assert answer.status_code == 200


async def test_an_origin_naming_the_requests_own_host_passes() -> None:
    """Reached under another name than BASE_URL's (a proxy's, say), the browser's Origin names
    the host it asked for."""
    transport = httpx.ASGITransport(app=guarded_app("https://example.com"))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        own = (await client.get("/form")).text
        answer = await client.post("/form", data={"csrf_token": own}, headers={"Origin": BASE_URL})
        assert answer.status_code == 200


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
async def test_a_request_from_another_site_by_fetch_metadata_is_refused(
    client: httpx.AsyncClient, token: str, site: str
) -> None:
    answer = await client.post(
        "/form", data={"csrf_token": token}, headers={"Sec-Fetch-Site": site}
    )
    assert refused(answer, 403)


@pytest.mark.parametrize("site", ["same-origin", "none"])
async def test_a_request_from_this_site_or_the_user_by_fetch_metadata_passes(
    client: httpx.AsyncClient, token: str, site: str
) -> None:
    answer = await client.post(
        "/form", data={"csrf_token": token}, headers={"Sec-Fetch-Site": site}
    )
    assert answer.status_code == 200


async def test_without_origin_or_fetch_metadata_the_token_alone_decides(
    client: httpx.AsyncClient, token: str
) -> None:
    assert (await client.post("/form", data={"csrf_token": token})).status_code == 200
    assert refused(await client.post("/form", data={"csrf_token": token + "x"}), 403)


async def test_a_body_of_64_kib_passes_and_one_byte_more_is_refused(
    client: httpx.AsyncClient, token: str
) -> None:
    headers = {"X-CSRF-Token": token, "Content-Type": "application/octet-stream"}
    at_most = await client.post("/form", content=b"x" * MAX_BODY, headers=headers)
    assert at_most.status_code == 200 and at_most.json() == {"body": MAX_BODY}
    assert refused(await client.post("/form", content=b"x" * (MAX_BODY + 1), headers=headers), 413)


async def test_a_large_form_is_refused_before_its_token_is_checked(
    client: httpx.AsyncClient,
) -> None:
    assert refused(await client.post("/form", data={"note": "x" * MAX_BODY}), 413)


async def test_a_body_longer_than_its_content_length_is_refused(
    client: httpx.AsyncClient, token: str
) -> None:
    answer = await client.post(
        "/form",
        content=b"x" * (MAX_BODY + 1),
        headers={"X-CSRF-Token": token, "Content-Length": "10"},
    )
    assert refused(answer, 413)


@pytest.mark.parametrize("declared", ["ten", "-1", "1e3", "0x10", " 10"])
async def test_a_content_length_that_is_not_a_plain_number_is_refused(
    client: httpx.AsyncClient, token: str, declared: str
) -> None:
    answer = await client.post(
        "/form", content=b"", headers={"X-CSRF-Token": token, "Content-Length": declared}
    )
    assert refused(answer, 413)


async def test_a_client_that_leaves_mid_body_gets_no_answer() -> None:
    """Straight ASGI, as a server would call it: half a body, then the client is gone."""
    reached: list[Scope] = []

    async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(scope)

    app = GuardMiddleware(endpoint, base_url=BASE_URL, refuse=refuse)
    incoming: list[Message] = [
        {"type": "http.request", "body": b"csrf_token=", "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "method": "POST",
        "path": "/form",
        "headers": [(b"content-length", b"100")],
        "session_cookie": {"c": "token"},
    }
    await app(scope, receive, send)
    assert sent == [] and reached == [] and incoming == []
