-- Sessions, the email outbox and throttles: what accounts need beyond the original schema.
create table minimaluser.tbl_session (
    ses_id uuid primary key default gen_random_uuid(),
    aut_id bigint not null references minimaluser.tbl_auth (aut_id) on delete cascade,
    ses_ip varchar(64) not null,
    ses_user_agent varchar(512) not null default '',
    ses_remember boolean not null default false,
    ses_created timestamptz not null default now(),
    ses_last_seen timestamptz not null default now()
);
create index tbl_session_user on minimaluser.tbl_session (aut_id);

create table minimaluser.tbl_outbox (
    obx_id bigint generated always as identity primary key,
    obx_message_id uuid not null unique default gen_random_uuid(),
    obx_event varchar(40) not null,
    obx_recipient varchar(255) not null,
    obx_context jsonb not null default '{}',
    obx_secret bytea,
    obx_attempts integer not null default 0,
    obx_due_at timestamptz not null default now(),
    obx_created_at timestamptz not null default now(),
    obx_sent_at timestamptz,
    obx_kept boolean not null default false,
    obx_last_error varchar(500)
);
create index tbl_outbox_due on minimaluser.tbl_outbox (obx_due_at) where obx_sent_at is null;

create table minimaluser.tbl_throttle (
    thr_key varchar(320) not null,
    thr_at timestamptz not null default now()
);
create index tbl_throttle_key_at on minimaluser.tbl_throttle (thr_key, thr_at);
