"""Queries on minimaluser.tbl_session: one row per logged-in browser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sql.pool import PooledDatabase
from sql.query import delete_in_batches, execute, fetch_all, fetch_one, fetch_val

IDLE_HOURS = 12
REMEMBER_DAYS = 30


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    nickname: str
    confirmed: bool
    tile: str
    session_id: UUID
    authenticated_at: datetime | None = None
    operator: bool = False
    authenticated_by: str | None = None


@dataclass(frozen=True)
class SessionRow:
    id: UUID
    ip: str
    user_agent: str
    created: datetime
    last_seen: datetime


async def create(
    db: PooledDatabase,
    user_id: int,
    ip: str,
    user_agent: str,
    remember: bool,
    authenticated_at: datetime | None = None,
    authenticated_by: str | None = None,
) -> UUID:
    """A session; `authenticated_at` when its user just proved who they are (a key, a code),
    None when only the mailbox was proven (a confirmation link)."""
    value = await fetch_val(
        db,
        "insert into minimaluser.tbl_session"
        " (aut_id, ses_ip, ses_user_agent, ses_remember, ses_authenticated_at,"
        " ses_authenticated_by)"
        " values (:user_id, :ip, :user_agent, :remember, :authenticated_at, :authenticated_by)"
        " returning ses_id",
        {
            "user_id": user_id,
            "ip": ip[:64],
            "user_agent": user_agent[:512],
            "remember": remember,
            "authenticated_at": authenticated_at,
            "authenticated_by": authenticated_by,
        },
    )
    return UUID(str(value))


async def authenticated(db: PooledDatabase, session_id: UUID, at: datetime, by: str) -> None:
    """This browser's user proved who they are again (re-authentication), `by` key or code."""
    await execute(
        db,
        "update minimaluser.tbl_session set ses_authenticated_at = :at, ses_authenticated_by = :by"
        " where ses_id = :session_id",
        {"session_id": session_id, "at": at, "by": by},
    )


RESOLVE = (
    "with live as ("
    " select s.ses_id, s.aut_id, s.ses_authenticated_at, s.ses_authenticated_by"
    " from minimaluser.tbl_session s"
    " where s.ses_id = :session_id and s.aut_id = :user_id"
    " and (s.ses_remember and s.ses_created > now() - make_interval(days => :remember_days)"
    " or not s.ses_remember"
    " and s.ses_last_seen > now() - make_interval(hours => :idle_hours))),"
    " touch as (update minimaluser.tbl_session set ses_last_seen = now()"
    " where ses_id = (select ses_id from live)"
    " and ses_last_seen < now() - interval '1 minute')"
    " select u.aut_id, u.aut_email, u.aut_name, u.aut_confirmed, u.aut_tile, live.ses_id,"
    " live.ses_authenticated_at, live.ses_authenticated_by, u.aut_operator"
    " from live join minimaluser.tbl_auth u on u.aut_id = live.aut_id where u.aut_isvalid"
)


async def resolve(db: PooledDatabase, user_id: int, session_id: UUID) -> CurrentUser | None:
    """The user behind a live session, touching last-seen at most once a minute; one round trip."""
    row = await fetch_one(
        db,
        RESOLVE,
        {
            "session_id": session_id,
            "user_id": user_id,
            "remember_days": REMEMBER_DAYS,
            "idle_hours": IDLE_HOURS,
        },
    )
    if row is None:
        return None
    return CurrentUser(
        id=row["aut_id"],
        email=row["aut_email"],
        nickname=row["aut_name"],
        confirmed=row["aut_confirmed"],
        tile=row["aut_tile"],
        session_id=row["ses_id"],
        authenticated_at=row["ses_authenticated_at"],
        operator=row["aut_operator"],
        authenticated_by=row["ses_authenticated_by"],
    )


async def delete(db: PooledDatabase, session_id: UUID) -> None:
    await execute(
        db,
        "delete from minimaluser.tbl_session where ses_id = :session_id",
        {"session_id": session_id},
    )


async def delete_all(db: PooledDatabase, user_id: int) -> int:
    return await delete_others(db, user_id, None)


async def delete_others(db: PooledDatabase, user_id: int, keep: UUID | None) -> int:
    """End every session of the user but `keep` (all of them when None); how many ended."""
    rows = await fetch_all(
        db,
        "delete from minimaluser.tbl_session"
        " where aut_id = :user_id and ses_id is distinct from :keep returning ses_id",
        {"user_id": user_id, "keep": keep},
    )
    return len(rows)


async def of_user(db: PooledDatabase, user_id: int) -> list[SessionRow]:
    rows = await fetch_all(
        db,
        "select ses_id, ses_ip, ses_user_agent, ses_created, ses_last_seen"
        " from minimaluser.tbl_session where aut_id = :user_id order by ses_last_seen desc",
        {"user_id": user_id},
    )
    return [
        SessionRow(
            r["ses_id"], r["ses_ip"], r["ses_user_agent"], r["ses_created"], r["ses_last_seen"]
        )
        for r in rows
    ]


async def prune(db: PooledDatabase) -> int:
    """Sessions past their life: remembered ones after 30 days, idle ones after 12 hours (each
    kind in the order of its own index). Returns how many went."""
    remembered = await delete_in_batches(
        db,
        "minimaluser.tbl_session",
        "ses_created",
        "ses_remember and ses_created < now() - make_interval(days => :days)",
        {"days": REMEMBER_DAYS},
    )
    idle = await delete_in_batches(
        db,
        "minimaluser.tbl_session",
        "ses_last_seen",
        "not ses_remember and ses_last_seen < now() - make_interval(hours => :hours)",
        {"hours": IDLE_HOURS},
    )
    return remembered + idle
