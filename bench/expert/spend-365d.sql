-- Count: one index-only range scan of the year's purchases (purchase_tenant_occurred includes customer_id and
-- amount), grouped by customer; purchases always belong to a customer of the tenant (foreign key), so no join.
-- Page: walk customers in id order, probe each one's year (purchase_customer includes amount); a customer with a
-- purchase in the window has last_purchase_at inside it (cheap pre-filter on the row itself).
-- name: count
select count(*) from (
    select p.customer_id from purchase p
    where p.tenant_id = {{tenant}} and p.occurred_at >= {{now}} - interval '365 days'
    group by p.customer_id having sum(p.amount) > 2000) s;
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}} and c.last_purchase_at >= {{now}} - interval '365 days'
  and (select sum(p.amount) from purchase p
       where p.tenant_id = {{tenant}} and p.customer_id = c.id and p.occurred_at >= {{now}} - interval '365 days') > 2000
order by c.id limit {{limit}};
