-- Count: the window's purchases joined to their customer (for the per-customer average), grouped.
-- name: count
select count(*) from (
    select p.customer_id from purchase p
    join customer c on c.tenant_id = p.tenant_id and c.id = p.customer_id
    where p.tenant_id = {{tenant}} and p.occurred_at >= {{now}} - interval '90 days'
      and p.amount > c.average_order_value and c.last_interaction_at > c.last_purchase_at
    group by p.customer_id having count(*) >= 2) s;
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}} and c.last_interaction_at > c.last_purchase_at
  and c.last_purchase_at >= {{now}} - interval '90 days'
  and (select count(*) from purchase p
       where p.tenant_id = {{tenant}} and p.customer_id = c.id and p.occurred_at >= {{now}} - interval '90 days'
         and p.amount > c.average_order_value) >= 2
order by c.id limit {{limit}};
