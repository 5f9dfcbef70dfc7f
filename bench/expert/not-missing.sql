-- "is distinct from" is the two-valued negation: true where the value is missing.
-- name: count
select count(*) from customer c
where c.tenant_id = {{tenant}}
  and (c.attributes ->> 'plan') is distinct from 'free'
  and c.region is distinct from 'Bavaria'
  and (c.attributes -> 'optIn') is distinct from 'false'::jsonb
  and coalesce(c.phone, '') = '';
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}}
  and (c.attributes ->> 'plan') is distinct from 'free'
  and c.region is distinct from 'Bavaria'
  and (c.attributes -> 'optIn') is distinct from 'false'::jsonb
  and coalesce(c.phone, '') = ''
order by c.id limit {{limit}};
