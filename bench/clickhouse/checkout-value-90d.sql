-- amount: the event's properties.amount in ten-thousandths (NULL where absent).
-- name: count
select count() from (
    select customer_id from event
    where tenant_id = {{tenant}} and name = 'checkout' and occurred_at >= {{now}} - 90 * 86400000000
    group by customer_id having sum(amount) > 500 * 10000);
