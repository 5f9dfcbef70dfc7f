-- "is distinct from" over a missing value: true where the value is NULL.
-- name: count
select count() from customer
where tenant_id = {{tenant}}
  and (attr_plan is null or attr_plan != 'free')
  and (region is null or region != 'Bavaria')
  and (attr_opt_in is null or attr_opt_in != 'false')
  and ifNull(phone, '') = '';
