-- name: count
select count() from customer
where tenant_id = {{tenant}} and country = 'DE' and price_tier = 'vip' and lifecycle_stage in ('customer', 'trial');
