"""The signed tokens (JWT, HS256) of sessions and emailed links, without the app around them.

decode() answers the claims of a good token for its purpose, and None for anything else.
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from types import SimpleNamespace
from typing import Any

import jwt
import pytest

from accounts import tokens
from accounts.tokens import (
    CHANGE_AUDIENCE,
    CONFIRM_AUDIENCE,
    RESET_AUDIENCE,
    SESSION_AUDIENCE,
    decode,
    encode,
)

SECRET = "a-secret-of-the-token-tests-long-enough-for-hs512-too-0123456789abcdef"
AUDIENCES = [SESSION_AUDIENCE, CONFIRM_AUDIENCE, CHANGE_AUDIENCE, RESET_AUDIENCE]


def part(data: dict[str, Any]) -> str:
    """One dot-separated part of a JWT: compact JSON in unpadded URL-safe base64."""
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


def later(seconds: float, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tokens module's clock, moved that many seconds on from now."""
    moved = time.time() + seconds
    monkeypatch.setattr(tokens, "time", SimpleNamespace(time=lambda: moved))


@pytest.mark.parametrize("audience", AUDIENCES)
def test_a_token_decodes_to_its_claims_for_its_own_purpose(audience: str) -> None:
    before = int(time.time())
    token = encode(SECRET, audience, {"sub": "42", "sid": "a-session"}, 600)
    claims = decode(SECRET, audience, token)
    assert claims is not None
    assert claims["sub"] == "42" and claims["sid"] == "a-session" and claims["aud"] == audience
    assert before <= claims["iat"] <= int(time.time())
    assert claims["exp"] == claims["iat"] + 600


@pytest.mark.parametrize(("made_for", "shown_as"), list(itertools.permutations(AUDIENCES, 2)))
def test_a_token_for_one_purpose_serves_no_other(made_for: str, shown_as: str) -> None:
    token = encode(SECRET, made_for, {"sub": "42"}, 600)
    assert decode(SECRET, shown_as, token) is None


def test_an_expired_token_is_refused() -> None:
    assert decode(SECRET, SESSION_AUDIENCE, encode(SECRET, SESSION_AUDIENCE, {}, -1)) is None
    assert decode(SECRET, SESSION_AUDIENCE, encode(SECRET, SESSION_AUDIENCE, {}, 0)) is None


def test_a_token_accepted_before_expires_all_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Signatures are checked once and remembered; the expiry is checked every time."""
    token = encode(SECRET, RESET_AUDIENCE, {"sub": "42"}, 600)
    assert decode(SECRET, RESET_AUDIENCE, token) is not None
    later(590, monkeypatch)
    assert decode(SECRET, RESET_AUDIENCE, token) is not None
    later(601, monkeypatch)
    assert decode(SECRET, RESET_AUDIENCE, token) is None


def test_a_token_signed_with_another_secret_is_refused() -> None:
    token = encode("another-site-" + SECRET, SESSION_AUDIENCE, {"sub": "42"}, 600)
    assert decode(SECRET, SESSION_AUDIENCE, token) is None


def test_a_tampered_payload_is_refused() -> None:
    token = encode(SECRET, SESSION_AUDIENCE, {"sub": "42"}, 600)
    header, _, signature = token.split(".")
    claims = claims_of(token)
    for changed in ({**claims, "sub": "1"}, {**claims, "exp": claims["exp"] + 10**6}):
        assert decode(SECRET, SESSION_AUDIENCE, f"{header}.{part(changed)}.{signature}") is None


def test_an_unsigned_alg_none_token_is_refused() -> None:
    genuine = encode(SECRET, SESSION_AUDIENCE, {"sub": "42"}, 600)
    unsigned = part({"alg": "none", "typ": "JWT"}) + "." + genuine.split(".")[1]
    assert decode(SECRET, SESSION_AUDIENCE, unsigned + ".") is None
    assert decode(SECRET, SESSION_AUDIENCE, unsigned + "." + genuine.split(".")[2]) is None


def test_a_token_of_another_algorithm_is_refused() -> None:
    now = int(time.time())
    claims = {"sub": "42", "aud": SESSION_AUDIENCE, "iat": now, "exp": now + 600}
    token = jwt.encode(claims, SECRET, algorithm="HS512")
    assert decode(SECRET, SESSION_AUDIENCE, token) is None


@pytest.mark.parametrize("missing", ["exp", "iat", "aud"])
def test_a_token_without_a_required_claim_is_refused(missing: str) -> None:
    now = int(time.time())
    claims = {"sub": "42", "aud": SESSION_AUDIENCE, "iat": now, "exp": now + 600}
    del claims[missing]
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    assert decode(SECRET, SESSION_AUDIENCE, token) is None


def test_a_token_whose_expiry_is_not_a_number_is_refused() -> None:
    now = int(time.time())
    claims = {"sub": "42", "aud": SESSION_AUDIENCE, "iat": now, "exp": str(now + 600)}
    token = jwt.encode(claims, SECRET, algorithm="HS256")
    assert decode(SECRET, SESSION_AUDIENCE, token) is None


@pytest.mark.parametrize("garbage", ["", "not-a-token", "a.b.c", "...", "x" * 5000])
def test_garbage_is_refused(garbage: str) -> None:
    assert decode(SECRET, SESSION_AUDIENCE, garbage) is None


def test_the_claims_are_a_copy_each_caller_may_change() -> None:
    token = encode(SECRET, SESSION_AUDIENCE, {"sub": "42"}, 600)
    first = decode(SECRET, SESSION_AUDIENCE, token)
    assert first is not None
    first["sub"] = "1"
    first.pop("exp")
    second = decode(SECRET, SESSION_AUDIENCE, token)
    assert second is not None and second["sub"] == "42" and "exp" in second
