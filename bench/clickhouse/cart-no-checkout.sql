-- name: count
select count() from (
    select customer_id from event
    where tenant_id = {{tenant}} and name = 'add_to_cart' and occurred_at >= {{now}} - 30 * 86400000000
    group by customer_id having count() >= 2)
where customer_id not in (select customer_id from event
                          where tenant_id = {{tenant}} and name = 'checkout' and occurred_at >= {{now}} - 30 * 86400000000);
