"""The gallery's sample data: each partial in each of its states, with values that look real.

A new partial needs its states here (or in routes/samples_security.py): tests/test_gallery.py
fails until every file under partials/ (but macros.html) is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from accounts.signup import NewAccount
from services.language import gettext, ngettext
from sql.email_changes import Pending
from sql.security_events import Event
from sql.sessions import SessionRow

THIS_SESSION = UUID("00000000-0000-4000-8000-000000000001")
OTHER_SESSION = UUID("00000000-0000-4000-8000-000000000002")
NOW = datetime(2030, 5, 17, 9, 30, tzinfo=UTC)
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15"
    " (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
ERROR_STATUSES = (400, 403, 404, 413, 429, 500, 503)


@dataclass(frozen=True)
class SampleUser:
    """What templates read of the current user (sql.sessions.CurrentUser's fields)."""

    id: int = 42
    email: str = "ada.lovelace@example.com"
    nickname: str = "brave-otter-042917-teal"
    confirmed: bool = True
    tile: str = "sample.svg"
    session_id: UUID = THIS_SESSION
    operator: bool = False


@dataclass(frozen=True)
class Sample:
    """One box of the gallery: a partial, the state it shows, and the values it needs."""

    partial: str
    state: str
    values: dict[str, Any] = field(default_factory=dict)


def profile_values(user: SampleUser, form: str = "", **values: Any) -> dict[str, Any]:
    sessions = [
        SessionRow(THIS_SESSION, "127.0.0.1", FIREFOX, NOW - timedelta(days=3), NOW),
        SessionRow(OTHER_SESSION, "203.0.113.7", IPHONE, NOW - timedelta(days=9), NOW),
    ]
    return {
        "user": user,
        "form": form,
        "done": "",
        "errors": {},
        "entered": {},
        "pending": None,
        "sessions": sessions,
        **values,
    }


def samples(user: SampleUser) -> list[Sample]:
    guest = SampleUser(confirmed=False)
    account = NewAccount(7, THIS_SESSION, user.email, user.nickname, user.tile)
    flashes = [
        ("success", gettext("Welcome back!")),
        ("info", gettext("If that address has an account, we emailed it a 6-digit code.")),
        ("warning", gettext("Your session will end soon.")),
        ("error", gettext("Something went wrong on our side. Please try again.")),
    ]
    events = [
        Event("login", "127.0.0.1", FIREFOX, NOW),
        Event("key_changed", "127.0.0.1", FIREFOX, NOW - timedelta(hours=2)),
        Event("signup", "203.0.113.7", IPHONE, NOW - timedelta(days=9)),
    ]
    profile = profile_values
    wrong_key = gettext("That is not your current access key.")
    one_ended = ngettext(
        "%(num)d other session logged out.", "%(num)d other sessions logged out.", 1
    )
    key_changed = gettext("Your access key is changed.") + " " + one_ended
    return [
        Sample("partials/navbar.html", "guest", {"user": None}),
        Sample("partials/navbar.html", "logged in", {"user": user}),
        Sample("partials/flashes.html", "one of each kind", {"take_flashes": lambda: flashes}),
        Sample("partials/flashes.html", "empty", {"take_flashes": list}),
        Sample("partials/cookie_banner.html", "no choice yet: shown", {"policy": None}),
        Sample("partials/cookie_banner.html", "chosen: hidden", {"policy": 1}),
        Sample("partials/cookie_settings_form.html", "essential only", {"policy": 1}),
        Sample("partials/cookie_settings_form.html", "with analysis", {"policy": 3}),
        Sample("partials/language_switch.html", "the page's language chosen", {}),
        Sample("partials/analytics.html", "analysis refused (hidden)", {"policy": 1}),
        Sample("partials/analytics.html", "analysis allowed (hidden)", {"policy": 3}),
        *(
            Sample("partials/error_message.html", f"status {status}", {"status": status})
            for status in ERROR_STATUSES
        ),
        Sample("partials/auth/signup_form.html", "empty", {"email": "", "error": None}),
        Sample(
            "partials/auth/signup_form.html",
            "invalid address",
            {
                "email": "ada@",
                "error": gettext("Enter a valid email address, like name@example.com."),
            },
        ),
        Sample("partials/auth/welcome.html", "after sign-up", {"account": account}),
        Sample("partials/auth/login_form.html", "empty", {"email": "", "next": "/", "error": None}),
        Sample(
            "partials/auth/login_form.html",
            "refused",
            {
                "email": user.email,
                "next": "/",
                "error": gettext("That email and access key do not match an active account."),
            },
        ),
        Sample("partials/auth/resend_form.html", "offered", {"user": guest}),
        Sample(
            "partials/auth/resend_form.html",
            "sent",
            {
                "user": guest,
                "resend_message": gettext("We sent a new link to %(email)s.", email=user.email),
            },
        ),
        Sample(
            "partials/auth/forgot_key_form.html",
            "empty",
            {"email": "", "error": None, "invalid": False},
        ),
        Sample(
            "partials/auth/forgot_key_form.html",
            "invalid address",
            {"email": "ada@", "error": gettext("Enter a valid email address."), "invalid": True},
        ),
        Sample(
            "partials/auth/reset_key_form.html",
            "empty",
            {"token": "sample-token", "otp": "", "errors": {}},
        ),
        Sample(
            "partials/auth/reset_key_form.html",
            "wrong code",
            {
                "token": "sample-token",
                "otp": "",
                "errors": {"otp": gettext("That code is wrong or has expired.")},
            },
        ),
        Sample(
            "partials/auth/reset_key_form.html",
            "keys differ",
            {
                "token": "sample-token",
                "otp": "123456",
                "errors": {"confirmaccesskey": gettext("The two keys do not match.")},
            },
        ),
        Sample("partials/profile/identity.html", "confirmed", {"user": user}),
        Sample("partials/profile/identity.html", "not confirmed yet", {"user": guest}),
        Sample("partials/profile/nickname_form.html", "as loaded", profile(user)),
        Sample("partials/profile/nickname_form.html", "not confirmed yet", profile(guest)),
        Sample(
            "partials/profile/nickname_form.html",
            "refused",
            profile(
                user,
                "nickname",
                errors={"username": gettext("That nickname is taken; try another.")},
                entered={"username": "taken-name"},
            ),
        ),
        Sample(
            "partials/profile/nickname_form.html",
            "changed",
            profile(
                user,
                "nickname",
                done=gettext("Your nickname is now %(nickname)s.", nickname=user.nickname),
            ),
        ),
        Sample("partials/profile/key_form.html", "as loaded", profile(user)),
        Sample(
            "partials/profile/key_form.html",
            "wrong current key",
            profile(user, "key", errors={"accesskey": wrong_key}),
        ),
        Sample(
            "partials/profile/key_form.html",
            "changed",
            profile(user, "key", done=key_changed),
        ),
        Sample("partials/profile/email_form.html", "as loaded", profile(user)),
        Sample(
            "partials/profile/email_form.html",
            "address taken",
            profile(
                user,
                "email",
                errors={"email": gettext("That address belongs to another account.")},
                entered={"email": "grace@example.com"},
            ),
        ),
        Sample(
            "partials/profile/email_form.html",
            "pending",
            profile(
                user,
                "email",
                done=gettext(
                    "We sent a link to %(email)s. Your address changes when you follow it;"
                    " until then the old one keeps working.",
                    email="grace@example.com",
                ),
                pending=Pending(OTHER_SESSION, user.id, "grace@example.com"),
            ),
        ),
        Sample("partials/profile/sessions.html", "two sessions", profile(user)),
        Sample(
            "partials/profile/sessions.html",
            "others logged out",
            profile(
                user,
                "sessions",
                done=one_ended,
                sessions=profile(user)["sessions"][:1],
            ),
        ),
        Sample(
            "partials/profile/events.html", "recent events", {"events": events, **profile(user)}
        ),
        Sample("partials/profile/events.html", "nothing yet", {"events": [], **profile(user)}),
        Sample("partials/profile/delete_form.html", "empty", {"form": "delete", "errors": {}}),
        Sample(
            "partials/profile/delete_form.html",
            "wrong key",
            {"form": "delete", "errors": {"accesskey": wrong_key}},
        ),
    ]
