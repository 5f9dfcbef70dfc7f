-- name: count
select count() from customer
where tenant_id = {{tenant}} and last_purchase_at >= {{now}} - 30 * 86400000000 and total_spend >= 3000 * 10000
  and customer_id in (select customer_id from purchase
                      where tenant_id = {{tenant}} and occurred_at >= {{now}} - 365 * 86400000000
                      group by customer_id having count() >= 6);
