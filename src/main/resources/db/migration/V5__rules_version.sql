-- A tenant's rules are checked and compiled against its attribute definitions and its segments. TenantRulesLoader
-- keeps them parsed in memory per tenant and revalidates on every use with one indexed read of rules_version,
-- which every change to either table bumps (in the writing transaction, so an instance sees a change at its next
-- request after the commit, whichever instance wrote it). Rule or attribute writes are rare; the tenant row lock
-- taken here serializes them per tenant, which is harmless.
alter table tenant add column rules_version bigint not null default 0;

create function bump_rules_version() returns trigger language plpgsql as $$
begin
    update tenant set rules_version = rules_version + 1
     where id = case when tg_op = 'DELETE' then old.tenant_id else new.tenant_id end;
    return null;
end
$$;

create trigger segment_rules_version after insert or update or delete on segment
    for each row execute function bump_rules_version();

create trigger attribute_definition_rules_version after insert or update or delete on attribute_definition
    for each row execute function bump_rules_version();
