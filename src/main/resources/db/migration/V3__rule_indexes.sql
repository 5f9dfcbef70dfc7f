-- Indexes for segment counts (rule evaluation over a whole tenant). Each one serves the pre-aggregated aggregate
-- form of SqlCompiler.count: one pass over the tenant's matching activity, grouped by customer, then a hash semi
-- (or anti) join with the customer table. The per-customer probes (pages, membership) keep using the
-- (tenant_id, customer_id, ...) indexes of V1. Plans and timings: docs/query-plans.md.
-- Built inside Flyway's transaction, which blocks writes to the table while it runs (about 5 s per million rows
-- here); on a large live database create them beforehand with CREATE INDEX CONCURRENTLY under the same names.

-- Windowed purchase aggregates ("within": count/sum/avg/min/max of amount in the last N days or a date range):
-- an index-only range scan of the window instead of a scan of all the tenant's purchases.
-- e.g. count of purchases within P90D >= 3, 100k customers: Parallel Seq Scan on purchase -> Index Only Scan
-- using purchase_tenant_occurred, 289 -> 166 ms; min(amount) in a 3-month window: 279 -> 154 ms.
create index purchase_tenant_occurred on purchase (tenant_id, occurred_at) include (customer_id, amount);

-- Interaction aggregates filtered by type (consultations, refusals, calls) and optionally a window: a range scan
-- of that type instead of a scan of every interaction.
-- e.g. consultations within P365D >= 2: 86 -> 23 ms; refusals for price within P180D: 69 -> 11 ms;
-- customers without calls (count eq 0, hash anti join): 222 -> 151 ms.
create index interaction_tenant_type on interaction (tenant_id, type, occurred_at) include (customer_id);

-- Event aggregates filtered by name (add_to_cart, checkout, ...) and optionally a window.
-- e.g. add_to_cart within P30D >= 3: 111 -> 9 ms; checkout amount property sum > 500: 222 -> 140 ms.
create index event_tenant_name on event (tenant_id, name, occurred_at) include (customer_id);
