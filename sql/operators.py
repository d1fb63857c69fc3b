"""Queries for the operator pages: accounts newest first (keyset pages, never OFFSET), search
by the start of an address or a nickname, and what an account's page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sql.pool import PooledDatabase
from sql.query import fetch_all

PAGE = 50


@dataclass(frozen=True)
class Row:
    id: int
    email: str
    nickname: str
    confirmed: bool
    valid: bool
    operator: bool
    created: datetime
    key: str  # what the list is ordered by: the id, or the matched value


@dataclass(frozen=True)
class Mail:
    event: str
    created: datetime
    sent: datetime | None
    failed: datetime | None
    attempts: int
    error: str | None


def _rows(records: list[Any]) -> list[Row]:
    return [
        Row(
            r["aut_id"],
            r["aut_email"],
            r["aut_name"],
            r["aut_confirmed"],
            r["aut_isvalid"],
            r["aut_operator"],
            r["aut_timestamp"],
            str(r["matched"]),
        )
        for r in records
    ]


async def newest(db: PooledDatabase, before: int | None) -> list[Row]:
    """A page of accounts, newest first, before the id `before` (one more, to know if more)."""
    records = await fetch_all(
        db,
        "select aut_id, aut_email, aut_name, aut_confirmed, aut_isvalid, aut_operator,"
        " aut_timestamp, aut_id::text as matched from minimaluser.tbl_auth"
        " where aut_id < :before order by aut_id desc limit :limit",
        {"before": before or 2**62, "limit": PAGE + 1},
    )
    return _rows(list(records))


async def search(db: PooledDatabase, query: str, after: str) -> list[Row]:
    """Accounts whose address or nickname starts with `query` (case aside), ordered by the
    value that matched, after `after` (the last value of the previous page). A prefix is a
    range in byte order, from the prefix to the prefix followed by the highest character."""
    low = query.lower()
    records = await fetch_all(
        db,
        "select * from ("
        " (select aut_id, aut_email, aut_name, aut_confirmed, aut_isvalid, aut_operator,"
        ' aut_timestamp, lower(aut_email) collate "C" as matched from minimaluser.tbl_auth'
        ' where lower(aut_email) collate "C" >= :low'
        ' and lower(aut_email) collate "C" < :high'
        ' and lower(aut_email) collate "C" > :after'
        ' order by lower(aut_email) collate "C" limit :limit)'
        " union"
        " (select aut_id, aut_email, aut_name, aut_confirmed, aut_isvalid, aut_operator,"
        ' aut_timestamp, lower(aut_name) collate "C" as matched from minimaluser.tbl_auth'
        ' where lower(aut_name) collate "C" >= :low'
        ' and lower(aut_name) collate "C" < :high'
        ' and lower(aut_name) collate "C" > :after'
        ' order by lower(aut_name) collate "C" limit :limit)'
        ") found order by matched, aut_id limit :limit",
        {"low": low, "high": low + "\U0010ffff", "after": after.lower(), "limit": PAGE + 1},
    )
    return _rows(list(records))


async def recent_mail(db: PooledDatabase, email: str, limit: int = 20) -> list[Mail]:
    """The account's recent emails: event, state and attempts, never their values."""
    records = await fetch_all(
        db,
        "select obx_event, obx_created_at, obx_sent_at, obx_failed_at, obx_attempts,"
        " obx_last_error from minimaluser.tbl_outbox where lower(obx_recipient) = lower(:email)"
        " order by obx_id desc limit :limit",
        {"email": email, "limit": limit},
    )
    return [
        Mail(
            r["obx_event"],
            r["obx_created_at"],
            r["obx_sent_at"],
            r["obx_failed_at"],
            r["obx_attempts"],
            r["obx_last_error"],
        )
        for r in records
    ]
