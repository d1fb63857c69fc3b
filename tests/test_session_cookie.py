"""The signed session cookie on a small app of its own: no database, no lifespan.

SessionCookieMiddleware loads the cookie into a Session and writes it back only when a request
changed it; anything it cannot trust (tampered, signed elsewhere, too old) makes a guest.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import httpx
import pytest
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from web import session as session_module
from web.session import (
    COOKIE,
    COOKIE_MAX_AGE,
    HOST_COOKIE,
    Session,
    SessionCookieMiddleware,
    session_of,
)

SECRET = "a-secret-of-the-session-cookie-tests-0123456789"


async def show(request: Request) -> Response:
    """Reads the session and changes nothing."""
    return JSONResponse(dict(session_of(request)))


async def token(request: Request) -> Response:
    """The CSRF token: made, and the session changed, on the first visit only."""
    return PlainTextResponse(session_of(request).csrf_token())


async def log_in(request: Request) -> Response:
    session = session_of(request)
    session.set("t", "a-jwt")
    if "remember" in request.query_params:
        session.set("r", 1)
    return PlainTextResponse("in")


async def log_out(request: Request) -> Response:
    session = session_of(request)
    for key in list(session):
        session.drop(key)
    return PlainTextResponse("out")


async def flash(request: Request) -> Response:
    """Adds a flash to the list in place, as a careless endpoint might, without saying so."""
    flashes = session_of(request).setdefault("f", [])
    flashes.append("new")
    return JSONResponse(flashes)


def app_with(*, secure: bool = False) -> Starlette:
    return Starlette(
        routes=[
            Route("/", show),
            Route("/token", token),
            Route("/login", log_in),
            Route("/logout", log_out),
            Route("/flash", flash),
        ],
        middleware=[Middleware(SessionCookieMiddleware, secret_key=SECRET, secure=secure)],
    )


def set_cookie(response: httpx.Response, name: str = COOKIE) -> str | None:
    """The response's Set-Cookie line for the session cookie, if it wrote one."""
    lines = [
        line for line in response.headers.get_list("set-cookie") if line.startswith(f"{name}=")
    ]
    assert len(lines) <= 1, lines
    return lines[0] if lines else None


def value_in(line: str | None) -> str:
    assert line is not None, "no session cookie was written"
    return line.split(";", 1)[0].removeprefix(f"{COOKIE}=")


def signed(session: dict[str, object], secret: str = SECRET) -> str:
    """A cookie value as the middleware with that secret writes it."""
    middleware = SessionCookieMiddleware(Starlette(), secret_key=secret, secure=False)
    return middleware.dumps(Session(session))


def browser(app: Starlette) -> httpx.AsyncClient:
    """A client that keeps its cookies, as a browser does."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def visit(
    path: str, cookie: str | None = None, *, app: Starlette | None = None
) -> httpx.Response:
    """One request from a fresh browser, carrying that session cookie if any."""
    headers = {"Cookie": f"other=1; {COOKIE}={cookie}; theme=dark"} if cookie is not None else {}
    async with browser(app or app_with()) as client:
        return await client.get(path, headers=headers)


def later(seconds: float, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session module's clock, moved that many seconds on from now."""
    moved = time.time() + seconds
    monkeypatch.setattr(session_module, "time", SimpleNamespace(time=lambda: moved))


async def test_a_visit_that_changes_nothing_writes_no_cookie() -> None:
    answer = await visit("/")
    assert answer.json() == {}
    assert set_cookie(answer) is None
    assert "cache-control" not in answer.headers


async def test_a_changed_session_is_written_once_and_read_back() -> None:
    async with browser(app_with()) as client:
        first = await client.get("/token")
        assert set_cookie(first) is not None
        again = await client.get("/token")
        assert again.text == first.text, "the same token, from the cookie"
        assert set_cookie(again) is None, "nothing changed: nothing written"
        assert (await client.get("/")).json() == {"c": first.text}


async def test_a_written_cookie_is_never_cached() -> None:
    answer = await visit("/token")
    assert set_cookie(answer) is not None
    assert answer.headers["cache-control"] == "no-store"


async def test_the_cookie_is_found_among_others() -> None:
    answer = await visit("/", signed({"t": "a-jwt"}))
    assert answer.json() == {"t": "a-jwt"}
    assert set_cookie(answer) is None


async def test_a_tampered_cookie_makes_a_guest_and_is_cleared() -> None:
    mine, theirs = signed({"t": "my-jwt"}), signed({"t": "their-jwt"})
    their_payload_my_signature = theirs.split(".", 1)[0] + "." + mine.split(".", 1)[1]
    signature = mine.rindex(".") + 1
    flipped = mine[:signature] + ("A" if mine[signature] != "A" else "B") + mine[signature + 1 :]
    for tampered in (their_payload_my_signature, flipped):
        answer = await visit("/", tampered)
        assert answer.json() == {}
        assert set_cookie(answer) == f"{COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"


