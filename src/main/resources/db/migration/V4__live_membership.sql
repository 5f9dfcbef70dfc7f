-- Live membership: materialized members of dynamic segments, their freshness, the change feed, and webhooks.
--
-- Ordering: every transaction that writes membership_change rows of a tenant first takes the transaction-level
-- advisory lock (1936025972, tenant_id) (see MembershipRepository). Change ids are therefore allocated and
-- committed in the same order per tenant, so a consumer that reads "tenant's changes with id > cursor" never
-- misses a change that commits later with a smaller id.

-- Members of each dynamic segment as last evaluated (static segments keep theirs in segment_member).
create table segment_membership (
    segment_id  bigint      not null references segment (id) on delete cascade,
    customer_id bigint      not null,
    tenant_id   bigint      not null,
    since       timestamptz not null,
    primary key (segment_id, customer_id),
    foreign key (tenant_id, customer_id) references customer (tenant_id, id) on delete cascade
);
create index segment_membership_customer on segment_membership (customer_id);

-- Freshness of each dynamic segment's materialized membership and when time alone may change it next.
create table segment_state (
    segment_id        bigint primary key references segment (id) on delete cascade,
    tenant_id         bigint      not null references tenant (id) on delete cascade,
    -- the version of the segment (rule) the membership was computed for
    segment_version   bigint      not null,
    last_evaluated_at timestamptz,
    evaluation_ms     bigint,
    member_count      bigint      not null default 0,
    -- null: the rule has no relative time windows, so only writes and edits change membership
    drift_interval_ms bigint,
    next_refresh_at   timestamptz
);
create index segment_state_due on segment_state (next_refresh_at) where next_refresh_at is not null;

-- Every entry into and exit from a segment, in commit order per tenant. Kept when the segment or customer is
-- deleted (history); segment_key and customer_external_id are copies for that reason.
create table membership_change (
    id                   bigint generated always as identity primary key,
    tenant_id            bigint      not null references tenant (id) on delete cascade,
    segment_id           bigint      not null,
    segment_key          text        not null,
    customer_id          bigint      not null,
    customer_external_id text,
    kind                 text        not null check (kind in ('entered', 'exited')),
    cause                text        not null check (cause in ('data_write', 'time_drift', 'rule_edit', 'static_edit',
                                                               'refresh')),
    at                   timestamptz not null
);
create index membership_change_tenant on membership_change (tenant_id, id);
create index membership_change_segment on membership_change (segment_id, id);
create index membership_change_history on membership_change (segment_id, customer_id, at);

-- Webhook subscriptions: entered/exited batches of the listed segments (all when empty) are POSTed to url,
-- signed with secret. last_change_id is the subscription's position in the tenant's change feed.
create table webhook_subscription (
    id             bigint generated always as identity primary key,
    tenant_id      bigint      not null references tenant (id) on delete cascade,
    url            text        not null,
    segments       text[]      not null default '{}',
    secret         text        not null,
    active         boolean     not null default true,
    last_change_id bigint      not null default 0,
    created_at     timestamptz not null default now()
);
create index webhook_subscription_tenant on webhook_subscription (tenant_id);

-- The transactional outbox of deliveries: a delivery is created (with the change ids it covers) before it is
-- sent, retried with backoff until the receiver answers 2xx, and kept as the delivery log.
create table webhook_delivery (
    id               uuid primary key,
    subscription_id  bigint      not null references webhook_subscription (id) on delete cascade,
    tenant_id        bigint      not null,
    first_change_id  bigint      not null,
    last_change_id   bigint      not null,
    change_count     integer     not null,
    body             text        not null,
    status           text        not null check (status in ('pending', 'delivered', 'failed')),
    attempts         integer     not null default 0,
    next_attempt_at  timestamptz not null default now(),
    last_status_code integer,
    last_error       text,
    created_at       timestamptz not null default now(),
    delivered_at     timestamptz
);
create index webhook_delivery_due on webhook_delivery (next_attempt_at) where status = 'pending';
create index webhook_delivery_subscription on webhook_delivery (subscription_id, created_at);
