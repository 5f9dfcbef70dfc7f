-- spend-365d and not price-refusals, inlined by hand.
-- name: count
select count(*) from (
    select p.customer_id from purchase p
    where p.tenant_id = {{tenant}} and p.occurred_at >= {{now}} - interval '365 days'
    group by p.customer_id having sum(p.amount) > 2000) s
where not exists (select 1 from interaction i
                  where i.tenant_id = {{tenant}} and i.type = 'refusal' and i.reason = 'price'
                    and i.occurred_at >= {{now}} - interval '180 days' and i.customer_id = s.customer_id);
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}} and c.last_purchase_at >= {{now}} - interval '365 days'
  and (select sum(p.amount) from purchase p
       where p.tenant_id = {{tenant}} and p.customer_id = c.id and p.occurred_at >= {{now}} - interval '365 days') > 2000
  and not exists (select 1 from interaction i
                  where i.tenant_id = {{tenant}} and i.customer_id = c.id and i.type = 'refusal' and i.reason = 'price'
                    and i.occurred_at >= {{now}} - interval '180 days')
order by c.id limit {{limit}};
