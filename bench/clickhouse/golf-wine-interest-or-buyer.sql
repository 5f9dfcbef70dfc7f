-- name: count
select count() from customer
where tenant_id = {{tenant}}
  and (hasAny(attr_interests, ['golf', 'wine'])
       or customer_id in (select customer_id from purchase
                          where tenant_id = {{tenant}} and category in ('golf', 'wine')
                          group by customer_id having count() >= 3));
