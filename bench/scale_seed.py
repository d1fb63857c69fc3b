"""`make bench-scale`'s data, made by PostgreSQL itself: a few INSERT … SELECT over
generate_series, one precomputed key hash and one sealed secret reused by every row.

Account i (1…n) is `user<i>@example.com`, with the access key KEY. Every tenth is unconfirmed
(i % 10 = 0), every hundredth has a second factor (i % 100 = 1: an authenticator app and ten
recovery codes), a few chose Italian or Arabic. Each has 3 sessions (one expired, one idle and
one remembered still alive), 5 lines of security log over 400 days (so those older than a year
are due for the sweep) and one delivered email over the last 10 days (three in ten past the 7 days
they are kept). The pending emails, sign-up emails to unconfirmed accounts, wait with their due
date a year ahead, so the dispatcher leaves them alone until bench/scale_db.py makes them due.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import asyncpg
import pyotp
from argon2 import PasswordHasher

from accounts.mfa import TOTP_INFO
from services.keyring import Keyring
from services.letters import seal
from settings import Settings

KEY = "scale-bench-key-42"
AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@dataclass(frozen=True)
class Secrets:
    """What every seeded row reuses: the key's argon2id hash (the app's cost), an authenticator
    secret and an email's secrets, both sealed with the app's SECRET_KEY."""

    key_hash: str
    totp: bytes
    mail: bytes


def secrets_for(settings: Settings) -> Secrets:
    hasher = PasswordHasher(
        time_cost=settings.argon2_time_cost, memory_cost=settings.argon2_memory_kib, parallelism=1
    )
    keyring = Keyring(settings.secret_key)
    totp = keyring.fernet(TOTP_INFO).encrypt(pyotp.random_base32().encode())
    mail = seal(keyring, {"key": KEY, "token": "seeded-token"})
    assert mail is not None
    return Secrets(hasher.hash(KEY), totp, mail)


def eligible(i: int) -> bool:
    """Account i logs in with the key alone, confirmed, in the browser's language."""
    return i % 10 != 0 and i % 100 != 1 and i % 20 not in (3, 7)


ACCOUNTS = """
insert into minimaluser.tbl_auth (aut_id, aut_email, aut_key, aut_name, aut_isvalid,
    aut_confirmed, aut_confirmed_at, aut_timestamp, aut_tile, aut_language)
select i, 'user' || i || '@example.com', $2,
    w.adj[1 + i % w.na] || '-' || w.ani[1 + i % w.nb] || '-' || lpad(i::text, 6, '0') || '-'
        || w.col[1 + i % w.nc],
    true, i % 10 <> 0, case when i % 10 <> 0 then at + interval '10 minutes' end, at,
    'tile-' || left(md5(i::text), 24) || '.svg',
    case i % 20 when 3 then 'it' when 7 then 'ar' end
from (select array_agg(adj_word order by adj_word) as adj, count(*) as na,
        (select array_agg(ani_word order by ani_word) from namer.tbl_animal) as ani,
        (select count(*) from namer.tbl_animal) as nb,
        (select array_agg(col_name order by col_name) from namer.tbl_colour) as col,
        (select count(*) from namer.tbl_colour) as nc
      from namer.tbl_adjective) w,
    lateral (select i, now() - interval '730 days' * (1 - i::float8 / $1::bigint) as at
             from generate_series(1, $1::bigint) i) a
"""
# The accounts were given their ids: the next sign-up's comes after them.
IDENTITY = "select setval(pg_get_serial_sequence('minimaluser.tbl_auth', 'aut_id'), $1::bigint)"

AUTHENTICATOR = """
insert into minimaluser.tbl_totp (aut_id, tot_secret, tot_last_step, tot_enabled_at)
select i, $2, 0, now() - interval '30 days' from generate_series(1, $1::bigint, 100) i
"""

RECOVERY_CODES = """
insert into minimaluser.tbl_recovery_code (aut_id, rco_hash, rco_used_at)
select i, sha256(convert_to(i || '-' || k, 'UTF8')),
    case when k <= 2 then now() - interval '3 days' end
from generate_series(1, $1::bigint, 100) i, generate_series(1, 10) k
"""

# Rows in the order time wrote them: account a's sessions lie n rows apart, not side by side.
# k = 0: expired (half remembered past 30 days, half idle past 12 hours); 1: idle, alive;
# 2: remembered, alive.
SESSIONS = """
insert into minimaluser.tbl_session (aut_id, ses_ip, ses_user_agent, ses_remember, ses_created,
    ses_last_seen, ses_authenticated_at, ses_authenticated_by)
select a, '198.51.' || (a / 256 % 256) || '.' || (a % 256), $2, remember, created, seen,
    created, 'key'
from (
    select a, remember,
        now() - case when k = 0 and remember then interval '1 day' * (31 + a % 60)
            when k = 0 then interval '1 day' * (1 + a % 30)
            when k = 1 then interval '1 minute' * (720 + a % 600)
            else interval '1 minute' * (a % 40000) end as created,
        now() - case when k = 0 and remember then interval '31 days'
            when k = 0 then interval '1 hour' * (13 + a % 700)
            when k = 1 then interval '1 minute' * (a % 700)
            else interval '1 minute' * (a % 1440) end as seen
    from (select 1 + (j - 1) % $1::bigint as a, (j - 1) / $1::bigint as k,
            (j - 1) / $1::bigint = 2 or (j - 1) / $1::bigint = 0 and j % 2 = 0 as remember
          from generate_series(1, 3 * $1::bigint) j) s
) t
"""

