"""Operator's command line: list accounts; disable, enable, delete; reset a second factor;
resend a confirmation link; grant or revoke the operator role. Each action but `list` is
written to the audit log, with the operating-system user.

python -m admin list
python -m admin disable someone@example.com
python -m admin grant someone@example.com
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

import settings as settings_module
from accounts.checks import AccountError
from accounts.operators import Actor, act, set_operator
from accounts.runtime import running
from settings import Settings
from sql import users

COMMANDS = [
    "list",
    "disable",
    "enable",
    "delete",
    "reset-mfa",
    "resend-confirmation",
    "grant",
    "revoke",
]


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
                        "operator" if u.operator else "",
                    )
                ).rstrip()
                for u in rows
            ]
            return "\n".join(lines) or "no accounts", 0
        user = await users.by_email(svc.db, email or "")
        if user is None:
            return f"no account for {email}", 1
        actor = Actor.command_line()
        if command in ("grant", "revoke"):
            granted = command == "grant"
            changed = await set_operator(svc, actor, user, granted)
            state = "an operator" if granted else "not an operator"
            return f"{user.email} is {state}{'' if changed else ' (it was already)'}", 0
        try:
            done = await act(svc, actor, command, user)
        except AccountError as exc:
            return exc.message, 0
        return done, 0


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
