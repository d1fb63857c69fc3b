"""What operators do to accounts, no HTTP: each action through the account rules it shares with
the owner and the command line, each written to the append-only audit log."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from accounts import lifecycle, mfa, signup
from accounts.checks import AccountError
from accounts.login import second_factor_on
from accounts.runtime import Client, Services
from services.language import N_, gettext
from sql import audit, users
from sql.sessions import CurrentUser
from sql.users import User

ACTIONS = ("disable", "enable", "resend-confirmation", "reset-mfa", "delete")
NOT_YOURSELF = N_("An operator cannot disable or delete their own account.")
SECOND_FACTOR_METHODS = frozenset({"totp", "recovery", "code", "passkey"})


@dataclass(frozen=True)
class Actor:
    """Who acted: an operator in a browser, or someone at the command line."""

    name: str
    user_id: int | None
    client: Client | None

    @classmethod
    def of(cls, operator: CurrentUser, client: Client) -> Actor:
        return cls(operator.email, operator.id, client)

    @classmethod
    def command_line(cls) -> Actor:
        return cls(f"command line ({getpass.getuser()})", None, None)


async def record(svc: Services, actor: Actor, action: str, target: User | None) -> None:
    await audit.add(
        svc.db,
        actor.name,
        actor.user_id,
        action,
        target.id if target else None,
        target.email if target else None,
        actor.client.ip if actor.client else None,
    )


async def strong_enough(svc: Services, operator: CurrentUser) -> bool:
    """An operator with a second factor must have used it for the fresh authentication."""
    if not await second_factor_on(svc, operator.id):
        return True
    return operator.authenticated_by in SECOND_FACTOR_METHODS


async def act(svc: Services, actor: Actor, action: str, target: User) -> str:
    """Do `action` to `target` and log it; the sentence that says what happened."""
    if action in ("disable", "delete") and actor.user_id == target.id:
        raise AccountError(gettext(NOT_YOURSELF))
    client = actor.client
    email = target.email
    if action in ("disable", "enable"):
        await lifecycle.set_enabled(svc, target, action == "enable", client)
        if action == "enable":
            done = gettext("%(email)s is enabled.", email=email)
        else:
            done = gettext("%(email)s is disabled.", email=email)
    elif action == "resend-confirmation":
        if target.confirmed:
            raise AccountError(gettext("%(email)s is confirmed already.", email=email))
        await signup.send_confirmation(svc, target)
        done = gettext("A new confirmation link went to %(email)s.", email=email)
    elif action == "reset-mfa":
        if not await mfa.reset_second_factor(svc, target, client):
            raise AccountError(gettext("%(email)s has no second factor.", email=email))
        done = gettext("The second factor of %(email)s is reset; an email tells them.", email=email)
    elif action == "delete":
        await lifecycle.delete_account(svc, target)
        done = gettext("%(email)s is deleted.", email=email)
    else:
        raise AccountError(gettext("Unknown action."))
    await record(svc, actor, action, target)
    return done


async def set_operator(svc: Services, actor: Actor, target: User, operator: bool) -> bool:
    """Grant or revoke the operator role (the command line); False when it was so already."""
    changed = await users.set_operator(svc.db, target.id, operator)
    if changed:
        await record(svc, actor, "grant" if operator else "revoke", target)
    return changed
