-- Throttles decide and record in one statement: one row per key, holding the times of the
-- attempts still inside its window; the row's lock makes concurrent attempts wait their turn.
create table minimaluser.tbl_limit (
    lim_key text primary key,
    lim_hits timestamptz[] not null,
    lim_last timestamptz not null default now()
);
create index tbl_limit_last on minimaluser.tbl_limit (lim_last);
drop table minimaluser.tbl_throttle;

-- One forgotten-key request per address, known or not: a new request replaces the previous
-- one, whoever it was for. The address is kept as a keyed hash, never in clear. Codes waiting
-- at this upgrade cannot be matched to an address and are dropped (they live ten minutes).
delete from minimaluser.tbl_key_reset;
alter table minimaluser.tbl_key_reset add column rst_address bytea not null;
create unique index tbl_key_reset_address on minimaluser.tbl_key_reset (rst_address);

-- How a login happened (access key, confirmation link, new key...), for the security log.
alter table minimaluser.tbl_security_event add column sev_detail varchar(40);
