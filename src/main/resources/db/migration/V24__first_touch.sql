-- The earliest interaction or event of each customer (issue 15), a rollup kept like last_interaction_at and
-- last_seen_at by every activity write (ActivityRepository's recompute, the import's addRollups): the value-quadrant
-- model's first contact is the earliest of createdAt, the first counted purchase and this, and a run no longer groups
-- the whole interaction and event streams to find it (at 1M customers 8 s of its 35 s). Not a rule field.
alter table customer add column first_touch_at timestamptz;

update customer c set first_touch_at = f.at
from (select customer_id, min(at) as at
      from (select customer_id, min(occurred_at) as at from interaction group by customer_id
            union all
            select customer_id, min(occurred_at) from event group by customer_id) s
      group by customer_id) f
where c.id = f.customer_id;
