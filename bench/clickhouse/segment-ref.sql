-- spend-365d and not price-refusals.
-- name: count
select count() from (
    select customer_id from purchase
    where tenant_id = {{tenant}} and occurred_at >= {{now}} - 365 * 86400000000
    group by customer_id having sum(amount) > 2000 * 10000)
where customer_id not in (select customer_id from interaction
                          where tenant_id = {{tenant}} and type = 'refusal' and reason = 'price'
                            and occurred_at >= {{now}} - 180 * 86400000000);
