"""Queries on minimaluser.tbl_passkey: the passkeys (WebAuthn credentials) of an account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from asyncpg import Record

from sql.pool import PooledDatabase
from sql.query import fetch_all, fetch_one, fetch_val

COLUMNS = (
    "pky_id, aut_id, pky_credential_id, pky_public_key, pky_sign_count, pky_user_handle,"
    " pky_name, pky_created_at, pky_last_used_at"
)


@dataclass(frozen=True)
class Passkey:
    id: int
    user_id: int
    credential_id: bytes
    public_key: bytes
    sign_count: int
    user_handle: bytes
    name: str
    created_at: datetime
    last_used_at: datetime | None


def _passkey(row: Record) -> Passkey:
    return Passkey(
        row["pky_id"],
        row["aut_id"],
        bytes(row["pky_credential_id"]),
        bytes(row["pky_public_key"]),
        row["pky_sign_count"],
        bytes(row["pky_user_handle"]),
        row["pky_name"],
        row["pky_created_at"],
        row["pky_last_used_at"],
    )


async def of_user(db: PooledDatabase, user_id: int) -> list[Passkey]:
    rows = await fetch_all(
        db,
        f"select {COLUMNS} from minimaluser.tbl_passkey where aut_id = :user_id"  # noqa: S608
        " order by pky_created_at, pky_id",
        {"user_id": user_id},
    )
    return [_passkey(row) for row in rows]


async def exists(db: PooledDatabase, user_id: int) -> bool:
    """Does the account have a passkey (a second factor, like the authenticator app)?"""
    return bool(
        await fetch_val(
            db,
            "select exists (select 1 from minimaluser.tbl_passkey where aut_id = :user_id)",
            {"user_id": user_id},
        )
    )


async def by_credential(db: PooledDatabase, credential_id: bytes) -> Passkey | None:
    row = await fetch_one(
        db,
        f"select {COLUMNS} from minimaluser.tbl_passkey"  # noqa: S608
        " where pky_credential_id = :credential_id",
        {"credential_id": credential_id},
    )
    return _passkey(row) if row else None


async def add(
    db: PooledDatabase,
    user_id: int,
    credential_id: bytes,
    public_key: bytes,
    sign_count: int,
    user_handle: bytes,
    name: str,
    now: datetime,
) -> int | None:
    """The new passkey's id; None when this credential is registered already."""
    value = await fetch_val(
        db,
        "insert into minimaluser.tbl_passkey (aut_id, pky_credential_id, pky_public_key,"
        " pky_sign_count, pky_user_handle, pky_name, pky_created_at)"
        " values (:user_id, :credential_id, :public_key, :sign_count, :user_handle, :name, :now)"
        " on conflict (pky_credential_id) do nothing returning pky_id",
        {
            "user_id": user_id,
            "credential_id": credential_id,
            "public_key": public_key,
            "sign_count": sign_count,
            "user_handle": user_handle,
            "name": name,
            "now": now,
        },
    )
    return int(value) if value is not None else None


async def used(db: PooledDatabase, passkey_id: int, seen: int, count: int, now: datetime) -> bool:
    """Record a use: the new sign count, only if the stored one is still `seen` (two uses of
    one counter value at once: only one wins)."""
    value = await fetch_val(
        db,
        "update minimaluser.tbl_passkey set pky_sign_count = :count, pky_last_used_at = :now"
        " where pky_id = :id and pky_sign_count = :seen returning pky_id",
        {"id": passkey_id, "seen": seen, "count": count, "now": now},
    )
    return value is not None


async def rename(db: PooledDatabase, user_id: int, passkey_id: int, name: str) -> bool:
    """False when the account has no such passkey."""
    value = await fetch_val(
        db,
        "update minimaluser.tbl_passkey set pky_name = :name"
        " where pky_id = :id and aut_id = :user_id returning pky_id",
        {"id": passkey_id, "user_id": user_id, "name": name},
    )
    return value is not None


async def remove(db: PooledDatabase, user_id: int, passkey_id: int) -> str | None:
    """The removed passkey's name; None when the account has no such passkey."""
    return await fetch_val(
        db,
        "delete from minimaluser.tbl_passkey where pky_id = :id and aut_id = :user_id"
        " returning pky_name",
        {"id": passkey_id, "user_id": user_id},
    )


async def remove_all(db: PooledDatabase, user_id: int) -> int:
    """An operator's reset: every passkey of the account goes; how many there were."""
    rows = await fetch_all(
        db,
        "delete from minimaluser.tbl_passkey where aut_id = :user_id returning pky_id",
        {"user_id": user_id},
    )
    return len(rows)
