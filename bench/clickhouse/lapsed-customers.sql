-- name: count
select count() from customer
where tenant_id = {{tenant}} and lifecycle_stage = 'customer'
  and (last_purchase_at is null or last_purchase_at < {{now}} - 90 * 86400000000)
  and (last_interaction_at is null or last_interaction_at < {{now}} - 90 * 86400000000);