def test_a_written_cookie_is_the_serializers_own_format_signed_with_the_newest_secret() -> None:
    older = "an-older-secret-" + SECRET
    middleware = SessionCookieMiddleware(
        Starlette(), secret_key=SECRET, secure=False, fallbacks=(older,)
    )
    content = {"c": "a-token", "f": [["info", "Ciao, è tutto a posto"]]}
    value = middleware.dumps(Session(content))
    assert URLSafeTimedSerializer(SECRET, salt="session-cookie").loads(value) == content
    with pytest.raises(BadSignature):
        URLSafeTimedSerializer(older, salt="session-cookie").loads(value)


async def test_a_cookie_signed_with_another_secret_makes_a_guest() -> None:
    answer = await visit("/", signed({"t": "a-jwt"}, secret="another-site-" + SECRET))
    assert answer.json() == {}
    assert value_in(set_cookie(answer)) == ""


@pytest.mark.parametrize("garbage", ["", "not-a-cookie", "a.b.c", "%00%ff"])
async def test_garbage_in_the_cookie_makes_a_guest(garbage: str) -> None:
    answer = await visit("/", garbage)
    assert answer.json() == {}


async def test_a_well_signed_cookie_that_is_not_a_mapping_makes_a_guest() -> None:
    listed = URLSafeTimedSerializer(SECRET, salt="session-cookie").dumps(["t", "a-jwt"])
    answer = await visit("/", listed)
    assert answer.json() == {}
    assert value_in(set_cookie(answer)) == ""


async def test_a_cookie_is_accepted_until_its_max_age(monkeypatch: pytest.MonkeyPatch) -> None:
    value = signed({"t": "a-jwt"})
    later(COOKIE_MAX_AGE - 60, monkeypatch)
    assert (await visit("/", value)).json() == {"t": "a-jwt"}


async def test_an_expired_cookie_is_refused_even_once_it_was_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    value = signed({"t": "a-jwt"})
    app = app_with()
    assert (await visit("/", value, app=app)).json() == {"t": "a-jwt"}
    later(COOKIE_MAX_AGE + 1, monkeypatch)
    answer = await visit("/", value, app=app)
    assert answer.json() == {}
    assert value_in(set_cookie(answer)) == ""


async def test_remember_me_keeps_the_cookie_for_its_max_age() -> None:
    answer = await visit("/login?remember")
    line = set_cookie(answer)
    assert line is not None and f"; Max-Age={COOKIE_MAX_AGE};" in line
    assert "expires" not in line.lower()


async def test_without_remember_me_the_cookie_ends_with_the_browser() -> None:
    line = set_cookie(await visit("/login"))
    assert line is not None and "max-age" not in line.lower() and "expires" not in line.lower()


@pytest.mark.parametrize("secure", [False, True])
async def test_every_cookie_is_httponly_and_samesite_lax_and_secure_only_when_asked(
    secure: bool,
) -> None:
    app = app_with(secure=secure)
    name = HOST_COOKIE if secure else COOKIE
    written = set_cookie(await visit("/login?remember", app=app), name)
    cleared = set_cookie(await visit("/", "tampered", app=app), name)
    for line in (written, cleared):
        assert line is not None
        attributes = line.split("; ")[1:]
        assert "Path=/" in attributes and "HttpOnly" in attributes and "SameSite=Lax" in attributes
        assert ("Secure" in attributes) is secure


async def test_logging_out_clears_the_cookie() -> None:
    async with browser(app_with()) as client:
        await client.get("/login?remember")
        answer = await client.get("/logout")
    assert set_cookie(answer) == f"{COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
    assert answer.headers["cache-control"] == "no-store"


async def test_a_list_changed_in_place_does_not_leak_into_the_next_request() -> None:
    """The middleware verifies each cookie value once and keeps the payload: every request
    gets lists of its own, so one request's changes never reach another's session."""
    value = signed({"f": ["saved"]})
    app = app_with()
    assert (await visit("/flash", value, app=app)).json() == ["saved", "new"]
    assert (await visit("/flash", value, app=app)).json() == ["saved", "new"]


def test_the_session_marks_itself_changed_only_for_a_real_change() -> None:
    session = Session({"t": "a-jwt"})
    session.set("t", "a-jwt")
    session.drop("missing")
    assert not session.modified
    session.set("t", "another-jwt")
    assert session.modified
    fresh = Session()
    fresh.drop("t")
    assert not fresh.modified
    token = fresh.csrf_token()
    assert fresh.modified and fresh.csrf_token() == token and len(token) >= 32
