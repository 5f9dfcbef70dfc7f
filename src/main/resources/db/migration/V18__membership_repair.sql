-- Reads of saved segments from the materialization (issue 17 step 2, docs/live-membership.md "Reads"): a segment
-- whose materialized membership may be wrong (a failed membership update queued the tenant's segments for a full
-- refresh) is marked until its next full evaluation; while any segment of a tenant is marked, that tenant's counts
-- and member pages are evaluated live. next_refresh_at alone cannot tell: the time-driven backstop refresh also
-- makes it pass, without the membership being wrong.
alter table segment_state add column repair_since timestamptz;
create index segment_state_repair on segment_state (tenant_id) where repair_since is not null;

-- Segments already due at the upgrade may be due for repair (or, after V17, for the first fill of customer_due):
-- read them live until the scheduler has refreshed them.
update segment_state set repair_since = now() where next_refresh_at is not null and next_refresh_at <= now();
