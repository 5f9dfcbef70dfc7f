-- Segments: named rule trees (dynamic) or explicit member lists (static).
create table segment (
    id          bigint generated always as identity primary key,
    tenant_id   bigint      not null references tenant (id) on delete cascade,
    key         text        not null check (key ~ '^[a-z0-9][a-z0-9_-]{0,99}$'),
    name        text        not null,
    description text,
    kind        text        not null check (kind in ('dynamic', 'static')),
    rule        jsonb,
    tier        text        not null default 'primary' check (tier in ('primary', 'secondary')),
    tags        text[]      not null default '{}',
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    version     bigint      not null default 1,
    unique (tenant_id, key),
    check ((kind = 'dynamic') = (rule is not null))
);

-- Members of static segments, added and removed explicitly.
create table segment_member (
    segment_id  bigint      not null references segment (id) on delete cascade,
    customer_id bigint      not null references customer (id) on delete cascade,
    tenant_id   bigint      not null references tenant (id) on delete cascade,
    added_at    timestamptz not null default now(),
    primary key (segment_id, customer_id)
);
create index segment_member_customer on segment_member (customer_id);
