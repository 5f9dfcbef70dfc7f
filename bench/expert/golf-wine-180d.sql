-- name: count
select count(*) from (
    select p.customer_id from purchase p
    where p.tenant_id = {{tenant}} and p.occurred_at >= {{now}} - interval '180 days' and p.category in ('golf', 'wine')
    group by p.customer_id having count(*) >= 2) s;
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}} and c.last_purchase_at >= {{now}} - interval '180 days'
  and (select count(*) from purchase p
       where p.tenant_id = {{tenant}} and p.customer_id = c.id and p.occurred_at >= {{now}} - interval '180 days'
         and p.category in ('golf', 'wine')) >= 2
order by c.id limit {{limit}};
