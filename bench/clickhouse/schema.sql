-- ClickHouse tables for the columnar anchor (bench phase "clickhouse"). Timestamps are microseconds since the epoch
-- (Int64; this ClickHouse has no DateTime64), money numeric(20, 4) as Int64 ten-thousandths, dates as yyyymmdd
-- (Int32; Date starts in 1970), custom attributes flattened into columns, missing values NULL.
create table customer (
    tenant_id Int64, customer_id Int64, external_id String,
    phone Nullable(String), gender Nullable(String), birth_date Nullable(Int32),
    country Nullable(String), region Nullable(String), city Nullable(String),
    price_tier Nullable(String), lifecycle_stage Nullable(String), source Nullable(String), channel Nullable(String),
    tags Array(String),
    attr_plan Nullable(String), attr_score Nullable(Float64), attr_opt_in Nullable(String), attr_interests Array(String),
    purchase_count Int64, total_spend Int64, average_order_value Nullable(Int64),
    last_purchase_at Nullable(Int64), last_interaction_at Nullable(Int64), last_seen_at Nullable(Int64)
) engine = MergeTree order by (tenant_id, customer_id);
create table purchase (
    tenant_id Int64, customer_id Int64, occurred_at Int64, amount Int64, currency Nullable(String),
    product Nullable(String), category Nullable(String), quantity Nullable(Int64), channel Nullable(String)
) engine = MergeTree order by (tenant_id, customer_id, occurred_at);
create table interaction (
    tenant_id Int64, customer_id Int64, occurred_at Int64, type String,
    channel Nullable(String), outcome Nullable(String), reason Nullable(String)
) engine = MergeTree order by (tenant_id, customer_id, occurred_at);
create table event (
    tenant_id Int64, customer_id Int64, occurred_at Int64, name String, amount Nullable(Int64), properties String
) engine = MergeTree order by (tenant_id, customer_id, occurred_at);
