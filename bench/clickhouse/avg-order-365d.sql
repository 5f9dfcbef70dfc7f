-- avg(amount) between 100 and 500, exact in integers: sum between 100 * count and 500 * count.
-- name: count
select count() from (
    select customer_id from purchase
    where tenant_id = {{tenant}} and occurred_at >= {{now}} - 365 * 86400000000
    group by customer_id
    having sum(amount) >= 100 * 10000 * count() and sum(amount) <= 500 * 10000 * count());
