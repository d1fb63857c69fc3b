"""Queries on minimaluser.tbl_security_event: the account's security log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sql.pool import PooledDatabase
from sql.query import delete_in_batches, execute, fetch_all


@dataclass(frozen=True)
class Event:
    event: str
    ip: str | None
    user_agent: str | None
    at: datetime
    detail: str | None = None


async def add(
    db: PooledDatabase,
    user_id: int | None,
    event: str,
    ip: str | None,
    user_agent: str | None,
    detail: str | None = None,
) -> None:
    await execute(
        db,
        "insert into minimaluser.tbl_security_event"
        " (aut_id, sev_event, sev_ip, sev_user_agent, sev_detail)"
        " values (:user_id, :event, :ip, :user_agent, :detail)",
        {
            "user_id": user_id,
            "event": event,
            "ip": ip[:64] if ip else None,
            "user_agent": user_agent[:512] if user_agent else None,
            "detail": detail,
        },
    )


async def recent(db: PooledDatabase, user_id: int, limit: int = 20) -> list[Event]:
    rows = await fetch_all(
        db,
        "select sev_event, sev_ip, sev_user_agent, sev_at, sev_detail"
        " from minimaluser.tbl_security_event"
        " where aut_id = :user_id order by sev_at desc, sev_id desc limit :limit",
        {"user_id": user_id, "limit": limit},
    )
    return [
        Event(r["sev_event"], r["sev_ip"], r["sev_user_agent"], r["sev_at"], r["sev_detail"])
        for r in rows
    ]


async def prune(db: PooledDatabase, days: int) -> int:
    return await delete_in_batches(
        db,
        "minimaluser.tbl_security_event",
        "sev_at",
        "sev_at < now() - make_interval(days => :days)",
        {"days": days},
    )
