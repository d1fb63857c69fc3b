-- Operators: accounts that may use the /admin/ pages (python -m admin grant / revoke).
alter table minimaluser.tbl_auth add column aut_operator boolean not null default false;

-- Search by the start of an address or a nickname, case aside, on a million accounts: a
-- range in byte order ("C"), which a prepared statement's generic plan can still use.
create index tbl_auth_email_prefix on minimaluser.tbl_auth ((lower(aut_email) collate "C"));
create index tbl_auth_name_prefix on minimaluser.tbl_auth ((lower(aut_name) collate "C"));

-- The audit log: who did what to whom, when, from where. It keeps the target's id and address
-- as they were, with no foreign key, so it outlives a deleted account; rows are never changed.
create table minimaluser.tbl_audit (
    aud_id bigint generated always as identity primary key,
    aud_at timestamptz not null default now(),
    aud_actor varchar(300) not null,
    aud_actor_id bigint,
    aud_action varchar(40) not null,
    aud_target_id bigint,
    aud_target_email varchar(255),
    aud_ip varchar(64)
);
create index tbl_audit_at on minimaluser.tbl_audit (aud_id desc);
create index tbl_audit_actor on minimaluser.tbl_audit (lower(aud_actor) text_pattern_ops);
create index tbl_audit_target on minimaluser.tbl_audit (lower(aud_target_email) text_pattern_ops);

create function minimaluser.audit_is_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'the audit log is append-only';
end;
$$;
create trigger tbl_audit_append_only before update or delete on minimaluser.tbl_audit
    for each statement execute function minimaluser.audit_is_append_only();

-- How this browser's session last proved its user: an operator who has a second factor must
-- have used it (a code or a passkey), not only the key.
alter table minimaluser.tbl_session add column ses_authenticated_by varchar(20);
