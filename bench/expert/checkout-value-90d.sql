-- name: count
select count(*) from (
    select e.customer_id from event e
    where e.tenant_id = {{tenant}} and e.name = 'checkout' and e.occurred_at >= {{now}} - interval '90 days'
    group by e.customer_id having sum((e.properties ->> 'amount')::numeric) > 500) s;
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}} and c.last_seen_at >= {{now}} - interval '90 days'
  and (select sum((e.properties ->> 'amount')::numeric) from event e
       where e.tenant_id = {{tenant}} and e.customer_id = c.id and e.name = 'checkout'
         and e.occurred_at >= {{now}} - interval '90 days') > 500
order by c.id limit {{limit}};
