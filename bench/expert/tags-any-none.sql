-- Array overlap (GIN index customer_tags) and its negation.
-- name: count
select count(*) from customer c
where c.tenant_id = {{tenant}} and c.tags && array['vip', 'loyalty'] and not (c.tags && array['complaint']);
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}} and c.tags && array['vip', 'loyalty'] and not (c.tags && array['complaint'])
order by c.id limit {{limit}};
