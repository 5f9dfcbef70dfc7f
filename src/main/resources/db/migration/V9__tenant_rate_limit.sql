-- A tenant's own request rate (issue 12): null keeps the configured default (segments.rate-limit.tenant-*).
alter table tenant
    add column rate_limit_per_second integer check (rate_limit_per_second between 1 and 1000000),
    add column rate_limit_burst      integer check (rate_limit_burst between 1 and 1000000);
