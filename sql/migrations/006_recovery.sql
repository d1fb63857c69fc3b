-- Forgotten-key requests: a hashed one-time code per request. A request about an unknown
-- address keeps a decoy row (aut_id null), so both answers do the same work.
create table minimaluser.tbl_key_reset (
    rst_id uuid primary key default gen_random_uuid(),
    aut_id bigint references minimaluser.tbl_auth (aut_id) on delete cascade,
    rst_code_hash varchar(200),
    rst_attempts integer not null default 0,
    rst_created timestamptz not null default now(),
    rst_expires timestamptz not null,
    rst_used_at timestamptz
);
create index tbl_key_reset_user on minimaluser.tbl_key_reset (aut_id);
create index tbl_key_reset_expires on minimaluser.tbl_key_reset (rst_expires);
