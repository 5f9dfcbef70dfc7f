-- The window's purchases joined to their customer's average order value (both in ten-thousandths: exact).
-- name: count
select count() from (
    select customer_id from
        (select customer_id, amount from purchase
         where tenant_id = {{tenant}} and occurred_at >= {{now}} - 90 * 86400000000)
    all inner join
        (select customer_id, average_order_value from customer
         where tenant_id = {{tenant}} and last_interaction_at > last_purchase_at)
    using customer_id
    where amount > average_order_value
    group by customer_id having count() >= 2);
