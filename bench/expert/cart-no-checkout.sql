-- Count: the month's add_to_cart events grouped by customer (event_tenant_name range scan), anti-joined with the
-- month's checkouts.
-- name: count
select count(*) from (
    select e.customer_id from event e
    where e.tenant_id = {{tenant}} and e.name = 'add_to_cart' and e.occurred_at >= {{now}} - interval '30 days'
    group by e.customer_id having count(*) >= 2) a
where not exists (select 1 from event x
                  where x.tenant_id = {{tenant}} and x.name = 'checkout' and x.occurred_at >= {{now}} - interval '30 days'
                    and x.customer_id = a.customer_id);
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}} and c.last_seen_at >= {{now}} - interval '30 days'
  and (select count(*) from event e
       where e.tenant_id = {{tenant}} and e.customer_id = c.id and e.name = 'add_to_cart'
         and e.occurred_at >= {{now}} - interval '30 days') >= 2
  and not exists (select 1 from event x
                  where x.tenant_id = {{tenant}} and x.customer_id = c.id and x.name = 'checkout'
                    and x.occurred_at >= {{now}} - interval '30 days')
order by c.id limit {{limit}};
