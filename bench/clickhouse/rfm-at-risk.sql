-- name: count
select count() from customer
where tenant_id = {{tenant}}
  and (last_purchase_at is null or last_purchase_at < {{now}} - 180 * 86400000000)
  and purchase_count >= 8 and total_spend >= 1000 * 10000;
