-- Deterministic benchmark dataset: one tenant with N customers, their purchases, interactions and events, and
-- exact customer rollups. Set-based (INSERT ... SELECT over generate_series), no loops.
--
-- Usage (psql; schema: the Flyway migrations V1, V2 and V3, where V3's indexes are cheaper to build after loading):
--   psql -v tenant_id=1000 -v customers=100000 -f bench/generate-data.sql
-- Optional: -v seed=0.4242 (setseed argument, -1..1) and -v anchor="'2025-06-15 12:00:00+00'" (the dataset's
-- "now": every timestamp is at or before it; evaluate rules with asOf = anchor). Same seed, anchor, customer
-- count and starting customer id => the same data, row for row.
--
-- Re-running for the same tenant deletes its customers (and, by cascade, their activity) first. Customer ids are
-- assigned explicitly as (max existing customer id) + 1 .. + N, so on a fresh database they are 1..N.
--
-- Shape (per customer, averages over the whole tenant; see docs/query-plans.md for measured figures):
--   purchases ~10 (lognormal long tail: ~17% have none, mostly leads and trials; ~0.5% have 100+; capped at
--   1500), amounts by price tier (low ~30, mid ~110, vip ~550 per purchase)
--   interactions ~3.6 (~15% have none), 7 types weighted, refusals with a reason
--   events ~7.5 (one signup each + page_view/add_to_cart/login/search/checkout/email_open with properties)
-- Runtime (PostgreSQL 17, fsync off, 2 shared vCPUs): 100k customers 60 s, 1M customers 14.5 min (phases in
-- docs/query-plans.md).

\set ON_ERROR_STOP on
\if :{?tenant_id}
\else
  do $$ begin raise exception 'usage: psql -v tenant_id=<id> -v customers=<count> -f bench/generate-data.sql'; end $$;
\endif
\if :{?customers}
\else
  do $$ begin raise exception 'usage: psql -v tenant_id=<id> -v customers=<count> -f bench/generate-data.sql'; end $$;
\endif
\if :{?seed}
\else
  \set seed 0.4242
\endif
\if :{?anchor}
\else
  \set anchor '''2025-06-15 12:00:00+00'''
\endif
\timing on

-- ------------------------------------------------------------------------------------------------ tenant, catalog
insert into tenant (id, name) overriding system value values (:tenant_id, 'bench ' || :tenant_id)
    on conflict (id) do nothing;
select setval(pg_get_serial_sequence('tenant', 'id'), (select max(id) from tenant));
delete from customer where tenant_id = :tenant_id;

insert into attribute_definition (tenant_id, entity, key, type, description) values
    (:tenant_id, 'customer', 'plan', 'string', 'subscription plan: free, basic, pro, enterprise'),
    (:tenant_id, 'customer', 'score', 'number', 'engagement score 0..100'),
    (:tenant_id, 'customer', 'seats', 'integer', 'licensed seats (business customers)'),
    (:tenant_id, 'customer', 'optIn', 'boolean', 'marketing opt-in'),
    (:tenant_id, 'customer', 'renewal', 'date', 'next contract renewal'),
    (:tenant_id, 'customer', 'interests', 'stringList', 'declared interests'),
    (:tenant_id, 'customer', 'loyaltyPoints', 'integer', 'loyalty points balance'),
    (:tenant_id, 'purchase', 'discount', 'number', 'discount granted, in the purchase currency'),
    (:tenant_id, 'interaction', 'durationMin', 'integer', 'duration in minutes (calls, meetings)')
on conflict (tenant_id, entity, key) do update set type = excluded.type, description = excluded.description;

select coalesce(max(id), 0) as base from customer \gset

-- Foreign-key checks cost half of the load time (one lookup per activity row). Every activity row below gets a
-- customer id from the customer rows inserted here, so as a superuser the row-level FK triggers are skipped
-- (session_replication_role = replica) and the references are verified set-based at the end instead.
select rolsuper as fast_load from pg_roles where rolname = current_user \gset
\if :fast_load
set session_replication_role = replica;
\endif

select setseed(:seed);

-- ------------------------------------------------------------------------------------------------ latent variables
-- One row per customer with everything later steps need. Columns are evaluated left to right, rows in n order,
-- so random() draws are reproducible.
create temp table bench_c on commit preserve rows as
select n, u_geo, tier, stage, created_at, active_until, np, ni, ne, z_spend
from (
    select n, u_geo, tier, stage, created_at,
           case when stage = 'churned' then created_at + u_active * (:anchor::timestamptz - created_at)
                else greatest(created_at, :anchor::timestamptz - power(u_active, 4) * interval '400 days') end
               as active_until,
           -- purchases: leads/trials mostly none; buyers lognormal (long tail), vip buy 1.5x as often
           case when stage in ('lead', 'trial') then (case when u_np0 < 0.85 then 0 else 1 + floor(u_np0 * 2)::int end)
                when u_np0 < 0.04 then 0
                else least(1500, 1 + floor(exp(1.88 + 1.1 * z1) * (case tier when 'vip' then 1.5 else 1 end))::int) end
               as np,
           case when u_ni0 < 0.15 then 0 else 1 + floor(exp(0.9 + 0.9 * z2))::int end as ni,
           case when u_ne0 < 0.30 then 0 else 1 + floor(exp(1.6 + 0.9 * z3))::int end as ne,
           z1 as z_spend
    from (
        select n,
               power(u_geo_raw, 2.2) as u_geo,
               (case when r_tier < 0.60 then 'low' when r_tier < 0.90 then 'mid' else 'vip' end) as tier,
               (case when r_stage < 0.12 then 'lead' when r_stage < 0.17 then 'trial'
                     when r_stage < 0.85 then 'customer' else 'churned' end) as stage,
               :anchor::timestamptz - power(r_created, 1.3) * interval '5 years' - r_created * interval '1 hour'
                   as created_at,
               u_active, u_np0, u_ni0, u_ne0,
               sqrt(-2 * ln(1 - g1)) * cos(2 * pi() * g2) as z1,
               sqrt(-2 * ln(1 - g3)) * cos(2 * pi() * g4) as z2,
               sqrt(-2 * ln(1 - g5)) * cos(2 * pi() * g6) as z3
        from (
            select n, random() as r_tier, random() as r_stage, random() as r_created, random() as u_active,
                   random() as u_np0, random() as u_ni0, random() as u_ne0,
                   random() as g1, random() as g2, random() as g3, random() as g4, random() as g5, random() as g6,
                   random() as u_geo_raw
            from generate_series(1, :customers) n
            offset 0 -- a fence: every draw is evaluated once per row, in n order, before it is used
        ) r0
        offset 0
    ) r1
) r2;
alter table bench_c add primary key (n);
analyze bench_c;

-- ------------------------------------------------------------------------------------------------ customers
insert into customer (id, tenant_id, external_id, name, email, phone, gender, birth_date, country, region, city,
                      price_tier, payment_terms, lifecycle_stage, source, channel, tags, attributes,
                      created_at, updated_at)
overriding system value
select :base + r.n, :tenant_id, 'cust-' || r.n,
       'Customer ' || r.n,
       case when r.e < 0.95 then 'c' || r.n || '@example.com' end,
       case when r.p < 0.80 then '+49' || (1500000000 + r.n) end,
       case when r.g < 0.48 then 'f' when r.g < 0.96 then 'm' end,
       case when r.bd < 0.95 then (:anchor::date - ((18 + 57 * (r.a1 + r.a2 + r.a3) / 3) * 365.25)::int) end,
       geo.country[1 + floor(r.u_geo * 36)::int],
       case when r.gm < 0.97 then geo.region[1 + floor(r.u_geo * 36)::int] end,
       case when r.gm < 0.97 then geo.city[1 + floor(r.u_geo * 36)::int] end,
       r.tier,
       case when r.pt < 0.5 then 'net30' when r.pt < 0.7 then 'net60' when r.pt < 0.9 then 'prepaid' end,
       r.stage,
       (array['ads', 'organic', 'referral', 'partner', 'event'])[1 + floor(power(r.s, 1.5) * 5)::int],
       (array['web', 'store', 'app', 'phone'])[1 + floor(power(r.ch, 1.4) * 4)::int],
       (array_remove(array[
           case when r.t1 < 0.35 then 'newsletter' end, case when r.t2 < 0.10 then 'vip' end,
           case when r.t3 < 0.12 then 'b2b' end, case when r.t4 < 0.08 then 'wholesale' end,
           case when r.t5 < 0.15 then 'promo' end, case when r.t6 < 0.06 then 'loyalty' end,
           case when r.t7 < 0.05 then 'event-2024' end, case when r.t8 < 0.04 then 'beta' end,
           case when r.t9 < 0.03 then 'partner' end, case when r.t10 < 0.05 then 'complaint' end,
           case when r.t11 < 0.02 then 'press' end, case when r.t12 < 0.04 then 'student' end,
           case when r.t13 < 0.03 then 'employee' end, case when r.t14 < 0.02 then 'reseller' end,
           case when r.t15 < 0.06 then 'winback' end], null))[1:4],
       jsonb_strip_nulls(jsonb_build_object(
           'plan', case when r.pl < 0.45 then 'free' when r.pl < 0.72 then 'basic' when r.pl < 0.86 then 'pro'
                        when r.pl < 0.90 then 'enterprise' end,
           'score', case when r.sc < 0.8 then round((100 * power(r.sc2, 0.8))::numeric, 1) end,
           'seats', case when r.se < 0.3 then 1 + floor(exp(1.5 + 1.2 * (r.sc2 - 0.5) * 3))::int end,
           'optIn', case when r.oi < 0.7 then r.oi < 0.45 end,
           'renewal', case when r.pl >= 0.72 and r.pl < 0.90
                           then to_char(:anchor::date + floor(r.rn * 365)::int, 'YYYY-MM-DD') end,
           'interests', case when r.in0 < 0.6 then to_jsonb(array_remove(array[
                                case when r.i1 < 0.30 then 'golf' end, case when r.i2 < 0.25 then 'wine' end,
                                case when r.i3 < 0.35 then 'travel' end, case when r.i4 < 0.30 then 'tech' end,
                                case when r.i5 < 0.15 then 'fashion' end, case when r.i6 < 0.20 then 'books' end,
                                case when r.i7 < 0.20 then 'sports' end, case when r.i8 < 0.10 then 'cooking' end],
                                null)) end,
           'loyaltyPoints', case when r.lp < 0.5 then floor(5000 * power(r.lp2, 2))::int end)),
       r.created_at, r.created_at
from (
    select b.*,
           random() e, random() p, random() g, random() bd, random() a1, random() a2, random() a3, random() gm,
           random() pt, random() s, random() ch,
           random() t1, random() t2, random() t3, random() t4, random() t5, random() t6, random() t7, random() t8,
           random() t9, random() t10, random() t11, random() t12, random() t13, random() t14, random() t15,
           random() pl, random() sc, random() sc2, random() se, random() oi, random() rn, random() in0,
           random() i1, random() i2, random() i3, random() i4, random() i5, random() i6, random() i7, random() i8,
           random() lp, random() lp2
    from (select * from bench_c order by n) b
    offset 0
) r
cross join (select
    array['DE','DE','DE','DE','DE','DE','DE','DE','DE','DE','DE','DE','DE',
          'AT','AT','AT','AT','CH','CH','CH','CH','FR','FR','FR','NL','NL','PL','PL','IT','IT','ES','ES',
          'US','US','GB','GB'] as country,
    array['Berlin','Hamburg','Bavaria','Bavaria','North Rhine-Westphalia','North Rhine-Westphalia',
          'North Rhine-Westphalia','Hesse','Baden-Württemberg','Saxony','Saxony','Lower Saxony','Bremen',
          'Vienna','Styria','Upper Austria','Salzburg','Zurich','Geneva','Basel-Stadt','Bern',
          'Île-de-France','Auvergne-Rhône-Alpes','Provence-Alpes-Côte d''Azur','North Holland','South Holland',
          'Masovia','Lesser Poland','Lombardy','Lazio','Madrid','Catalonia','New York','Illinois','England',
          'England'] as region,
    array['Berlin','Hamburg','München','Nürnberg','Köln','Düsseldorf','Dortmund','Frankfurt am Main','Stuttgart',
          'Leipzig','Dresden','Hannover','Bremen','Wien','Graz','Linz','Salzburg','Zürich','Genève','Basel','Bern',
          'Paris','Lyon','Marseille','Amsterdam','Rotterdam','Warszawa','Kraków','Milano','Roma','Madrid',
          'Barcelona','New York','Chicago','London','Manchester'] as city) geo
order by r.n;
select setval(pg_get_serial_sequence('customer', 'id'), (select max(id) from customer));

-- ------------------------------------------------------------------------------------------------ purchases
-- Between the customer's creation and the end of its active period; amounts lognormal by tier (money rounded to
-- cents); ~12 categories and 4 channels with skew; 3% USD, 2% GBP; 5% without quantity; 20% with a discount.
-- Every stream is written in time order, as activity arrives in production: the heap is not clustered by
-- customer (that would flatter sequential scans feeding per-worker partial aggregates).
insert into purchase (tenant_id, customer_id, occurred_at, amount, currency, product, category, quantity, channel,
                      attributes)
