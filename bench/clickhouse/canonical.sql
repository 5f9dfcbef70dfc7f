-- Recency from the rollup, the year's spend and the consultations before the last purchase as two grouped sets.
-- name: count
select count() from customer
where tenant_id = {{tenant}} and last_purchase_at >= {{now}} - 90 * 86400000000
  and customer_id in (select customer_id from purchase
                      where tenant_id = {{tenant}} and occurred_at >= {{now}} - 365 * 86400000000
                      group by customer_id having sum(amount) > 1000 * 10000)
  and customer_id in (select customer_id from
                          (select customer_id, occurred_at from interaction
                           where tenant_id = {{tenant}} and type = 'consultation')
                      all inner join
                          (select customer_id, last_purchase_at from customer
                           where tenant_id = {{tenant}} and last_purchase_at >= {{now}} - 90 * 86400000000)
                      using customer_id
                      where occurred_at < last_purchase_at
                      group by customer_id having count() >= 2);
