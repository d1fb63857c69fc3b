"""Operator's command line: list, disable, enable and delete accounts.

python -m admin list
python -m admin disable someone@example.com
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

import database
import settings as settings_module
import storage
from settings import Settings
from sql import sessions, tile_jobs, users
from tilework import TileWorker


async def run(config: Settings, command: str, email: str | None) -> str:
    connection = database.connection_for(config)
    db = database.database(connection, config)
    await db.connect()
    try:
        if command == "list":
            rows = await users.listing(db)
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
            return "\n".join(lines) or "no accounts"
        user = await users.by_email(db, email or "")
        if user is None:
            return f"no account for {email}"
        if command in ("disable", "enable"):
            async with db.transaction():
                await users.set_valid(db, user.id, command == "enable")
                if command == "disable":
                    await sessions.delete_all(db, user.id)
            return f"{command}d {user.email}"
        async with db.transaction():
            await tile_jobs.drop_puts(db, user.tile)
            job = await tile_jobs.add(db, "delete", user.tile)
            await users.delete(db, user.id)
        tiles = storage.make_store(config)
        await tiles.start()
        try:
            await TileWorker(db, tiles, config.mail_retry_cap).now(job)
        finally:
            await tiles.close()
        return f"deleted {user.email}"
    finally:
        await db.disconnect()
        connection.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m admin", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["list", "disable", "enable", "delete"])
    parser.add_argument("email", nargs="?")
    args = parser.parse_args(argv)
    if args.command != "list" and not args.email:
        parser.error(f"{args.command} needs an email address")
    print(asyncio.run(run(settings_module.load(), args.command, args.email)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
