"""Queries on minimaluser.tbl_security_event: the account's security log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sql.pool import PooledDatabase
from sql.query import execute, fetch_all

LABELS = {
    "signup": "Account created",
    "email_confirmed": "Email address confirmed",
    "login": "Logged in",
    "login_failed": "Failed login",
    "account_locked": "Logins paused after too many wrong keys",
    "account_unlocked": "Logins resumed: the mailbox was proven",
    "logout": "Logged out",
    "sessions_ended_by_confirmation": "Other sessions logged out by the confirmation link",
    "key_changed": "Access key changed",
    "email_change_requested": "Email change requested",
    "email_changed": "Email address changed",
    "reset_requested": "New key requested",
    "reset_done": "Access key reset",
    "sessions_ended": "Other sessions logged out",
    "sessions_ended_by_reset": "Every session logged out by the key reset",
    "account_deleted": "Account deleted",
    "account_disabled": "Account disabled by an operator",
    "account_enabled": "Account enabled by an operator",
    "login_key_accepted": "Access key accepted; code asked",
    "mfa_code_failed": "Wrong second-factor code",
    "mfa_failures": "Login stopped after five wrong codes",
    "mfa_enabled": "Authenticator app turned on",
    "mfa_disabled": "Authenticator app turned off",
    "mfa_reset": "Second factor reset by an operator",
    "recovery_regenerated": "New recovery codes made",
    "recovery_used": "Recovery code used",
    "reauthenticated": "Confirmed it was you",
    "login_code_requested": "Login code asked for",
    "login_code_accepted": "Login code accepted; second factor asked",
    "sessions_ended_by_login_code": "Other sessions logged out by a login code",
    "passkey_added": "Passkey added",
    "passkey_removed": "Passkey removed",
    "passkey_renamed": "Passkey renamed",
}


METHODS = {
    "key": "with the access key",
    "link": "with the confirmation link",
    "totp": "with a code from the authenticator app",
    "code": "with a second-factor code",
    "recovery": "with a recovery code",
    "passkey": "with a passkey",
    "login_code": "with an emailed login code",
}


@dataclass(frozen=True)
class Event:
    event: str
    ip: str | None
    user_agent: str | None
    at: datetime
    detail: str | None = None

    @property
    def label(self) -> str:
        label = LABELS.get(self.event, self.event)
        method = METHODS.get(self.detail or "")
        return f"{label} {method}" if method else label


async def add(
    db: PooledDatabase,
    user_id: int | None,
    event: str,
    ip: str | None,
    user_agent: str | None,
    detail: str | None = None,
) -> None:
    await execute(
        db,
        "insert into minimaluser.tbl_security_event"
        " (aut_id, sev_event, sev_ip, sev_user_agent, sev_detail)"
        " values (:user_id, :event, :ip, :user_agent, :detail)",
        {
            "user_id": user_id,
            "event": event,
            "ip": ip[:64] if ip else None,
            "user_agent": user_agent[:512] if user_agent else None,
            "detail": detail,
        },
    )


async def recent(db: PooledDatabase, user_id: int, limit: int = 20) -> list[Event]:
    rows = await fetch_all(
        db,
        "select sev_event, sev_ip, sev_user_agent, sev_at, sev_detail"
        " from minimaluser.tbl_security_event"
        " where aut_id = :user_id order by sev_at desc, sev_id desc limit :limit",
        {"user_id": user_id, "limit": limit},
    )
    return [
        Event(r["sev_event"], r["sev_ip"], r["sev_user_agent"], r["sev_at"], r["sev_detail"])
        for r in rows
    ]


async def prune(db: PooledDatabase, days: int) -> None:
    await execute(
        db,
        "delete from minimaluser.tbl_security_event"
        " where sev_at < now() - make_interval(days => :days)",
        {"days": days},
    )
