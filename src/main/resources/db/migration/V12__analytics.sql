-- Analytics as rule fields (issue 15, first step: RFM and activity status); see docs/analytics.md.
-- The values live on the customer row next to the rollups, so a rule reads them like any column (c.rfm_segment)
-- and the compiler needs no join.

-- RFM: written only by a recompute of the tenant's RFM model (it ranks the whole base); null without purchases
-- counted in the model's window. rfm_monetary_value is the counted revenue behind rfm_monetary (the reports sum it).
alter table customer
    add column rfm_recency          smallint check (rfm_recency between 1 and 5),
    add column rfm_frequency        smallint check (rfm_frequency between 1 and 5),
    add column rfm_monetary         smallint check (rfm_monetary between 1 and 5),
    add column rfm_score            text,
    add column rfm_segment          text,
    add column rfm_monetary_value   numeric(20, 4),
    add column rfm_computed_at      timestamptz,
    -- activity status: per customer, kept by every write path (a new customer is 'new': created now, and every
    -- model's new window is positive) and by the activity model's runs, which follow the clock
    add column activity_status      text not null default 'new'
        check (activity_status in ('new', 'active', 'passive', 'dormant')),
    add column activity_computed_at timestamptz not null default now();

-- A tenant's analytics models: the configuration (null: the defaults, never saved) with its version (the ETag;
-- 0 while never saved) and the freshness of the last run.
create table analytics_model (
    tenant_id      bigint      not null references tenant (id) on delete cascade,
    model          text        not null check (model in ('rfm', 'activity')),
    config         jsonb,
    version        bigint      not null default 0,
    updated_at     timestamptz not null default now(),
    computed_at    timestamptz,
    duration_ms    bigint,
    changed_count  integer,
    next_run_at    timestamptz,
    primary key (tenant_id, model)
);
create index analytics_model_due on analytics_model (next_run_at) where next_run_at is not null;

-- The activity status of one customer at `at` under an activity model configuration (null or missing keys: the
-- defaults). The one definition, used by the activity write path (ActivityRepository) and the model's runs
-- (AnalyticsRepository). Windows are ISO-8601 durations subtracted in UTC calendar terms, like a rule's `within`:
--   new      created_at >= at - newWithin                       (default P30D)
--   active   basis      >= at - activeWithin                    (default P90D)
--   passive  basis      >= at - passiveWithin                   (default P365D)
--   dormant  otherwise (no basis value, or older)
-- checked in this order; basis is last_seen_at (default, any activity) or last_purchase_at (basis: lastPurchaseAt).
create function analytics_activity_status(cfg jsonb, created_at timestamptz, last_seen_at timestamptz,
                                          last_purchase_at timestamptz, at timestamptz) returns text
    language sql stable parallel safe as $$
    select case
        when created_at >= ((at at time zone 'UTC') - coalesce(cfg ->> 'newWithin', 'P30D')::interval) at time zone 'UTC'
            then 'new'
        when b.basis >= ((at at time zone 'UTC') - coalesce(cfg ->> 'activeWithin', 'P90D')::interval) at time zone 'UTC'
            then 'active'
        when b.basis >= ((at at time zone 'UTC') - coalesce(cfg ->> 'passiveWithin', 'P365D')::interval) at time zone 'UTC'
            then 'passive'
        else 'dormant' end
    from (select case when cfg ->> 'basis' = 'lastPurchaseAt' then last_purchase_at else last_seen_at end as basis) b
$$;

-- customers that existed before: their status now, under the defaults
update customer set activity_status = analytics_activity_status(null, created_at, last_seen_at, last_purchase_at, now());

-- live membership: a run that changes customers' values records their entries and exits with cause 'analytics'
alter table membership_change drop constraint membership_change_cause_check;
alter table membership_change add constraint membership_change_cause_check
    check (cause in ('data_write', 'time_drift', 'rule_edit', 'static_edit', 'refresh', 'analytics'));
