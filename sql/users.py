"""Queries on minimaluser.tbl_auth: the accounts."""

from __future__ import annotations

from dataclasses import dataclass

from asyncpg import Record

from sql.pool import PooledDatabase
from sql.query import execute, fetch_all, fetch_one, fetch_val


@dataclass(frozen=True)
class User:
    id: int
    email: str
    key_hash: str
    nickname: str
    valid: bool
    confirmed: bool
    tile: str
    operator: bool = False
    language: str | None = None


def _user(row: Record | None) -> User | None:
    if row is None:
        return None
    return User(
        id=row["aut_id"],
        email=row["aut_email"],
        key_hash=row["aut_key"],
        nickname=row["aut_name"],
        valid=row["aut_isvalid"],
        confirmed=row["aut_confirmed"],
        tile=row["aut_tile"],
        operator=row["aut_operator"],
        language=row["aut_language"],
    )


async def create(
    db: PooledDatabase, email: str, key_hash: str, nickname: str, tile: str, language: str
) -> int:
    user_id: int = await fetch_val(
        db,
        "insert into minimaluser.tbl_auth (aut_email, aut_key, aut_name, aut_tile, aut_language)"
        " values (:email, :key_hash, :nickname, :tile, :language) returning aut_id",
        {
            "email": email,
            "key_hash": key_hash,
            "nickname": nickname,
            "tile": tile,
            "language": language,
        },
    )
    return user_id


async def set_language(db: PooledDatabase, user_id: int, language: str) -> None:
    await execute(
        db,
        "update minimaluser.tbl_auth set aut_language = :language where aut_id = :user_id",
        {"user_id": user_id, "language": language},
    )


async def language_of(db: PooledDatabase, user_id: int) -> str | None:
    """The language the account chose, or None when it never chose one."""
    language: str | None = await fetch_val(
        db,
        "select aut_language from minimaluser.tbl_auth where aut_id = :user_id",
        {"user_id": user_id},
    )
    return language


async def by_email(db: PooledDatabase, email: str) -> User | None:
    return _user(
        await fetch_one(
            db,
            "select aut_id, aut_email, aut_key, aut_name, aut_isvalid, aut_confirmed, aut_tile,"
            " aut_operator, aut_language"
            " from minimaluser.tbl_auth where lower(aut_email) = lower(:email)",
            {"email": email},
        )
    )


async def by_id(db: PooledDatabase, user_id: int) -> User | None:
    return _user(
        await fetch_one(
            db,
            "select aut_id, aut_email, aut_key, aut_name, aut_isvalid, aut_confirmed, aut_tile,"
            " aut_operator, aut_language"
            " from minimaluser.tbl_auth where aut_id = :user_id",
            {"user_id": user_id},
        )
    )


async def email_taken(db: PooledDatabase, email: str) -> bool:
    found = await fetch_val(
        db,
        "select exists (select 1 from minimaluser.tbl_auth where lower(aut_email) = lower(:email))",
        {"email": email},
    )
    return bool(found)


async def confirm(db: PooledDatabase, user_id: int, email: str) -> bool:
    """Confirm the address if it is still the user's; True only for the first confirmation."""
    row = await fetch_one(
        db,
        "update minimaluser.tbl_auth set aut_confirmed = true, aut_confirmed_at = now()"
        " where aut_id = :user_id and lower(aut_email) = lower(:email) and not aut_confirmed"
        " and aut_isvalid returning aut_id",
        {"user_id": user_id, "email": email},
    )
    return row is not None


async def set_key_hash(db: PooledDatabase, user_id: int, key_hash: str) -> None:
    await execute(
        db,
        "update minimaluser.tbl_auth set aut_key = :key_hash where aut_id = :user_id",
        {"user_id": user_id, "key_hash": key_hash},
    )


async def set_valid(db: PooledDatabase, user_id: int, valid: bool) -> bool:
    row = await fetch_one(
        db,
        "update minimaluser.tbl_auth set aut_isvalid = :valid where aut_id = :user_id"
        " returning aut_id",
        {"user_id": user_id, "valid": valid},
    )
    return row is not None


async def delete(db: PooledDatabase, user_id: int) -> bool:
    row = await fetch_one(
        db,
        "delete from minimaluser.tbl_auth where aut_id = :user_id returning aut_id",
        {"user_id": user_id},
    )
    return row is not None


async def listing(db: PooledDatabase, limit: int = 200) -> list[User]:
    rows = await fetch_all(
        db,
        "select aut_id, aut_email, aut_key, aut_name, aut_isvalid, aut_confirmed, aut_tile,"
        " aut_operator, aut_language"
        " from minimaluser.tbl_auth order by aut_id limit :limit",
        {"limit": limit},
    )
    return [u for u in map(_user, rows) if u is not None]


async def set_nickname(db: PooledDatabase, user_id: int, nickname: str) -> None:
    await execute(
        db,
        "update minimaluser.tbl_auth set aut_name = :nickname where aut_id = :user_id",
        {"user_id": user_id, "nickname": nickname},
    )


async def set_email(db: PooledDatabase, user_id: int, email: str) -> None:
    """A confirmed change of address: the new one is proven by its link."""
    await execute(
        db,
        "update minimaluser.tbl_auth set aut_email = :email, aut_confirmed = true,"
        " aut_confirmed_at = now()"
        " where aut_id = :user_id",
        {"user_id": user_id, "email": email},
    )


async def set_operator(db: PooledDatabase, user_id: int, operator: bool) -> bool:
    """Grant or revoke the operator role; False when it was so already."""
    row = await fetch_one(
        db,
        "update minimaluser.tbl_auth set aut_operator = :operator"
        " where aut_id = :user_id and aut_operator <> :operator returning aut_id",
        {"user_id": user_id, "operator": operator},
    )
    return row is not None
