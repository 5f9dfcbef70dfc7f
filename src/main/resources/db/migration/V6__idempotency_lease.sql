-- Idempotency-Key records get a lease and a retention (issue 12, item 5).
-- owner: the attempt that holds the key (a new one when a retry takes over a lapsed lease);
-- lease_until: while status is null, the time after which a retry may take the record over;
-- request_hash: fingerprint of method, path, query, content type and body, known once the body has been read,
-- so it is written with the response.
alter table idempotency_record
    alter column request_hash drop not null,
    add column owner uuid,
    add column lease_until timestamptz,
    add column headers jsonb;

-- The retention cleanup deletes by age in one statement.
create index idempotency_record_created on idempotency_record (created_at);
