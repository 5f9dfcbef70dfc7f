-- Analytics as rule fields (issue 15, second step: ABC/XYZ, lead scoring, value quadrants); see docs/analytics.md.
-- Like RFM (V12), the values are customer columns next to the rollups, so a rule reads them as plain columns.

alter table customer
    -- ABC/XYZ: ABC ranks the whole base (only a run writes it); XYZ is per customer (runs and purchase writes).
    -- abc_revenue is the counted revenue in the model's window behind abc_class, xyz_cv the coefficient of
    -- variation behind xyz_class (null when it is Z for want of a series: purchases in fewer than two periods or
    -- a revenue that is not positive), xyz_periods the periods of the horizon with purchases.
    add column abc_class        text check (abc_class in ('A', 'B', 'C')),
    add column abc_revenue      numeric(20, 4),
    add column abc_computed_at  timestamptz,
    add column xyz_class        text check (xyz_class in ('X', 'Y', 'Z')),
    add column xyz_cv           numeric(20, 6),
    add column xyz_periods      integer,
    add column xyz_computed_at  timestamptz,
    add column abc_xyz          text check (abc_xyz ~ '^[ABC][XYZ]$'),
    -- lead scoring: runs of the model and every write of the customer (null while the model has no rules)
    add column lead_score       numeric(20, 2),
    add column lead_temperature text check (lead_temperature in ('hot', 'warm', 'cold')),
    add column lead_computed_at timestamptz,
    -- value quadrants: big/small revenue in the window x soon/late from first contact to first purchase (runs)
    add column value_quadrant   text check (value_quadrant in ('bigSoon', 'bigLate', 'smallSoon', 'smallLate')),
    add column value_revenue    numeric(20, 4),
    add column value_days       numeric(12, 2),
    add column value_computed_at timestamptz;

alter table analytics_model drop constraint analytics_model_model_check;
alter table analytics_model add constraint analytics_model_model_check
    check (model in ('rfm', 'activity', 'abc-xyz', 'lead-scoring', 'value-quadrants'));

-- The decay factor of lead-scoring points earned by an activity at t, at time `at`, with this half-life:
-- 0.5 ^ (age / half-life), the age never below zero (an activity dated in the future has not aged); null when
-- there is no such activity (the points then count in full). Below 0.5^64 the factor is 0 (no points of a valid
-- model, at most 1e9 each, keep a cent after that). The one definition, used by the compiled scoring statement.
create function analytics_decay(t timestamptz, at timestamptz, half_life_seconds numeric) returns numeric
    language sql immutable parallel safe as $$
    select case
        when t is null then null
        when greatest(0, extract(epoch from (at - t))) / half_life_seconds >= 64 then 0
        else power(0.5::float8, (greatest(0, extract(epoch from (at - t))) / half_life_seconds)::float8)::numeric end
$$;
