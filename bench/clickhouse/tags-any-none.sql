-- name: count
select count() from customer
where tenant_id = {{tenant}} and hasAny(tags, ['vip', 'loyalty']) and not hasAny(tags, ['complaint']);
