-- Which segments a customer's due instant is the instant of (issue 17, docs/live-membership.md "Time events"):
-- segments, the clock-dependent segments whose own least instant lies within 10 minutes of due_at (DueSql.SET_HORIZON);
-- others_due_at, the least instant of the other clock-dependent segments (NULL: none has one). The tick re-evaluates
-- only those segments while its now is before others_due_at, every clock-dependent segment otherwise; NULL segments
-- (rows written before this version, or an instant kept through a write) mean every one.
alter table customer_due add column segments bigint[], add column others_due_at timestamptz;
