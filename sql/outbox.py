"""Queries on minimaluser.tbl_outbox: emails written with the change that causes them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from asyncpg import Record

from sql.pool import PooledDatabase
from sql.query import delete_in_batches, execute, fetch_all, fetch_one, fetch_val


@dataclass(frozen=True)
class Message:
    id: int
    message_id: UUID
    event: str
    recipient: str
    context: dict[str, Any]
    secret: bytes | None
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    language: str = "en"


def _message(row: Record) -> Message:
    context = row["obx_context"]
    return Message(
        id=row["obx_id"],
        message_id=row["obx_message_id"],
        event=row["obx_event"],
        recipient=row["obx_recipient"],
        context=json.loads(context) if isinstance(context, str) else dict(context),
        secret=row["obx_secret"],
        attempts=row["obx_attempts"],
        created_at=row["obx_created_at"],
        sent_at=row["obx_sent_at"],
        language=row["obx_language"],
    )


async def add(
    db: PooledDatabase,
    event: str,
    recipient: str,
    context: dict[str, Any],
    secret: bytes | None,
    user_id: int | None = None,
    language: str = "en",
) -> int:
    """Queue a message for the account `user_id`, or when not given, the account the recipient
    address belongs to (if any): the user's data export lists the emails sent to them. It is
    written in that account's language, or `language` (the page's) when it has none."""
    message_id: int = await fetch_val(
        db,
        "insert into minimaluser.tbl_outbox"
        " (obx_event, obx_recipient, obx_context, obx_secret, aut_id, obx_language)"
        " select :event, :recipient, cast(:context as jsonb), :secret, a.aut_id,"
        " coalesce(a.aut_language, :language)"
        " from (select coalesce(cast(:user_id as bigint), (select aut_id from minimaluser.tbl_auth"
        " where lower(aut_email) = lower(cast(:recipient as varchar)))) as aut_id) found"
        " left join minimaluser.tbl_auth a on a.aut_id = found.aut_id returning obx_id",
        {
            "event": event,
            "recipient": recipient,
            "context": json.dumps(context),
            "secret": secret,
            "user_id": user_id,
            "language": language,
        },
    )
    return message_id


async def claim_due(db: PooledDatabase, limit: int) -> list[Message]:
    """Due messages, locked for this transaction; other workers skip them."""
    rows = await fetch_all(
        db,
        "select obx_id, obx_message_id, obx_event, obx_recipient, obx_context, obx_secret,"
        " obx_attempts, obx_created_at, obx_sent_at, obx_language from minimaluser.tbl_outbox"
        " where obx_sent_at is null and obx_failed_at is null and obx_due_at <= now()"
        " order by obx_due_at, obx_id limit :limit for update skip locked",
        {"limit": limit},
    )
    return [_message(r) for r in rows]


async def mark_sent(db: PooledDatabase, outbox_id: int, kept: bool) -> None:
    """Delivered: the secret is wiped, unless the message is kept for /dev/outbox."""
    await execute(
        db,
        "update minimaluser.tbl_outbox set obx_sent_at = now(), obx_kept = :kept,"
        " obx_secret = case when :kept then obx_secret end, obx_last_error = null"
        " where obx_id = :outbox_id",
        {"outbox_id": outbox_id, "kept": kept},
    )


async def put_off(
    db: PooledDatabase, outbox_id: int, delay_seconds: float, error: str, days: int
) -> bool:
    """A failed attempt: retried after the delay or, once the message is `days` old (counted from
    its creation), failed for good, its secrets wiped, its error kept. True when given up."""
    given_up: bool = await fetch_val(
        db,
        "update minimaluser.tbl_outbox set obx_attempts = obx_attempts + 1,"
        " obx_due_at = now() + make_interval(secs => :delay), obx_last_error = :error,"
        " obx_failed_at = case when obx_created_at <= now() - make_interval(days => :days)"
        " then now() end,"
        " obx_secret_wiped = obx_secret_wiped or (obx_secret is not null"
        " and obx_created_at <= now() - make_interval(days => :days)),"
        " obx_secret = case when obx_created_at > now() - make_interval(days => :days)"
        " then obx_secret end"
        " where obx_id = :outbox_id returning obx_failed_at is not null",
        {"outbox_id": outbox_id, "delay": delay_seconds, "error": error[:500], "days": days},
    )
    return given_up


@dataclass(frozen=True)
class Failed:
    """A message given up on, for operators: never its secrets, which are gone (`wiped`)."""

    id: int
    message_id: UUID
    event: str
    recipient: str
    attempts: int
    created_at: datetime
    failed_at: datetime
    last_error: str | None
    wiped: bool


async def failed(db: PooledDatabase, limit: int = 100) -> list[Failed]:
    """Failed messages, the newest failure first."""
    rows = await fetch_all(
        db,
        "select obx_id, obx_message_id, obx_event, obx_recipient, obx_attempts, obx_created_at,"
        " obx_failed_at, obx_last_error, obx_secret_wiped from minimaluser.tbl_outbox"
        " where obx_failed_at is not null order by obx_failed_at desc, obx_id desc limit :limit",
        {"limit": limit},
    )
    return [
        Failed(
            id=r["obx_id"],
            message_id=r["obx_message_id"],
            event=r["obx_event"],
            recipient=r["obx_recipient"],
            attempts=r["obx_attempts"],
            created_at=r["obx_created_at"],
            failed_at=r["obx_failed_at"],
            last_error=r["obx_last_error"],
            wiped=r["obx_secret_wiped"],
        )
        for r in rows
    ]


async def retry(db: PooledDatabase, outbox_id: int) -> bool:
    """One more attempt at a failed message, now; past its deadline, a new failure is final again.
    A message whose secrets were wiped is never re-sent (it would go out without its key, code or
    link): the person asks again (a new key, a new code). True when it was queued again."""
    status = await execute(
        db,
        "update minimaluser.tbl_outbox set obx_failed_at = null, obx_due_at = now()"
        " where obx_id = :outbox_id and obx_failed_at is not null and not obx_secret_wiped",
        {"outbox_id": outbox_id},
    )
    return status == "UPDATE 1"


async def drop(db: PooledDatabase, outbox_id: int) -> bool:
    """Deletes a failed message; one still waiting or sent is left alone. True when deleted."""
    status = await execute(
        db,
        "delete from minimaluser.tbl_outbox"
        " where obx_id = :outbox_id and obx_failed_at is not null",
        {"outbox_id": outbox_id},
    )
    return status == "DELETE 1"


async def kept(db: PooledDatabase, limit: int = 100) -> list[Message]:
    rows = await fetch_all(
        db,
        "select obx_id, obx_message_id, obx_event, obx_recipient, obx_context, obx_secret,"
        " obx_attempts, obx_created_at, obx_sent_at, obx_language from minimaluser.tbl_outbox"
        " where obx_kept order by obx_id desc limit :limit",
        {"limit": limit},
    )
    return [_message(r) for r in rows]


async def one_kept(db: PooledDatabase, outbox_id: int) -> Message | None:
    row = await fetch_one(
        db,
        "select obx_id, obx_message_id, obx_event, obx_recipient, obx_context, obx_secret,"
        " obx_attempts, obx_created_at, obx_sent_at, obx_language from minimaluser.tbl_outbox"
        " where obx_kept and obx_id = :outbox_id",
        {"outbox_id": outbox_id},
    )
    return _message(row) if row else None


async def prune_sent(db: PooledDatabase, days: int) -> int:
    """Delivered messages are kept a while for support, then go; kept dev mail goes too."""
    return await delete_in_batches(
        db,
        "minimaluser.tbl_outbox",
        "obx_sent_at",
        "obx_sent_at < now() - make_interval(days => :days)",
        {"days": days},
    )


async def prune_failed(db: PooledDatabase, days: int) -> int:
    """Failed messages stay listed for operators a while, then go."""
    return await delete_in_batches(
        db,
        "minimaluser.tbl_outbox",
        "obx_failed_at",
        "obx_failed_at < now() - make_interval(days => :days)",
        {"days": days},
    )
