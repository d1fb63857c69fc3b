"""The security log in words: what each event of sql/security_events says to its user, in
the language of the page or of the export."""

from __future__ import annotations

from services.language import N_, gettext
from sql.security_events import Event

LABELS = {
    "signup": N_("Account created"),
    "email_confirmed": N_("Email address confirmed"),
    "login": N_("Logged in"),
    "login_failed": N_("Failed login"),
    "account_locked": N_("Logins paused after too many wrong keys"),
    "account_unlocked": N_("Logins resumed: the mailbox was proven"),
    "logout": N_("Logged out"),
    "sessions_ended_by_confirmation": N_("Other sessions logged out by the confirmation link"),
    "key_changed": N_("Access key changed"),
    "email_change_requested": N_("Email change requested"),
    "email_changed": N_("Email address changed"),
    "reset_requested": N_("New key requested"),
    "reset_done": N_("Access key reset"),
    "sessions_ended": N_("Other sessions logged out"),
    "sessions_ended_by_reset": N_("Every session logged out by the key reset"),
    "account_deleted": N_("Account deleted"),
    "account_disabled": N_("Account disabled by an operator"),
    "account_enabled": N_("Account enabled by an operator"),
    "login_key_accepted": N_("Access key accepted; code asked"),
    "mfa_code_failed": N_("Wrong second-factor code"),
    "mfa_failures": N_("Login stopped after five wrong codes"),
    "mfa_enabled": N_("Authenticator app turned on"),
    "mfa_disabled": N_("Authenticator app turned off"),
    "mfa_reset": N_("Second factor reset by an operator"),
    "recovery_regenerated": N_("New recovery codes made"),
    "recovery_used": N_("Recovery code used"),
    "reauthenticated": N_("Confirmed it was you"),
    "login_code_requested": N_("Login code asked for"),
    "login_code_accepted": N_("Login code accepted; second factor asked"),
    "sessions_ended_by_login_code": N_("Other sessions logged out by a login code"),
    "passkey_added": N_("Passkey added"),
    "passkey_removed": N_("Passkey removed"),
    "passkey_renamed": N_("Passkey renamed"),
}


METHODS = {
    "key": N_("with the access key"),
    "link": N_("with the confirmation link"),
    "totp": N_("with a code from the authenticator app"),
    "code": N_("with a second-factor code"),
    "recovery": N_("with a recovery code"),
    "passkey": N_("with a passkey"),
    "login_code": N_("with an emailed login code"),
}


def describe(event: Event) -> str:
    label = gettext(LABELS[event.event]) if event.event in LABELS else event.event
    method = METHODS.get(event.detail or "")
    if method is None:
        return label
    # TRANSLATORS: a security-log event, then how it was done: "Logged in" "with a passkey".
    return gettext("%(event)s %(method)s", event=label, method=gettext(method))
