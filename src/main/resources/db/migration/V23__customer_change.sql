-- The journal of customer changes not yet followed (issue 17, docs/live-membership.md "Writes that outlive a
-- crash"): a customer or activity write records the customers it changes, in its own transaction, through the
-- customer.CustomerChanges port; after the commit the port's implementation (analytics.service.CustomerChangesPipeline)
-- updates their analytics values and segment membership, then deletes the row. A row still here after the grace
-- period (segments.membership.changes-grace) is a write whose follow-up was cut off (the process stopped between the
-- commit and the update, or the update and its repair mark failed): the sweep follows it then. Following a change
-- twice is harmless (it re-evaluates the customers from their stored rows).
create table customer_change (
    id           bigserial   primary key,
    tenant_id    bigint      not null references tenant (id) on delete cascade,
    customer_ids bigint[]    not null,
    sources      text[]      not null,
    recorded_at  timestamptz not null default clock_timestamp(),
    -- when a sweep last took the row (it is taken again one grace period later if that sweep did not finish)
    swept_at     timestamptz
);
-- the sweep: rows older than the grace period, oldest first
create index customer_change_recorded on customer_change (recorded_at);
