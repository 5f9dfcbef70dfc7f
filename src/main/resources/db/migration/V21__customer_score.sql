-- The analytics models' values move off the customer row into a narrow table of their own (issue 15: at 1M
-- customers a run from scratch spent most of its time rewriting 652k wide customer rows, each update a new version
-- of the whole row and, without HOT, an entry in every customer index, the tags GIN index included; docs/analytics.md,
-- "Storage"). A row exists once any model gave the customer a value; no row reads as every value unset. The only
-- index is the primary key, and the fill factor leaves room on each page, so a run's updates are HOT.
-- The activity status stays on the customer row: every write sets it next to the rollups it derives from.
-- Rules read the values through `customer c left join customer_score cs on cs.customer_id = c.id`, which
-- PostgreSQL removes from a plan that reads none of them (the inner side is unique on the join key).
create table customer_score (
    customer_id        bigint primary key references customer (id) on delete cascade,
    -- RFM (V12): written only by a run of the tenant's RFM model
    rfm_recency        smallint check (rfm_recency between 1 and 5),
    rfm_frequency      smallint check (rfm_frequency between 1 and 5),
    rfm_monetary       smallint check (rfm_monetary between 1 and 5),
    rfm_score          text,
    rfm_segment        text,
    rfm_monetary_value numeric(20, 4),
    rfm_computed_at    timestamptz,
    -- ABC/XYZ, lead scoring, value quadrants (V13, same meanings)
    abc_class          text check (abc_class in ('A', 'B', 'C')),
    abc_revenue        numeric(20, 4),
    abc_computed_at    timestamptz,
    xyz_class          text check (xyz_class in ('X', 'Y', 'Z')),
    xyz_cv             numeric(20, 6),
    xyz_periods        integer,
    xyz_computed_at    timestamptz,
    abc_xyz            text check (abc_xyz ~ '^[ABC][XYZ]$'),
    lead_score         numeric(20, 2),
    lead_temperature   text check (lead_temperature in ('hot', 'warm', 'cold')),
    lead_computed_at   timestamptz,
    value_quadrant     text check (value_quadrant in ('bigSoon', 'bigLate', 'smallSoon', 'smallLate')),
    value_revenue      numeric(20, 4),
    value_days         numeric(12, 2),
    value_computed_at  timestamptz
) with (fillfactor = 70);

insert into customer_score
select id, rfm_recency, rfm_frequency, rfm_monetary, rfm_score, rfm_segment, rfm_monetary_value, rfm_computed_at,
       abc_class, abc_revenue, abc_computed_at, xyz_class, xyz_cv, xyz_periods, xyz_computed_at, abc_xyz,
       lead_score, lead_temperature, lead_computed_at, value_quadrant, value_revenue, value_days, value_computed_at
from customer
where coalesce(rfm_computed_at, abc_computed_at, xyz_computed_at, lead_computed_at, value_computed_at) is not null;

alter table customer
    drop column rfm_recency, drop column rfm_frequency, drop column rfm_monetary, drop column rfm_score,
    drop column rfm_segment, drop column rfm_monetary_value, drop column rfm_computed_at,
    drop column abc_class, drop column abc_revenue, drop column abc_computed_at, drop column xyz_class,
    drop column xyz_cv, drop column xyz_periods, drop column xyz_computed_at, drop column abc_xyz,
    drop column lead_score, drop column lead_temperature, drop column lead_computed_at,
    drop column value_quadrant, drop column value_revenue, drop column value_days, drop column value_computed_at;
