-- Canonical example. Recency from the rollup (index on (tenant_id, last_purchase_at)), then two index-only probes
-- per remaining customer: the year's spend (purchase_customer includes amount) and consultations before the last
-- purchase (interaction_customer is (tenant_id, customer_id, type, occurred_at)).
-- name: count
select count(*) from customer c
where c.tenant_id = {{tenant}}
  and c.last_purchase_at >= {{now}} - interval '90 days'
  and (select coalesce(sum(p.amount), 0) from purchase p
       where p.tenant_id = {{tenant}} and p.customer_id = c.id and p.occurred_at >= {{now}} - interval '365 days') > 1000
  and (select count(*) from interaction i
       where i.tenant_id = {{tenant}} and i.customer_id = c.id and i.type = 'consultation'
         and i.occurred_at < c.last_purchase_at) >= 2;
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}}
  and c.last_purchase_at >= {{now}} - interval '90 days'
  and (select coalesce(sum(p.amount), 0) from purchase p
       where p.tenant_id = {{tenant}} and p.customer_id = c.id and p.occurred_at >= {{now}} - interval '365 days') > 1000
  and (select count(*) from interaction i
       where i.tenant_id = {{tenant}} and i.customer_id = c.id and i.type = 'consultation'
         and i.occurred_at < c.last_purchase_at) >= 2
order by c.id limit {{limit}};