select :tenant_id, :base + x.n, x.occurred_at, x.amount, x.currency, x.product, x.category, x.quantity, x.channel,
       x.attributes
from (
    select s.n, s.k,
           s.created_at + s.u_t * (s.active_until - s.created_at) as occurred_at,
           round((case s.tier when 'low' then 25 when 'mid' then 90 else 400 end
                  * exp(0.8 * sqrt(-2 * ln(1 - s.g1)) * cos(2 * pi() * s.g2)) * exp(0.15 * s.z_spend))::numeric, 2)
               as amount,
           case when s.u_cur < 0.95 then 'EUR' when s.u_cur < 0.98 then 'USD' else 'GBP' end as currency,
           cat.name[1 + floor(power(s.u_cat, 1.8) * 12)::int] || '-' || (1 + floor(power(s.u_prod, 2) * 40)::int)
               as product,
           cat.name[1 + floor(power(s.u_cat, 1.8) * 12)::int] as category,
           case when s.u_q < 0.95 then 1 + floor(power(s.u_q2, 3) * 6)::int end as quantity,
           (array['web', 'store', 'app', 'phone'])[1 + floor(power(s.u_ch, 1.3) * 4)::int] as channel,
           case when s.u_d < 0.2 then jsonb_build_object('discount', round((5 + 45 * s.u_d2)::numeric, 2))
                else '{}'::jsonb end as attributes
    from (
        select b.n, k, b.tier, b.created_at, b.active_until, b.z_spend,
               random() u_t, random() g1, random() g2, random() u_cur, random() u_cat, random() u_prod, random() u_q,
               random() u_q2, random() u_ch, random() u_d, random() u_d2
        from (select * from bench_c where np > 0 order by n) b
        cross join lateral generate_series(1, b.np) k
        offset 0
    ) s,
    (select array['groceries', 'electronics', 'apparel', 'home', 'beauty', 'sports', 'books', 'toys', 'golf', 'wine',
                  'garden', 'office'] as name) cat
) x
order by x.occurred_at, x.n, x.k;

