-- The dispatcher's claim takes the due messages in the order of their due time, then their id:
-- with both in its index it reads just the rows it claims, in order, even when thousands fall
-- due at the same instant (one sort of all of them per claim before).
drop index minimaluser.tbl_outbox_due;
create index tbl_outbox_due on minimaluser.tbl_outbox (obx_due_at, obx_id)
    where obx_sent_at is null and obx_failed_at is null;
