-- name: count
select count(*) from customer c
where c.tenant_id = {{tenant}}
  and (c.attributes -> 'interests' ?| array['golf', 'wine']
       or c.id in (select p.customer_id from purchase p
                   where p.tenant_id = {{tenant}} and p.category in ('golf', 'wine')
                   group by p.customer_id having count(*) >= 3));
-- name: page
select {{columns}} from customer c
where c.tenant_id = {{tenant}}
  and (c.attributes -> 'interests' ?| array['golf', 'wine']
       or (c.purchase_count >= 3
           and (select count(*) from purchase p
                where p.tenant_id = {{tenant}} and p.customer_id = c.id and p.category in ('golf', 'wine')) >= 3))
order by c.id limit {{limit}};
