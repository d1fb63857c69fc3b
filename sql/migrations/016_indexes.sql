-- Indexes for the queries a million accounts would otherwise answer by reading a whole table
-- (tests/test_query_plans.py finds them on the planner's plans).

-- Housekeeping's sweep of expired sessions (sessions.prune): remembered ones, by creation.
create index tbl_session_remembered on minimaluser.tbl_session (ses_created) where ses_remember;
-- Housekeeping's sweep of expired sessions (sessions.prune): the others, by when last seen.
create index tbl_session_idle on minimaluser.tbl_session (ses_last_seen) where not ses_remember;
-- Housekeeping's sweep of expired address changes (email_changes.prune).
create index tbl_email_change_expires on minimaluser.tbl_email_change (ech_expires);
-- Housekeeping's sweep of abandoned authenticator-app setups (totp.prune_setups).
create index tbl_totp_setup_expires on minimaluser.tbl_totp_setup (tsu_expires);
-- Housekeeping's sweep of delivered mail (outbox.prune_sent).
create index tbl_outbox_sent on minimaluser.tbl_outbox (obx_sent_at) where obx_sent_at is not null;
-- An operator's page of an account: the recent emails to its address (operators.recent_mail).
create index tbl_outbox_recipient on minimaluser.tbl_outbox (lower(obx_recipient), obx_id);
-- Deleting an account deletes its login codes (users.delete, through the foreign key's cascade).
create index tbl_login_code_user on minimaluser.tbl_login_code (aut_id);
-- Deleting an account deletes its passkey challenges (users.delete, through the cascade too).
create index tbl_webauthn_challenge_user on minimaluser.tbl_webauthn_challenge (aut_id);
