-- Count: distinct customers over the refusals of the window (interaction_tenant_type range scan).
-- name: count
select count(distinct i.customer_id) from interaction i
where i.tenant_id = {{tenant}} and i.type = 'refusal' and i.reason = 'price' and i.occurred_at >= {{now}} - interval '180 days';
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}} and c.last_interaction_at >= {{now}} - interval '180 days'
  and exists (select 1 from interaction i
              where i.tenant_id = {{tenant}} and i.customer_id = c.id and i.type = 'refusal' and i.reason = 'price'
                and i.occurred_at >= {{now}} - interval '180 days')
order by c.id limit {{limit}};
