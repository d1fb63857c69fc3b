-- An email that could not be delivered within its deadline is failed for good: no more retries,
-- its sealed secrets wiped (obx_secret_wiped remembers it had some, so it is never re-sent
-- without them), its last error kept for operators until housekeeping prunes it.
-- Both columns are added without a rewrite (nullable; a constant default); existing rows are
-- pending or sent, so the check holds for them.
alter table minimaluser.tbl_outbox
    add column obx_failed_at timestamptz,
    add column obx_secret_wiped boolean not null default false,
    add constraint tbl_outbox_failed_holds_no_secret
        check (obx_failed_at is null or (obx_secret is null and obx_sent_at is null));

-- The dispatcher's claim: only messages still waiting, so failed rows never slow it down.
drop index minimaluser.tbl_outbox_due;
create index tbl_outbox_due on minimaluser.tbl_outbox (obx_due_at)
    where obx_sent_at is null and obx_failed_at is null;
-- The operators' list of failed messages, newest first, and their pruning.
create index tbl_outbox_failed on minimaluser.tbl_outbox (obx_failed_at)
    where obx_failed_at is not null;
