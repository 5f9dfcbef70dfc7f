-- Time events (issue 17, docs/live-membership.md "Time events"): for each customer, the earliest instant after
-- which a clock-dependent leaf (within / notWithin, an aggregate's duration window, age) of any of the tenant's
-- dynamic segments may change its truth for that customer. A lower bound: early costs one wasted evaluation, late
-- never happens. Customers without such an instant have no row. Maintained by MembershipService in the same
-- transaction as every membership update; the time-event tick re-evaluates the customers whose instant passed.
create table customer_due (
    tenant_id   bigint      not null,
    customer_id bigint      not null,
    due_at      timestamptz not null,
    primary key (tenant_id, customer_id),
    foreign key (tenant_id, customer_id) references customer (tenant_id, id) on delete cascade
);
-- the tick: where tenant_id = $1 and due_at <= $now order by due_at limit N for update skip locked
create index customer_due_tenant_due on customer_due (tenant_id, due_at);
-- which tenants have due customers, and the upkeep lag gauge (min(due_at))
create index customer_due_due on customer_due (due_at);

-- Fill the column for existing tenants through the repair path: a full refresh of each time-dependent segment,
-- after which the scheduler recomputes the tenant's whole due column.
update segment_state set next_refresh_at = now() where drift_interval_ms is not null;
