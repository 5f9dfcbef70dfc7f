-- Profile columns only.
-- name: count
select count(*) from customer c
where c.tenant_id = {{tenant}} and c.country = 'DE' and c.price_tier = 'vip' and c.lifecycle_stage in ('customer', 'trial');
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}} and c.country = 'DE' and c.price_tier = 'vip' and c.lifecycle_stage in ('customer', 'trial')
order by c.id limit {{limit}};
