"""Operator's command line: list, disable, enable and delete accounts, reset a second factor.

python -m admin list
python -m admin disable someone@example.com
python -m admin reset-mfa someone@example.com
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

import settings as settings_module
from accounts.lifecycle import delete_account, set_enabled
from accounts.mfa import reset_second_factor
from accounts.runtime import running
from settings import Settings
from sql import users

COMMANDS = ["list", "disable", "enable", "delete", "reset-mfa"]


async def run(config: Settings, command: str, email: str | None) -> tuple[str, int]:
    """The line to print and the exit status: 1 when there is no such account."""
    async with running(config, workers=False) as svc:
        if command == "list":
            rows = await users.listing(svc.db)
            lines = [
                "\t".join(
                    (
                        str(u.id),
                        u.email,
                        u.nickname,
                        "confirmed" if u.confirmed else "unconfirmed",
                        "enabled" if u.valid else "disabled",
                    )
                )
                for u in rows
            ]
            return "\n".join(lines) or "no accounts", 0
        user = await users.by_email(svc.db, email or "")
        if user is None:
            return f"no account for {email}", 1
        if command in ("disable", "enable"):
            await set_enabled(svc, user, command == "enable", None)
            return f"{command}d {user.email}", 0
        if command == "reset-mfa":
            if await reset_second_factor(svc, user, None):
                return f"second factor reset for {user.email} (an email tells them)", 0
            return f"{user.email} has no second factor", 0
        await delete_account(svc, user)
        return f"deleted {user.email}", 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m admin", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=COMMANDS)
    parser.add_argument("email", nargs="?")
    args = parser.parse_args(argv)
    if args.command != "list" and not args.email:
        parser.error(f"{args.command} needs an email address")
    line, status = asyncio.run(run(settings_module.load(), args.command, args.email))
    print(line)
    return status


if __name__ == "__main__":
    sys.exit(main())
