-- What happened to each account, for its owner to see; never a secret.
create table minimaluser.tbl_security_event (
    sev_id bigint generated always as identity primary key,
    aut_id bigint references minimaluser.tbl_auth (aut_id) on delete cascade,
    sev_event varchar(40) not null,
    sev_ip varchar(64),
    sev_user_agent varchar(512),
    sev_at timestamptz not null default now()
);
create index tbl_security_event_user on minimaluser.tbl_security_event (aut_id, sev_at desc);
create index tbl_security_event_at on minimaluser.tbl_security_event (sev_at);
