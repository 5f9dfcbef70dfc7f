-- name: count
select count() from (
    select customer_id from purchase
    where tenant_id = {{tenant}} and occurred_at >= {{now}} - 180 * 86400000000 and category in ('golf', 'wine')
    group by customer_id having count() >= 2);