-- ------------------------------------------------------------------------------------------------ interactions
insert into interaction (tenant_id, customer_id, occurred_at, type, channel, outcome, reason, attributes)
select :tenant_id, :base + x.n, x.occurred_at, x.type, x.channel, x.outcome, x.reason, x.attributes
from (
    select s.n, s.k,
           s.created_at + s.u_t * (least(:anchor::timestamptz, s.active_until + interval '60 days') - s.created_at)
               as occurred_at,
           s.type,
           case s.type when 'email' then 'email' when 'chat' then 'web' when 'meeting' then 'store'
                       when 'consultation' then (case when s.u_o < 0.5 then 'store' else 'phone' end) else 'phone' end
               as channel,
           case s.type
               when 'refusal' then 'refused'
               when 'call' then (array['reached', 'no_answer', 'voicemail'])[1 + floor(power(s.u_o, 1.5) * 3)::int]
               when 'contact_attempt' then (array['no_answer', 'reached', 'wrong_number'])[1 + floor(power(s.u_o, 1.5) * 3)::int]
               when 'email' then (array['sent', 'opened', 'replied', 'bounced'])[1 + floor(power(s.u_o, 1.2) * 4)::int]
               else (array['completed', 'follow_up', 'no_show'])[1 + floor(power(s.u_o, 2) * 3)::int] end as outcome,
           case when s.type = 'refusal'
                then (array['price', 'no_need', 'competitor', 'timing', 'not_interested'])[1 + floor(s.u_r * 5)::int] end
               as reason,
           case when s.type in ('call', 'meeting', 'consultation')
                then jsonb_build_object('durationMin', 1 + floor(power(s.u_r, 2) * 90)::int) else '{}'::jsonb end
               as attributes
    from (
        select n, k, created_at, active_until,
               case when u_ty < 0.35 then 'email' when u_ty < 0.55 then 'call' when u_ty < 0.70 then 'chat'
                    when u_ty < 0.82 then 'contact_attempt' when u_ty < 0.88 then 'meeting'
                    when u_ty < 0.96 then 'consultation' else 'refusal' end as type,
               u_t, u_o, u_r
        from (
            select b.n, k, b.created_at, b.active_until, random() u_ty, random() u_t, random() u_o, random() u_r
            from (select * from bench_c where ni > 0 order by n) b
            cross join lateral generate_series(1, b.ni) k
            offset 0
        ) d
    ) s
) x
order by x.occurred_at, x.n, x.k;

