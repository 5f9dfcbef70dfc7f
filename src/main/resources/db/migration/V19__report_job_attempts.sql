-- Report jobs survive their instance (docs/insight.md, "Report jobs"): the cleanup round runs a job whose instance
-- stopped again on its own instance, up to segments.reports.max-attempts times; attempts counts the runs.
alter table report_job add column attempts int not null default 1 check (attempts >= 1);
