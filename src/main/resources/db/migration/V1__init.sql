-- Segments API: base schema. Every row belongs to a tenant; every query filters by tenant_id.
-- Conventions: bigint identity keys, timestamptz in UTC, money as numeric (never floating point),
-- JSONB for custom attributes, text[] for tags.

create table tenant (
    id          bigint generated always as identity primary key,
    name        text        not null,
    created_at  timestamptz not null default now()
);

-- API keys: only the SHA-256 of the secret is stored; the key itself is shown once at creation.
create table api_key (
    id          bigint generated always as identity primary key,
    tenant_id   bigint      not null references tenant (id) on delete cascade,
    name        text        not null,
    prefix      text        not null,
    key_hash    bytea       not null unique,
    created_at  timestamptz not null default now(),
    revoked_at  timestamptz
);
create index api_key_tenant on api_key (tenant_id);

-- The tenant's catalog of custom attributes, per entity (customer, purchase, interaction).
create table attribute_definition (
    tenant_id   bigint      not null references tenant (id) on delete cascade,
    entity      text        not null check (entity in ('customer', 'purchase', 'interaction')),
    key         text        not null check (key ~ '^[A-Za-z][A-Za-z0-9_]{0,62}$'),
    type        text        not null check (type in ('string', 'number', 'integer', 'boolean', 'date',
                                                     'timestamp', 'stringList')),
    description text,
    created_at  timestamptz not null default now(),
    primary key (tenant_id, entity, key)
);

create table customer (
    id                  bigint generated always as identity primary key,
    tenant_id           bigint        not null references tenant (id) on delete cascade,
    external_id         text          not null,
    name                text,
    email               text,
    phone               text,
    phones              text[]        not null default '{}',
    gender              text,
    birth_date          date,
    country             text,
    region              text,
    city                text,
    price_tier          text,
    payment_terms       text,
    lifecycle_stage     text,
    source              text,
    channel             text,
    tags                text[]        not null default '{}',
    attributes          jsonb         not null default '{}',
    contacts            jsonb         not null default '[]',
    -- rollups, kept exact in the transaction of every activity write
    purchase_count      integer       not null default 0,
    total_spend         numeric(20, 4) not null default 0,
    average_order_value numeric(20, 4) generated always as
        (case when purchase_count > 0 then round(total_spend / purchase_count, 4) end) stored,
    first_purchase_at   timestamptz,
    last_purchase_at    timestamptz,
    last_interaction_at timestamptz,
    last_seen_at        timestamptz,
    created_at          timestamptz   not null default now(),
    updated_at          timestamptz   not null default now(),
    version             bigint        not null default 1,
    unique (tenant_id, external_id),
    unique (tenant_id, id)
);
-- keyset pagination and the tenant's base set
create index customer_tenant_id on customer (tenant_id, id);
create index customer_tags on customer using gin (tags);
create index customer_last_purchase on customer (tenant_id, last_purchase_at);

create table purchase (
    id           bigint generated always as identity primary key,
    tenant_id    bigint         not null,
    customer_id  bigint         not null,
    external_id  text,
    occurred_at  timestamptz    not null,
    amount       numeric(20, 4) not null,
    currency     text,
    product      text,
    category     text,
    quantity     integer,
    channel      text,
    attributes   jsonb          not null default '{}',
    created_at   timestamptz    not null default now(),
    foreign key (tenant_id, customer_id) references customer (tenant_id, id) on delete cascade,
    unique (tenant_id, external_id)
);
create index purchase_customer on purchase (tenant_id, customer_id, occurred_at) include (amount);

create table interaction (
    id           bigint generated always as identity primary key,
    tenant_id    bigint      not null,
    customer_id  bigint      not null,
    external_id  text,
    occurred_at  timestamptz not null,
    type         text        not null,
    channel      text,
    outcome      text,
    reason       text,
    attributes   jsonb       not null default '{}',
    created_at   timestamptz not null default now(),
    foreign key (tenant_id, customer_id) references customer (tenant_id, id) on delete cascade,
    unique (tenant_id, external_id)
);
create index interaction_customer on interaction (tenant_id, customer_id, type, occurred_at);

create table event (
    id           bigint generated always as identity primary key,
    tenant_id    bigint      not null,
    customer_id  bigint      not null,
    external_id  text,
    occurred_at  timestamptz not null,
    name         text        not null,
    properties   jsonb       not null default '{}',
    created_at   timestamptz not null default now(),
    foreign key (tenant_id, customer_id) references customer (tenant_id, id) on delete cascade,
    unique (tenant_id, external_id)
);
create index event_customer on event (tenant_id, customer_id, name, occurred_at);

-- Idempotency-Key replay store for POST requests.
create table idempotency_record (
    tenant_id     bigint      not null references tenant (id) on delete cascade,
    key           text        not null,
    request_hash  bytea       not null,
    status        integer,
    content_type  text,
    body          text,
    created_at    timestamptz not null default now(),
    primary key (tenant_id, key)
);
