-- birth_date is yyyymmdd (Int32): minus 250000 is minus 25 years, exact (a 29 February bound that does not exist
-- selects the same dates as PostgreSQL's 28 February).
-- name: count
select count() from customer
where tenant_id = {{tenant}}
  and attr_plan in ('pro', 'enterprise')
  and attr_score >= 70
  and birth_date <= {{today}} - 250000
  and birth_date > {{today}} - 460000;
