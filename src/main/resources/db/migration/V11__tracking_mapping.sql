-- The tracking API's per-tenant mapping (issue 18, docs/tracking.md): which Segment Spec traits fill which customer
-- fields or declared attributes, and which track events are purchases with which property paths. One document per
-- tenant, validated by the service on PUT /tracking/mapping; a tenant without a row uses the default mapping.
create table tracking_mapping (
    tenant_id   bigint      primary key references tenant (id) on delete cascade,
    mapping     jsonb       not null check (jsonb_typeof(mapping) = 'object'),
    updated_at  timestamptz not null default now()
);
