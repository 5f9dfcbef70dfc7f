-- amount is in ten-thousandths (numeric(20, 4) as Int64): exact sums.
-- name: count
select count() from (
    select customer_id from purchase
    where tenant_id = {{tenant}} and occurred_at >= {{now}} - 365 * 86400000000
    group by customer_id having sum(amount) > 2000 * 10000);
