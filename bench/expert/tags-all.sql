-- Array containment (GIN index customer_tags).
-- name: count
select count(*) from customer c where c.tenant_id = {{tenant}} and c.tags @> array['newsletter', 'promo'];
-- name: page
select {{columns}} from customer c where c.tenant_id = {{tenant}} and c.tags @> array['newsletter', 'promo']
order by c.id limit {{limit}};
