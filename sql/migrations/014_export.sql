-- The user's own data (GDPR art. 20): when the address was confirmed, and which account each
-- email was for, so an export can list them.
alter table minimaluser.tbl_auth add column aut_confirmed_at timestamptz;
-- A best guess for the accounts confirmed before this column: their creation time.
update minimaluser.tbl_auth set aut_confirmed_at = aut_timestamp where aut_confirmed;

alter table minimaluser.tbl_outbox
    add column aut_id bigint references minimaluser.tbl_auth (aut_id) on delete set null;
-- The messages still kept (7 days once delivered, 30 once failed), matched by address.
update minimaluser.tbl_outbox o set aut_id = a.aut_id
    from minimaluser.tbl_auth a where lower(a.aut_email) = lower(o.obx_recipient);
create index tbl_outbox_user on minimaluser.tbl_outbox (aut_id);
