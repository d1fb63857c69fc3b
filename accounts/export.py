"""The user's own data (GDPR art. 20), no HTTP: everything the site keeps about an account, as
a JSON document. Only metadata: never a key hash, a secret, a code, a token or an email's
context (which may name one)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from accounts.runtime import Services
from accounts.security_log import describe
from services.language import N_, gettext
from sql import email_changes, export, recovery_codes, security_events
from sql.sessions import CurrentUser

FORMAT = "minimal-user-export/1"
MAX_EVENTS = 10_000
# The cookie_policy cookie's codes (web/state.py): the original site's, analysis on 2 and 3.
COOKIE_CHOICES = {
    0: N_("essential cookies only"),
    1: N_("essential cookies only"),
    2: N_("essential and analysis cookies"),
    3: N_("essential and analysis cookies"),
}
NO_CHOICE = N_("no choice made in this browser: essential cookies only")


def filename(day: date) -> str:
    return f"minimal-user-data-{day.isoformat()}.json"


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def cookie_choice(policy: int | None) -> dict[str, Any]:
    meaning = NO_CHOICE if policy is None else COOKIE_CHOICES.get(policy, NO_CHOICE)
    return {"code": policy, "meaning": gettext(meaning)}


def _email_status(mail: export.Email) -> str:
    return "sent" if mail.sent_at else "failed" if mail.failed_at else "pending"


async def user_data(svc: Services, current: CurrentUser, policy: int | None) -> dict[str, Any]:
    """What the site keeps about `current`, and this browser's cookie choice (`policy`)."""
    db, user_id = svc.db, current.id
    account = await export.account(db, user_id)
    if account is None:
        raise LookupError(user_id)
    pending = await email_changes.of_user(db, user_id)
    sessions = await export.sessions(db, user_id)
    events = await security_events.recent(db, user_id, MAX_EVENTS)
    totp_since = await export.totp_since(db, user_id)
    codes_left = await recovery_codes.left(db, user_id) if totp_since else 0
    passkeys = await export.passkeys(db, user_id)
    emails = await export.emails(db, user_id)
    return {
        "format": FORMAT,
        "exported_at": _time(svc.clock.now()),
        "account": {
            "email": account.email,
            "nickname": account.nickname,
            "created": _time(account.created),
            "confirmed": account.confirmed,
            "confirmed_at": _time(account.confirmed_at),
            "pending_email_change": pending.new_email if pending else None,
            "language": account.language,
        },
        "sessions": [
            {
                "created": _time(s.created),
                "last_seen": _time(s.last_seen),
                "ip": s.ip,
                "user_agent": s.user_agent,
                "remember": s.remember,
                "this_browser": s.id == str(current.session_id),
            }
            for s in sessions
        ],
        "security_log": [
            {
                "event": e.event,
                "description": describe(e),
                "detail": e.detail,
                "at": _time(e.at),
                "ip": e.ip,
                "user_agent": e.user_agent,
            }
            for e in events
        ],
        "second_factor": {
            "authenticator_app": totp_since is not None,
            "authenticator_app_since": _time(totp_since),
            "recovery_codes_left": codes_left,
        },
        "passkeys": [
            {"name": p.name, "created": _time(p.created), "last_used": _time(p.last_used)}
            for p in passkeys
        ],
        "cookie_choice": cookie_choice(policy),
        "emails": [
            {
                "event": m.event,
                "to": m.recipient,
                "written": _time(m.created),
                "status": _email_status(m),
                "sent": _time(m.sent_at),
                "language": m.language,
            }
            for m in emails
        ],
    }


def as_json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode()