-- ------------------------------------------------------------------------------------------------ events
-- One signup per customer at creation (k = 0), then page views and friends with properties.
insert into event (tenant_id, customer_id, occurred_at, name, properties)
select :tenant_id, :base + x.n, x.occurred_at, x.name, x.properties
from (
    select b.n, 0 as k, b.created_at as occurred_at, 'signup' as name,
           jsonb_build_object('plan', (array['free', 'basic', 'pro'])[1 + floor(power(b.u_a, 1.5) * 3)::int],
                              'source', (array['ads', 'organic', 'referral'])[1 + floor(b.u_b * 3)::int]) as properties
    from (select c.n, c.created_at, random() u_a, random() u_b from (select * from bench_c order by n) c offset 0) b
    union all
    select s.n, s.k,
           s.created_at + s.u_t * (least(:anchor::timestamptz, s.active_until + interval '30 days') - s.created_at),
           s.name,
           case s.name
               when 'page_view' then jsonb_build_object('path', '/p/' || (1 + floor(power(s.u_a, 2) * 500)::int),
                                                        'device', (array['desktop', 'mobile', 'tablet'])[1 + floor(s.u_b * 3)::int])
               when 'add_to_cart' then jsonb_build_object('sku', 'SKU-' || (1 + floor(power(s.u_a, 2) * 2000)::int),
                                                          'amount', round((5 + 300 * power(s.u_b, 2))::numeric, 2),
                                                          'category', (array['groceries', 'electronics', 'apparel', 'home'])[1 + floor(s.u_c * 4)::int])
               when 'login' then jsonb_build_object('device', (array['desktop', 'mobile', 'tablet'])[1 + floor(s.u_b * 3)::int],
                                                    'plan', (array['free', 'basic', 'pro'])[1 + floor(power(s.u_a, 1.5) * 3)::int])
               when 'search' then jsonb_build_object('query', (array['shoes', 'tv', 'wine', 'golf balls', 'laptop', 'gift'])[1 + floor(s.u_a * 6)::int],
                                                     'results', floor(s.u_b * 120)::int)
               when 'checkout' then jsonb_build_object('amount', round((10 + 900 * power(s.u_a, 2))::numeric, 2),
                                                       'items', 1 + floor(power(s.u_b, 2) * 8)::int)
               else jsonb_build_object('campaign', (array['spring', 'summer', 'black-friday', 'xmas'])[1 + floor(s.u_a * 4)::int])
           end
    from (
        select n, k, created_at, active_until,
               case when u_n < 0.55 then 'page_view' when u_n < 0.70 then 'add_to_cart' when u_n < 0.82 then 'login'
                    when u_n < 0.92 then 'search' when u_n < 0.97 then 'checkout' else 'email_open' end as name,
               u_t, u_a, u_b, u_c
        from (
            select b.n, k, b.created_at, b.active_until, random() u_n, random() u_t, random() u_a, random() u_b,
                   random() u_c
            from (select * from bench_c where ne > 0 order by n) b
            cross join lateral generate_series(1, b.ne) k
            offset 0
        ) d
    ) s
) x
order by x.occurred_at, x.n, x.k;

