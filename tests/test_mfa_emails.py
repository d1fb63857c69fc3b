"""The second factor's emails render with exactly the values their events carry."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from typing import Any, cast

import pytest
from jinja2 import UndefinedError

from services.letters import SITE, Letter, Renderer

BASE = {"base_url": "https://example.com", "recipient": "ada@example.com"}
NICKNAME = "brave-otter-042917-teal"
EVENTS: dict[str, dict[str, Any]] = {
    "mfa_enabled": {"nickname": NICKNAME},
    "mfa_disabled": {"nickname": NICKNAME, "by_operator": False},
    "recovery_regenerated": {"nickname": NICKNAME},
    "recovery_used": {"nickname": NICKNAME, "remaining": 7},
    "mfa_failures": {"nickname": NICKNAME, "ip": "203.0.113.9"},
}


def rendered(event: str, values: dict[str, Any]) -> EmailMessage:
    letter = Letter(str(uuid.uuid4()), SITE, event, BASE["recipient"], {**BASE, **values})
    return Renderer().render(letter, "Minimal+User <no-reply@localhost>")


def part(message: EmailMessage, kind: str) -> str:
    body = message.get_body(preferencelist=(kind,))
    assert body is not None, kind
    return cast(str, cast(EmailMessage, body).get_content())


@pytest.mark.parametrize("event", sorted(EVENTS))
def test_each_second_factor_email_renders_its_values_in_both_parts(event: str) -> None:
    message = rendered(event, EVENTS[event])
    text, html = part(message, "plain"), part(message, "html")
    assert message["Subject"].strip()
    assert not message["Subject"].startswith("Subject")
    for value in EVENTS[event].values():
        if isinstance(value, str):
            assert value in text and value in html
    assert "{{" not in text and "{%" not in text
    assert "{{" not in html and "{%" not in html
    assert "https://example.com/auth/forgotkey" in text
    assert "https://example.com/auth/mfa" in text
    assert html.lstrip().startswith("<!doctype html>")


def test_every_second_factor_email_needs_no_value_beyond_its_own() -> None:
    for event, values in EVENTS.items():
        for missing in values:
            with pytest.raises(UndefinedError, match=missing):
                rendered(event, {k: v for k, v in values.items() if k != missing})


def test_turned_off_by_support_says_so_and_by_the_user_does_not() -> None:
    by_user = part(rendered("mfa_disabled", EVENTS["mfa_disabled"]), "plain")
    by_support = part(
        rendered("mfa_disabled", {"nickname": NICKNAME, "by_operator": True}), "plain"
    )
    assert "support" not in by_user
    assert "At your request, our support team" in by_support


@pytest.mark.parametrize(
    ("remaining", "phrase", "asks_for_new_ones"),
    [
        (0, "0 recovery codes left", True),
        (1, "1 recovery code left", True),
        (2, "2 recovery codes left", True),
        (3, "3 recovery codes left", False),
        (9, "9 recovery codes left", False),
    ],
)
def test_recovery_used_counts_what_is_left_and_asks_for_new_codes_when_few(
    remaining: int, phrase: str, asks_for_new_ones: bool
) -> None:
    message = rendered("recovery_used", {"nickname": NICKNAME, "remaining": remaining})
    text, html = part(message, "plain"), part(message, "html")
    assert phrase in text and phrase in html
    assert ("Make new ones" in text) is asks_for_new_ones
    assert ("Make new ones" in html) is asks_for_new_ones


def test_failures_email_tells_to_change_the_key_now() -> None:
    text = part(rendered("mfa_failures", EVENTS["mfa_failures"]), "plain")
    assert "five times" in text and "203.0.113.9" in text
    assert "change the key now" in text
