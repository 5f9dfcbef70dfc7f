-- Custom attributes (types are enforced by the attribute catalog on write, so plain casts are safe) and age as a
-- birth-date range.
-- name: count
select count(*) from customer c
where c.tenant_id = {{tenant}}
  and c.attributes ->> 'plan' in ('pro', 'enterprise')
  and (c.attributes ->> 'score')::numeric >= 70
  and c.birth_date <= ({{today}} - interval '25 years')::date
  and c.birth_date > ({{today}} - interval '46 years')::date;
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}}
  and c.attributes ->> 'plan' in ('pro', 'enterprise')
  and (c.attributes ->> 'score')::numeric >= 70
  and c.birth_date <= ({{today}} - interval '25 years')::date
  and c.birth_date > ({{today}} - interval '46 years')::date
order by c.id limit {{limit}};