SECURITY_LOG = """
insert into minimaluser.tbl_security_event (aut_id, sev_event, sev_ip, sev_user_agent, sev_at,
    sev_detail)
select 1 + (j - 1) % $1::bigint,
    (array['login', 'login', 'logout', 'login_failed', 'key_changed'])[1 + j % 5],
    '198.51.' || (j / 256 % 256) || '.' || (j % 256), $2,
    now() - interval '400 days' * (1 - j::float8 / (5 * $1::bigint)),
    case when j % 5 < 2 then 'key' end
from generate_series(1, 5 * $1::bigint) j
"""

DELIVERED = """
insert into minimaluser.tbl_outbox (obx_event, obx_recipient, obx_context, obx_attempts,
    obx_due_at, obx_created_at, obx_sent_at, aut_id, obx_language)
select (array['signup', 'forgot_key', 'login_code', 'key_changed'])[1 + j % 4],
    'user' || j || '@example.com', $2::jsonb, 1, at, at, at + interval '2 seconds', j, 'en'
from (select j, now() - interval '10 days' * (1 - j::float8 / $1::bigint) as at
      from generate_series(1, $1::bigint) j) s
"""

# The sign-up emails of unconfirmed accounts (i % 10 = 0): none for the members who log in, whose
# export would otherwise list a hundred of them in the small database and none in the big one.
PENDING = """
insert into minimaluser.tbl_outbox (obx_event, obx_recipient, obx_context, obx_secret,
    obx_due_at, aut_id, obx_language)
select 'signup', 'user' || a || '@example.com', $3::jsonb, $4, now() + interval '1 year', a,
    'en'
from (select 10 * (1 + (j * 7919) % greatest($1::bigint / 10, 1)) as a
      from generate_series(1, $2::bigint) j) s
"""

TABLES = (
    "tbl_auth",
    "tbl_totp",
    "tbl_recovery_code",
    "tbl_session",
    "tbl_security_event",
    "tbl_outbox",
)


async def connect(database: str, socket_dir: str) -> asyncpg.Connection:
    return await asyncpg.connect(user="postgres", database=database, host=socket_dir)


async def _run(
    database: str, socket_dir: str, steps: list[tuple[str, str, tuple[object, ...]]]
) -> dict[str, float]:
    """Statements one after another on a connection of their own; the seconds each took. The
    rows are consistent by construction, so the foreign keys' triggers are skipped
    (session_replication_role), and no commit waits for the disk: a seeding cut short by a
    crash is simply run again."""
    timings: dict[str, float] = {}
    connection = await connect(database, socket_dir)
    try:
        await connection.execute("set synchronous_commit = off")
        await connection.execute("set session_replication_role = replica")
        for name, statement, arguments in steps:
            started = time.monotonic()
            await connection.execute(statement, *arguments)
            timings[name] = time.monotonic() - started
    finally:
        await connection.close()
    return timings


async def seed(
    database: str, socket_dir: str, accounts: int, pending: int, secrets: Secrets
) -> dict[str, float]:
    """Seeds `accounts` accounts and `pending` waiting emails on two connections at once (a
    statement runs on one core), then VACUUM ANALYZE, as autovacuum would have done by then.
    Returns the seconds of each part, "insert" and "vacuum analyze" for the wall time."""
    context = json.dumps({"nickname": "seeded-cat"})
    started = time.monotonic()
    first, second = await asyncio.gather(
        _run(
            database,
            socket_dir,
            [
                ("accounts", ACCOUNTS, (accounts, secrets.key_hash)),
                ("identity", IDENTITY, (accounts,)),
                ("authenticator apps", AUTHENTICATOR, (accounts, secrets.totp)),
                ("recovery codes", RECOVERY_CODES, (accounts,)),
                ("sessions", SESSIONS, (accounts, AGENT)),
            ],
        ),
        _run(
            database,
            socket_dir,
            [
                ("security log", SECURITY_LOG, (accounts, AGENT)),
                ("delivered mail", DELIVERED, (accounts, context)),
                ("pending mail", PENDING, (accounts, pending, context, secrets.mail)),
            ],
        ),
    )
    timings = {**first, **second, "insert": time.monotonic() - started}
    started = time.monotonic()
    halves = (TABLES[0::2], TABLES[1::2])
    await asyncio.gather(*(_vacuum(database, socket_dir, tables) for tables in halves))
    timings["vacuum analyze"] = time.monotonic() - started
    return timings


async def _vacuum(database: str, socket_dir: str, tables: tuple[str, ...]) -> None:
    connection = await connect(database, socket_dir)
    try:
        for table in tables:
            await connection.execute(f"vacuum (analyze) minimaluser.{table}")
    finally:
        await connection.close()
