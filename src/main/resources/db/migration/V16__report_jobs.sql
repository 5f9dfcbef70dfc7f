-- Report jobs (docs/insight.md, "Reports"): a long report (a segment report, the tenant overview) rendered in the
-- background with its progress; the finished file is kept in the row (bytea, bounded) until expires_at.
create table report_job (
    id           uuid        primary key,
    tenant_id    bigint      not null references tenant (id) on delete cascade,
    report       text        not null check (report in ('segment', 'segments')),
    segment_key  text,
    format       text        not null check (format in ('pdf', 'csv', 'json')),
    state        text        not null default 'queued' check (state in ('queued', 'running', 'succeeded', 'failed')),
    step         text,
    steps_done   int         not null default 0,
    steps_total  int         not null check (steps_total > 0),
    error        text,
    media_type   text,
    file_name    text,
    result       bytea,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    finished_at  timestamptz,
    expires_at   timestamptz not null,
    check (report = 'segments' or segment_key is not null),
    check (steps_done between 0 and steps_total),
    check (result is null or octet_length(result) <= 100000000)
);
create index report_job_tenant on report_job (tenant_id, created_at desc);
create index report_job_expiry on report_job (expires_at);
create index report_job_active on report_job (updated_at) where state in ('queued', 'running');
