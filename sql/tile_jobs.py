"""Queries on minimaluser.tbl_tile_job: tile uploads and removals that the store must still do."""

from __future__ import annotations

from dataclasses import dataclass

from sql.pool import PooledDatabase
from sql.query import execute, fetch_all, fetch_one, fetch_val


@dataclass(frozen=True)
class Job:
    id: int
    action: str
    name: str
    svg: str | None
    attempts: int


async def add(db: PooledDatabase, action: str, name: str, svg: str | None = None) -> int:
    job_id: int = await fetch_val(
        db,
        "insert into minimaluser.tbl_tile_job (tjb_action, tjb_name, tjb_svg)"
        " values (:action, :name, :svg) returning tjb_id",
        {"action": action, "name": name, "svg": svg},
    )
    return job_id


async def claim_due(db: PooledDatabase, limit: int) -> list[Job]:
    rows = await fetch_all(
        db,
        "select tjb_id, tjb_action, tjb_name, tjb_svg, tjb_attempts from minimaluser.tbl_tile_job"
        " where tjb_due_at <= now() order by tjb_id limit :limit for update skip locked",
        {"limit": limit},
    )
    return [
        Job(r["tjb_id"], r["tjb_action"], r["tjb_name"], r["tjb_svg"], r["tjb_attempts"])
        for r in rows
    ]


async def claim(db: PooledDatabase, job_id: int) -> Job | None:
    row = await fetch_one(
        db,
        "select tjb_id, tjb_action, tjb_name, tjb_svg, tjb_attempts from minimaluser.tbl_tile_job"
        " where tjb_id = :job_id for update skip locked",
        {"job_id": job_id},
    )
    return (
        Job(row["tjb_id"], row["tjb_action"], row["tjb_name"], row["tjb_svg"], row["tjb_attempts"])
        if row
        else None
    )


async def done(db: PooledDatabase, job_id: int) -> None:
    await execute(
        db, "delete from minimaluser.tbl_tile_job where tjb_id = :job_id", {"job_id": job_id}
    )


async def failed(db: PooledDatabase, job_id: int, delay_seconds: float, error: str) -> None:
    await execute(
        db,
        "update minimaluser.tbl_tile_job set tjb_attempts = tjb_attempts + 1,"
        " tjb_due_at = now() + make_interval(secs => :delay), tjb_last_error = :error"
        " where tjb_id = :job_id",
        {"job_id": job_id, "delay": delay_seconds, "error": error[:500]},
    )


async def pending_put(db: PooledDatabase, name: str) -> str | None:
    """The SVG of a tile still waiting for its upload: served meanwhile instead of a 404."""
    svg: str | None = await fetch_val(
        db,
        "select tjb_svg from minimaluser.tbl_tile_job where tjb_name = :name and tjb_action = 'put'"
        " order by tjb_id desc limit 1",
        {"name": name},
    )
    return svg


async def drop_puts(db: PooledDatabase, name: str) -> None:
    """An account going away: a tile upload still waiting must never land after its removal."""
    await execute(
        db,
        "delete from minimaluser.tbl_tile_job where tjb_name = :name and tjb_action = 'put'",
        {"name": name},
    )
