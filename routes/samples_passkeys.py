"""The gallery's states of the passkey partials: the list on the sign-in security page, the
button of the login page and the one of the second step."""

from __future__ import annotations

from datetime import timedelta

from accounts.passkeys import NAME_NEEDED, NOT_FOUND
from routes.samples import NOW, Sample, SampleUser
from services.language import gettext
from sql.passkeys import Passkey

LAPTOP = Passkey(
    1,
    42,
    b"laptop",
    b"",
    3,
    b"handle",
    "Laptop",
    NOW - timedelta(days=30),
    NOW - timedelta(hours=2),
)
KEY = Passkey(2, 42, b"key", b"", 0, b"handle", "Security key", NOW - timedelta(days=1), None)


def passkey_samples(user: SampleUser) -> list[Sample]:
    listed = {"user": user, "passkeys": [LAPTOP, KEY], "done": "", "errors": {}}
    return [
        Sample("partials/mfa/passkeys.html", "none yet", {**listed, "passkeys": []}),
        Sample("partials/mfa/passkeys.html", "two passkeys", listed),
        Sample(
            "partials/mfa/passkeys.html",
            "renamed",
            {**listed, "done": gettext("Renamed to “%(name)s”.", name=LAPTOP.name)},
        ),
        Sample(
            "partials/mfa/passkeys.html",
            "name refused",
            {**listed, "errors": {f"name-{LAPTOP.id}": gettext(NAME_NEEDED)}},
        ),
        Sample(
            "partials/mfa/passkeys.html",
            "not found",
            {**listed, "errors": {"": gettext(NOT_FOUND)}},
        ),
        Sample("partials/auth/passkey_signin.html", "as loaded", {"next": "/"}),
        Sample("partials/auth/passkey_verify.html", "passkey only", {"next": "/", "totp": False}),
        Sample("partials/auth/passkey_verify.html", "passkey or code", {"next": "/", "totp": True}),
        Sample("partials/auth/passkey_reauth.html", "as loaded", {"next": "/auth/mfa"}),
    ]
