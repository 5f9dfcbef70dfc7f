-- Rollups first (recency, monetary), then one index-only count per remaining customer.
-- name: count
select count(*) from customer c
where c.tenant_id = {{tenant}} and c.last_purchase_at >= {{now}} - interval '30 days' and c.total_spend >= 3000
  and (select count(*) from purchase p
       where p.tenant_id = {{tenant}} and p.customer_id = c.id and p.occurred_at >= {{now}} - interval '365 days') >= 6;
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}} and c.last_purchase_at >= {{now}} - interval '30 days' and c.total_spend >= 3000
  and (select count(*) from purchase p
       where p.tenant_id = {{tenant}} and p.customer_id = c.id and p.occurred_at >= {{now}} - interval '365 days') >= 6
order by c.id limit {{limit}};
