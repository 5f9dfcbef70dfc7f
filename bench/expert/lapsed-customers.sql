-- "No purchase (interaction) at or after t" is exactly "the latest one is before t, or there is none": the exact
-- rollups last_purchase_at / last_interaction_at answer it without reading the streams.
-- name: count
select count(*) from customer c
where c.tenant_id = {{tenant}} and c.lifecycle_stage = 'customer'
  and (c.last_purchase_at is null or c.last_purchase_at < {{now}} - interval '90 days')
  and (c.last_interaction_at is null or c.last_interaction_at < {{now}} - interval '90 days');
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}} and c.lifecycle_stage = 'customer'
  and (c.last_purchase_at is null or c.last_purchase_at < {{now}} - interval '90 days')
  and (c.last_interaction_at is null or c.last_interaction_at < {{now}} - interval '90 days')
order by c.id limit {{limit}};
