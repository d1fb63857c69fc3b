"""The gallery's states of the sign-in security partials: the second factor, its recovery
codes, the code step of a login and re-authentication."""

from __future__ import annotations

from html import escape

from accounts.login_code import CODE_FAILED, SENT
from accounts.mfa import WRONG_CODE, WRONG_SETUP_CODE, Status
from routes.samples import Sample, SampleUser
from services.language import gettext, ngettext

SAMPLE_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - a sample shown in the gallery
CODES = [
    f"{a}{a}{a}{a}{a}-{b}{b}{b}{b}{b}" for a, b in zip("BCDFGHJKMN", "PQRSTVWXYZ", strict=True)
]
QR = (
    '<svg width="96" height="96" class="qr"><title>%(title)s</title>'
    '<rect width="96" height="96" fill="#fff"/><path stroke="#000" stroke-width="8"'
    ' d="M8 12h24M64 12h24M8 84h24M44 48h8"/></svg>'
)


def security_samples(user: SampleUser) -> list[Sample]:
    guest = SampleUser(confirmed=False)
    off, on, low = Status(False, 0), Status(True, 10), Status(True, 2)
    qr = QR % {"title": escape(gettext("QR code of the secret"))}
    setup = {"secret": SAMPLE_SECRET, "qr": qr, "errors": {}}
    reauth = {"next": "/auth/mfa", "again": False, "totp": False, "errors": {}}
    ask = {"stage": "code", "email": "", "errors": {}, "message": "", "next": "/"}
    return [
        Sample("partials/profile/security.html", "off", {"user": user, "mfa": off}),
        Sample("partials/profile/security.html", "not confirmed yet", {"user": guest, "mfa": off}),
        Sample("partials/profile/security.html", "on", {"user": user, "mfa": on}),
        Sample("partials/profile/security.html", "few codes left", {"user": user, "mfa": low}),
        Sample("partials/mfa/status.html", "off", {"status": off}),
        Sample("partials/mfa/status.html", "on", {"status": on}),
        Sample("partials/mfa/status.html", "few codes left", {"status": low}),
        Sample("partials/mfa/totp_setup.html", "as loaded", setup),
        Sample(
            "partials/mfa/totp_setup.html",
            "wrong code",
            {**setup, "errors": {"code": gettext(WRONG_SETUP_CODE)}},
        ),
        Sample(
            "partials/mfa/recovery_codes.html",
            "just turned on",
            {"codes": CODES, "just_enabled": True},
        ),
        Sample(
            "partials/mfa/recovery_codes.html",
            "made again",
            {"codes": CODES, "just_enabled": False},
        ),
        Sample("partials/auth/verify_form.html", "as loaded", {"next": "/", "errors": {}}),
        Sample(
            "partials/auth/verify_form.html",
            "wrong code",
            {"next": "/", "errors": {"code": gettext(WRONG_CODE)}},
        ),
        Sample(
            "partials/auth/verify_form.html",
            "too many codes",
            {
                "next": "/",
                "errors": {},
                "error": ngettext(
                    "Too many attempts. Please wait %(num)d second and try again.",
                    "Too many attempts. Please wait %(num)d seconds and try again.",
                    60,
                ),
            },
        ),
        Sample("partials/auth/login_code_form.html", "ask for a code", {**ask, "stage": "email"}),
        Sample(
            "partials/auth/login_code_form.html",
            "invalid address",
            {
                **ask,
                "stage": "email",
                "email": "ada@",
                "errors": {"email": gettext("Enter a valid email.")},
            },
        ),
        Sample(
            "partials/auth/login_code_form.html", "code sent", {**ask, "message": gettext(SENT)}
        ),
        Sample(
            "partials/auth/login_code_form.html",
            "wrong code",
            {**ask, "errors": {"code": gettext(CODE_FAILED)}},
        ),
        Sample("partials/auth/reauth_form.html", "key only", reauth),
        Sample("partials/auth/reauth_form.html", "key or code", {**reauth, "totp": True}),
        Sample(
            "partials/auth/reauth_form.html",
            "after an interrupted form",
            {**reauth, "again": True, "totp": True},
        ),
        Sample(
            "partials/auth/reauth_form.html",
            "wrong key",
            {**reauth, "errors": {"accesskey": gettext("That email and access key do not match.")}},
        ),
    ]
