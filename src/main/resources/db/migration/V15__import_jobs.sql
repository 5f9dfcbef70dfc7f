-- Import jobs (issue 18, docs/imports.md): an upload spooled into PostgreSQL in parts, imported by a worker in chunks;
-- each chunk's transaction also moves the job's committed offset (bytes_done, next_line) and counts, so a restarted
-- instance resumes a running job from its last committed chunk. The id is the client's (a retried upload with the
-- same id is a no-op or resumes), unique within the tenant.
create table import_job (
    tenant_id     bigint      not null references tenant (id) on delete cascade,
    id            text        not null,
    stream        text        not null check (stream in ('customers', 'purchases', 'interactions', 'events')),
    format        text        not null check (format in ('ndjson', 'csv')),
    -- receiving: the upload is being spooled (a retry with the same id starts it over); the worker takes queued jobs
    state         text        not null default 'receiving'
                  check (state in ('receiving', 'queued', 'running', 'completed', 'failed', 'cancelled')),
    bytes_total   bigint      not null default 0,
    bytes_done    bigint      not null default 0,
    next_line     bigint      not null default 1,
    csv_header    text[],
    lines         bigint      not null default 0,
    stored        bigint      not null default 0,
    duplicates    bigint      not null default 0,
    failed        bigint      not null default 0,
    error_count   bigint      not null default 0,
    stored_errors integer     not null default 0,
    -- why a failed job failed (a problem's detail)
    failure       text,
    -- a running job belongs to the instance that renews this; when it lapses another instance resumes the job
    lease_until   timestamptz,
    created_at    timestamptz not null default now(),
    started_at    timestamptz,
    run_started_at timestamptz,
    run_start_lines bigint    not null default 0,
    run_start_bytes bigint    not null default 0,
    updated_at    timestamptz not null default now(),
    finished_at   timestamptz,
    primary key (tenant_id, id)
);
create index import_job_pending on import_job (created_at) where state in ('queued', 'running');
create index import_job_list on import_job (tenant_id, created_at desc, id);

create table import_job_part (
    tenant_id bigint  not null,
    job_id    text    not null,
    seq       integer not null,
    data      bytea   not null,
    primary key (tenant_id, job_id, seq),
    foreign key (tenant_id, job_id) references import_job (tenant_id, id) on delete cascade
);

create table import_job_error (
    tenant_id bigint not null,
    job_id    text   not null,
    line      bigint not null,
    pointer   text   not null,
    code      text   not null,
    message   text   not null,
    foreign key (tenant_id, job_id) references import_job (tenant_id, id) on delete cascade
);
create index import_job_error_line on import_job_error (tenant_id, job_id, line);
