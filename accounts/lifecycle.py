"""An account's end and its pauses: the one deletion rule (profile, command line, operators),
and disabling or enabling it."""

from __future__ import annotations

from accounts import checks
from accounts.runtime import Client, Services
from sql import sessions, throttle, users
from sql.users import User


async def delete_account(svc: Services, user: User) -> None:
    """Rows go in one transaction with the goodbye email and the queued tile removal; the security
    log goes with them, leaving one anonymous line that an account was deleted."""
    async with svc.change() as work:
        await work.email("goodbye", user.email, {"nickname": user.nickname})
        await work.tile("delete", user.tile)
        await throttle.clear(svc.db, checks.change_key(user.id))
        await throttle.clear(svc.db, checks.login_account_key(user.email))
        await users.delete(svc.db, user.id)
        await svc.log(None, "account_deleted", None)


async def set_enabled(svc: Services, user: User, enabled: bool, client: Client | None) -> None:
    """A disabled account cannot log in, and its sessions end at once."""
    async with svc.change():
        await users.set_valid(svc.db, user.id, enabled)
        if not enabled:
            await sessions.delete_all(svc.db, user.id)
        await svc.log(user.id, "account_enabled" if enabled else "account_disabled", client)
