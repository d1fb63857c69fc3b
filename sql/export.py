"""Queries for the user's own data (accounts/export.py): what each table holds about one
account, in the columns an export may show. None of them reads a hash, a secret or a code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sql.pool import PooledDatabase
from sql.query import fetch_all, fetch_one


@dataclass(frozen=True)
class Account:
    email: str
    nickname: str
    created: datetime
    confirmed: bool
    confirmed_at: datetime | None
    language: str | None


@dataclass(frozen=True)
class Session:
    id: str
    created: datetime
    last_seen: datetime
    ip: str
    user_agent: str
    remember: bool


@dataclass(frozen=True)
class PasskeyInfo:
    name: str
    created: datetime
    last_used: datetime | None


@dataclass(frozen=True)
class Email:
    event: str
    recipient: str
    created: datetime
    sent_at: datetime | None
    failed_at: datetime | None
    language: str


async def account(db: PooledDatabase, user_id: int) -> Account | None:
    row = await fetch_one(
        db,
        "select aut_email, aut_name, aut_timestamp, aut_confirmed, aut_confirmed_at,"
        " aut_language from minimaluser.tbl_auth where aut_id = :user_id",
        {"user_id": user_id},
    )
    if row is None:
        return None
    return Account(
        row["aut_email"],
        row["aut_name"],
        row["aut_timestamp"],
        row["aut_confirmed"],
        row["aut_confirmed_at"],
        row["aut_language"],
    )


async def sessions(db: PooledDatabase, user_id: int) -> list[Session]:
    rows = await fetch_all(
        db,
        "select ses_id, ses_created, ses_last_seen, ses_ip, ses_user_agent, ses_remember"
        " from minimaluser.tbl_session where aut_id = :user_id order by ses_created",
        {"user_id": user_id},
    )
    return [
        Session(
            str(r["ses_id"]),
            r["ses_created"],
            r["ses_last_seen"],
            r["ses_ip"],
            r["ses_user_agent"],
            r["ses_remember"],
        )
        for r in rows
    ]


async def totp_since(db: PooledDatabase, user_id: int) -> datetime | None:
    """When the authenticator app was turned on; None when it is off."""
    row = await fetch_one(
        db,
        "select tot_enabled_at from minimaluser.tbl_totp where aut_id = :user_id",
        {"user_id": user_id},
    )
    return row["tot_enabled_at"] if row else None


async def passkeys(db: PooledDatabase, user_id: int) -> list[PasskeyInfo]:
    rows = await fetch_all(
        db,
        "select pky_name, pky_created_at, pky_last_used_at from minimaluser.tbl_passkey"
        " where aut_id = :user_id order by pky_created_at, pky_id",
        {"user_id": user_id},
    )
    return [PasskeyInfo(r["pky_name"], r["pky_created_at"], r["pky_last_used_at"]) for r in rows]


async def emails(db: PooledDatabase, user_id: int) -> list[Email]:
    """The messages for the account still in the outbox: never their context or secrets."""
    rows = await fetch_all(
        db,
        "select obx_event, obx_recipient, obx_created_at, obx_sent_at, obx_failed_at,"
        " obx_language from minimaluser.tbl_outbox where aut_id = :user_id"
        " order by obx_created_at, obx_id",
        {"user_id": user_id},
    )
    return [
        Email(
            r["obx_event"],
            r["obx_recipient"],
            r["obx_created_at"],
            r["obx_sent_at"],
            r["obx_failed_at"],
            r["obx_language"],
        )
        for r in rows
    ]
