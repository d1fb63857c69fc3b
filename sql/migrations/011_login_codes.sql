-- Login by emailed code: one request per address (a keyed hash of it, known or not, so both
-- leave the same trace), its code kept as a keyed hash, its id in the asking browser's cookie.
create table minimaluser.tbl_login_code (
    lgc_id uuid primary key default gen_random_uuid(),
    lgc_address bytea not null,
    aut_id bigint references minimaluser.tbl_auth (aut_id) on delete cascade,
    lgc_code_hash bytea not null,
    lgc_attempts integer not null default 0,
    lgc_expires timestamptz not null
);
create unique index tbl_login_code_address on minimaluser.tbl_login_code (lgc_address);
create index tbl_login_code_expires on minimaluser.tbl_login_code (lgc_expires);
