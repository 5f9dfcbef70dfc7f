-- A small demo dataset, the same in every tenant (it depends on each customer's number, never on database ids),
-- for the tenant in setting segments.demo_tenant:
-- 200 customers across regions and price tiers, ~1,200 purchases over the last 18 months,
-- consultations, calls and refusals, and site events. DemoBootstrap then computes the rollups with the
-- same statement as every activity write (ActivityRepository.recomputeRollups).
with t as (select current_setting('segments.demo_tenant')::bigint as id)
insert into customer (tenant_id, external_id, name, email, phone, gender, birth_date, country, region, city,
                      price_tier, payment_terms, lifecycle_stage, source, channel, tags, attributes)
select t.id,
       'demo-' || lpad(i::text, 4, '0'),
       (array['Anna','Boris','Clara','Dmitri','Elena','Fyodor','Galina','Igor','Irina','Kirill'])[1 + i % 10]
         || ' ' || (array['Ivanova','Petrov','Smirnova','Kuznetsov','Popova','Volkov','Sokolova','Lebedev'])[1 + i % 8],
       'customer' || i || '@example.com',
       '+7 900 ' || lpad((1000000 + i * 7919 % 8999999)::text, 7, '0'),
       (array['female','male'])[1 + i % 2],
       date '1960-01-01' + (i * 97 % 15000),
       'RU',
       (array['Moscow','Moscow','Saint Petersburg','Kazan','Novosibirsk','Yekaterinburg'])[1 + i % 6],
       (array['Moscow','Moscow','Saint Petersburg','Kazan','Novosibirsk','Yekaterinburg'])[1 + i % 6],
       (array['low','mid','mid','vip'])[1 + i % 4],
       (array['prepaid','net15','net30'])[1 + i % 3],
       (array['lead','trial','customer','customer','customer','churned'])[1 + i % 6],
       (array['website','referral','ads','event'])[1 + i % 4],
       (array['web','phone','store'])[1 + i % 3],
       case when i % 5 = 0 then array['newsletter','b2b'] when i % 3 = 0 then array['newsletter'] else array[]::text[] end,
       '{}'::jsonb
from t, generate_series(1, 200) as i;

with t as (select current_setting('segments.demo_tenant')::bigint as id),
     c as (select customer.*, substr(external_id, 6)::int as k from customer, t where tenant_id = t.id)
insert into purchase (tenant_id, customer_id, external_id, occurred_at, amount, currency, product, category, quantity, channel)
select c.tenant_id, c.id, c.external_id || '-p' || n,
       now() - ((n * 37 + c.k * 11) % 540) * interval '1 day',
       round((20 + (c.k * 131 + n * 71) % 900)::numeric * (case when c.price_tier = 'vip' then 3 else 1 end), 2),
       'RUB',
       (array['Starter plan','Pro plan','Consulting hour','Hardware kit','Support pack'])[1 + (c.k + n) % 5],
       (array['subscription','subscription','services','goods','services'])[1 + (c.k + n) % 5],
       1 + n % 3,
       (array['web','phone','store'])[1 + n % 3]
from c cross join lateral generate_series(1, c.k % 11) as n
where c.lifecycle_stage <> 'lead';

-- The first two interactions of three customers in four are consultations 100 to 500 days ago (before most
-- recent purchases), so the README's canonical rule ("two consultations before the last purchase") has members.
with t as (select current_setting('segments.demo_tenant')::bigint as id),
     c as (select customer.*, substr(external_id, 6)::int as k from customer, t where tenant_id = t.id),
     i as (select c.*, n, case when n <= 2 and c.k % 4 <> 1 then 'consultation'
                               else (array['call','email','contact_attempt','meeting','refusal'])[1 + (c.k + n) % 5] end as type
           from c cross join lateral generate_series(1, 1 + c.k % 6) as n)
insert into interaction (tenant_id, customer_id, external_id, occurred_at, type, channel, outcome, reason)
select i.tenant_id, i.id, i.external_id || '-i' || n,
       now() - (case when i.type = 'consultation' then 100 + (n * 53 + i.k * 7) % 400
                     else (n * 53 + i.k * 7) % 600 end) * interval '1 day',
       i.type,
       (array['phone','email','office'])[1 + n % 3],
       case when i.type = 'refusal' then 'declined' else (array['done','no_answer','interested'])[1 + (i.k * n) % 3] end,
       case when i.type = 'refusal' then (array['price','timing','competitor'])[1 + i.k % 3] end
from i;

with t as (select current_setting('segments.demo_tenant')::bigint as id),
     c as (select customer.*, substr(external_id, 6)::int as k from customer, t where tenant_id = t.id)
insert into event (tenant_id, customer_id, external_id, occurred_at, name, properties)
select c.tenant_id, c.id, c.external_id || '-e' || n,
       now() - ((n * 13 + c.k * 3) % 120) * interval '1 day',
       (array['page_view','page_view','pricing_view','demo_request'])[1 + (c.k + n) % 4],
       jsonb_build_object('path', (array['/','/pricing','/docs','/blog'])[1 + n % 4])
from c cross join lateral generate_series(1, c.k % 9) as n;
