-- A small, deterministic demo dataset for the tenant in setting segments.demo_tenant:
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

with t as (select current_setting('segments.demo_tenant')::bigint as id)
insert into purchase (tenant_id, customer_id, external_id, occurred_at, amount, currency, product, category, quantity, channel)
select t.id, c.id, c.external_id || '-p' || n,
       now() - ((n * 37 + c.id * 11) % 540) * interval '1 day',
       round((20 + (c.id * 131 + n * 71) % 900)::numeric * (case when c.price_tier = 'vip' then 3 else 1 end), 2),
       'RUB',
       (array['Starter plan','Pro plan','Consulting hour','Hardware kit','Support pack'])[1 + (c.id + n) % 5],
       (array['subscription','subscription','services','goods','services'])[1 + (c.id + n) % 5],
       1 + n % 3,
       (array['web','phone','store'])[1 + n % 3]
from t join customer c on c.tenant_id = t.id
cross join lateral generate_series(1, (c.id % 11)::int) as n
where c.lifecycle_stage <> 'lead';

with t as (select current_setting('segments.demo_tenant')::bigint as id)
insert into interaction (tenant_id, customer_id, external_id, occurred_at, type, channel, outcome, reason)
select t.id, c.id, c.external_id || '-i' || n,
       now() - ((n * 53 + c.id * 7) % 600) * interval '1 day',
       (array['consultation','call','email','contact_attempt','meeting','refusal'])[1 + (c.id + n) % 6],
       (array['phone','email','office'])[1 + n % 3],
       (array['done','no_answer','interested','declined'])[1 + (c.id * n) % 4],
       case when (c.id + n) % 6 = 5 then (array['price','timing','competitor'])[1 + c.id % 3] end
from t join customer c on c.tenant_id = t.id
cross join lateral generate_series(1, (c.id % 7)::int) as n;

with t as (select current_setting('segments.demo_tenant')::bigint as id)
insert into event (tenant_id, customer_id, external_id, occurred_at, name, properties)
select t.id, c.id, c.external_id || '-e' || n,
       now() - ((n * 13 + c.id * 3) % 120) * interval '1 day',
       (array['page_view','page_view','pricing_view','demo_request'])[1 + (c.id + n) % 4],
       jsonb_build_object('path', (array['/','/pricing','/docs','/blog'])[1 + n % 4])
from t join customer c on c.tenant_id = t.id
cross join lateral generate_series(1, (c.id % 9)::int) as n;
