-- name: count
select count(*) from (
    select p.customer_id from purchase p
    where p.tenant_id = {{tenant}} and p.occurred_at >= {{now}} - interval '365 days'
    group by p.customer_id having avg(p.amount) between 100 and 500) s;
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}} and c.last_purchase_at >= {{now}} - interval '365 days'
  and (select avg(p.amount) from purchase p
       where p.tenant_id = {{tenant}} and p.customer_id = c.id and p.occurred_at >= {{now}} - interval '365 days')
      between 100 and 500
order by c.id limit {{limit}};
