-- The authenticator app (TOTP): its secret sealed with a key derived from SECRET_KEY, and the
-- last time step a code was accepted for, so a code works once.
create table minimaluser.tbl_totp (
    aut_id bigint primary key references minimaluser.tbl_auth (aut_id) on delete cascade,
    tot_secret bytea not null,
    tot_last_step bigint not null default 0,
    tot_enabled_at timestamptz not null
);

-- A setup waiting for its first right code: one secret per account, kept 15 minutes, so a
-- reload shows the same one.
create table minimaluser.tbl_totp_setup (
    aut_id bigint primary key references minimaluser.tbl_auth (aut_id) on delete cascade,
    tsu_secret bytea not null,
    tsu_expires timestamptz not null
);

-- Recovery codes, kept as keyed hashes (HMAC); each works once.
create table minimaluser.tbl_recovery_code (
    rco_id bigint generated always as identity primary key,
    aut_id bigint not null references minimaluser.tbl_auth (aut_id) on delete cascade,
    rco_hash bytea not null,
    rco_used_at timestamptz
);
create index tbl_recovery_code_user on minimaluser.tbl_recovery_code (aut_id);

-- A login past its key, waiting for the second factor; its id lives in one browser's cookie.
create table minimaluser.tbl_pending_login (
    pnd_id uuid primary key default gen_random_uuid(),
    aut_id bigint not null references minimaluser.tbl_auth (aut_id) on delete cascade,
    pnd_remember boolean not null,
    pnd_attempts integer not null default 0,
    pnd_expires timestamptz not null
);
create index tbl_pending_login_user on minimaluser.tbl_pending_login (aut_id);
create index tbl_pending_login_expires on minimaluser.tbl_pending_login (pnd_expires);

-- When this browser's session last proved its user (key, second-factor code): sensitive
-- actions ask again after 10 minutes. A confirmation link proves only the mailbox: null.
alter table minimaluser.tbl_session add column ses_authenticated_at timestamptz;
