-- Rollups only; notWithin is true where there is no last purchase.
-- name: count
select count(*) from customer c
where c.tenant_id = {{tenant}}
  and (c.last_purchase_at is null or c.last_purchase_at < {{now}} - interval '180 days')
  and c.purchase_count >= 8 and c.total_spend >= 1000;
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}}
  and (c.last_purchase_at is null or c.last_purchase_at < {{now}} - interval '180 days')
  and c.purchase_count >= 8 and c.total_spend >= 1000
order by c.id limit {{limit}};
