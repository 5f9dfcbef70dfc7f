-- name: count
select count() from customer where tenant_id = {{tenant}} and hasAll(tags, ['newsletter', 'promo']);
