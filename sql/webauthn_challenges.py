"""Queries on minimaluser.tbl_webauthn_challenge: WebAuthn challenges waiting for an answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sql.pool import PooledDatabase
from sql.query import execute, fetch_one


@dataclass(frozen=True)
class Challenge:
    challenge: bytes
    user_id: int | None


async def put(
    db: PooledDatabase,
    challenge_id: UUID,
    challenge: bytes,
    purpose: str,
    user_id: int | None,
    now: datetime,
    expires: datetime,
) -> None:
    """The browser's one waiting challenge, replacing any it had; expired ones are swept in
    the same statement (by the index on wch_expires)."""
    await execute(
        db,
        "with gone as (delete from minimaluser.tbl_webauthn_challenge"
        " where wch_expires <= :now and wch_id <> :id)"
        " insert into minimaluser.tbl_webauthn_challenge"
        " (wch_id, wch_challenge, wch_purpose, aut_id, wch_expires)"
        " values (:id, :challenge, :purpose, :user_id, :expires)"
        " on conflict (wch_id) do update set wch_challenge = excluded.wch_challenge,"
        " wch_purpose = excluded.wch_purpose, aut_id = excluded.aut_id,"
        " wch_expires = excluded.wch_expires",
        {
            "id": challenge_id,
            "challenge": challenge,
            "purpose": purpose,
            "user_id": user_id,
            "now": now,
            "expires": expires,
        },
    )


async def take(
    db: PooledDatabase, challenge_id: UUID, purpose: str, now: datetime
) -> Challenge | None:
    """The challenge, once: it is gone as it is read; None when expired, used or another's."""
    row = await fetch_one(
        db,
        "delete from minimaluser.tbl_webauthn_challenge where wch_id = :id"
        " returning wch_challenge, aut_id, wch_purpose, wch_expires",
        {"id": challenge_id},
    )
    if row is None or row["wch_purpose"] != purpose or row["wch_expires"] <= now:
        return None
    return Challenge(bytes(row["wch_challenge"]), row["aut_id"])


async def prune(db: PooledDatabase, now: datetime) -> None:
    await execute(
        db,
        "delete from minimaluser.tbl_webauthn_challenge where wch_expires <= :now",
        {"now": now},
    )
