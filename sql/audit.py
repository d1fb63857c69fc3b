"""Queries on minimaluser.tbl_audit: what operators did, append-only (a trigger refuses any
update or delete)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sql.pool import PooledDatabase
from sql.query import execute, fetch_all

PAGE = 50


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    action: str
    target_id: int | None
    target_email: str | None
    ip: str | None


async def add(
    db: PooledDatabase,
    actor: str,
    actor_id: int | None,
    action: str,
    target_id: int | None,
    target_email: str | None,
    ip: str | None,
) -> None:
    await execute(
        db,
        "insert into minimaluser.tbl_audit"
        " (aud_actor, aud_actor_id, aud_action, aud_target_id, aud_target_email, aud_ip)"
        " values (:actor, :actor_id, :action, :target_id, :target_email, :ip)",
        {
            "actor": actor[:300],
            "actor_id": actor_id,
            "action": action,
            "target_id": target_id,
            "target_email": target_email,
            "ip": ip[:64] if ip else None,
        },
    )


async def page(db: PooledDatabase, query: str, before: int | None) -> list[Entry]:
    """Newest first, a page at a time (rows before the id `before`); `query` is the start of
    an operator's or a target's address, case aside."""
    prefix = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await fetch_all(
        db,
        "select aud_id, aud_at, aud_actor, aud_action, aud_target_id, aud_target_email, aud_ip"
        " from minimaluser.tbl_audit"
        " where aud_id < :before"
        " and (lower(aud_actor) like :prefix or lower(aud_target_email) like :prefix)"
        " order by aud_id desc limit :limit",
        {"before": before or 2**62, "prefix": prefix, "limit": PAGE + 1},
    )
    return [
        Entry(
            r["aud_id"],
            r["aud_at"],
            r["aud_actor"],
            r["aud_action"],
            r["aud_target_id"],
            r["aud_target_email"],
            r["aud_ip"],
        )
        for r in rows
    ]