-- ------------------------------------------------------------------------------------------------ rollups
-- Exactly what ActivityRepository.recomputeRollups computes, for the whole tenant in one pass per stream.
update customer c set
    purchase_count = coalesce(p.n, 0), total_spend = coalesce(p.total, 0),
    first_purchase_at = p.first_at, last_purchase_at = p.last_at,
    last_interaction_at = i.last_at, last_seen_at = greatest(p.last_at, i.last_at, e.last_at)
from bench_c b
left join (select customer_id, count(*)::int n, sum(amount) total, min(occurred_at) first_at, max(occurred_at) last_at
           from purchase where tenant_id = :tenant_id group by customer_id) p on p.customer_id = :base + b.n
left join (select customer_id, max(occurred_at) last_at
           from interaction where tenant_id = :tenant_id group by customer_id) i on i.customer_id = :base + b.n
left join (select customer_id, max(occurred_at) last_at
           from event where tenant_id = :tenant_id group by customer_id) e on e.customer_id = :base + b.n
where c.tenant_id = :tenant_id and c.id = :base + b.n;

drop table bench_c;
reset session_replication_role;

-- Referential integrity, checked set-based since the row-level checks were skipped: the tenant has exactly the
-- customers base+1 .. base+N, and every activity row points into that range.
select orphans, orphans > 0 as has_orphans from (select
       (select count(*) from purchase where tenant_id = :tenant_id
            and customer_id not between :base + 1 and :base + :customers)
     + (select count(*) from interaction where tenant_id = :tenant_id
            and customer_id not between :base + 1 and :base + :customers)
     + (select count(*) from event where tenant_id = :tenant_id
            and customer_id not between :base + 1 and :base + :customers)
     + (select :customers - count(*) from customer where tenant_id = :tenant_id
            and id between :base + 1 and :base + :customers)
       as orphans) o \gset
\if :has_orphans
  \echo 'activity rows without a customer:' :orphans
  do $$ begin raise exception 'referential integrity violated'; end $$;
\endif

-- The rollup update left one dead version of every customer row: rewrite the table so scans see a compact heap,
-- then give the planner fresh statistics.
vacuum full customer;
vacuum analyze customer;
vacuum analyze purchase;
vacuum analyze interaction;
vacuum analyze event;

select count(*) as customers, sum(purchase_count) as purchases,
       (select count(*) from interaction where tenant_id = :tenant_id) as interactions,
       (select count(*) from event where tenant_id = :tenant_id) as events
from customer where tenant_id = :tenant_id;
