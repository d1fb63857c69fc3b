-- Pending email changes, and tile uploads or removals waiting for the tile store.
create table minimaluser.tbl_email_change (
    ech_id uuid primary key default gen_random_uuid(),
    aut_id bigint not null unique references minimaluser.tbl_auth (aut_id) on delete cascade,
    ech_new_email varchar(255) not null,
    ech_created timestamptz not null default now(),
    ech_expires timestamptz not null
);

create table minimaluser.tbl_tile_job (
    tjb_id bigint generated always as identity primary key,
    tjb_action varchar(10) not null check (tjb_action in ('put', 'delete')),
    tjb_name varchar(64) not null,
    tjb_svg text,
    tjb_attempts integer not null default 0,
    tjb_due_at timestamptz not null default now(),
    tjb_last_error varchar(500)
);
create index tbl_tile_job_due on minimaluser.tbl_tile_job (tjb_due_at);
