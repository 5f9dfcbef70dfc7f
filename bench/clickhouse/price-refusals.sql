-- name: count
select uniqExact(customer_id) from interaction
where tenant_id = {{tenant}} and type = 'refusal' and reason = 'price' and occurred_at >= {{now}} - 180 * 86400000000;
