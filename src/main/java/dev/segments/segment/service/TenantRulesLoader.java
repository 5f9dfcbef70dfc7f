package dev.segments.segment.service;

import dev.segments.rule.AttributeDef;
import dev.segments.rule.FieldCatalog;
import dev.segments.rule.RuleParser;
import dev.segments.segment.persistence.SegmentRepository;
import dev.segments.segment.persistence.SegmentRow;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads what a tenant's rules are checked and compiled against: declared attributes and segments. Every request
 * compiles against them, so they are kept per tenant (parsed rules included) and revalidated on every load with
 * one indexed read of {@code tenant.rules_version}, which the database bumps on every attribute or segment change
 * (V5). A load therefore always sees the committed state, whichever instance changed it.
 */
@ApplicationScoped
public class TenantRulesLoader {

    /** Tenants kept; the least recently used one is dropped beyond this (each holds its parsed rules). */
    static final int MAX_TENANTS = 2_000;

    private final SegmentRepository repository;
    private final Pool pool;
    private final RuleParser parser = new RuleParser();
    private final Map<Long, TenantRules> cache = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, TenantRules> eldest) {
            return size() > MAX_TENANTS;
        }
    };

    TenantRulesLoader(SegmentRepository repository, Pool pool) {
        this.repository = repository;
        this.pool = pool;
    }

    /** The tenant's field catalog and segments (in key order), as committed now. */
    public Uni<TenantRules> load(long tenantId) {
        return pool.preparedQuery("select rules_version from tenant where id = $1").execute(Tuple.of(tenantId))
                .chain(rows -> {
                    long version = rows.size() == 0 ? -1 : rows.iterator().next().getLong(0);
                    TenantRules kept = cached(tenantId);
                    if (kept != null && kept.version() == version) {
                        return Uni.createFrom().item(kept);
                    }
                    // read after the version: the rows are that version or newer, and a newer version reloads
                    return read(tenantId, version).invoke(rules -> keep(tenantId, rules));
                });
    }

    private Uni<TenantRules> read(long tenantId, long version) {
        Uni<List<AttributeDef>> attributes = pool.preparedQuery(
                        "select entity, key, type, description from attribute_definition where tenant_id = $1")
                .execute(Tuple.of(tenantId))
                .map(rows -> {
                    List<AttributeDef> defs = new ArrayList<>();
                    rows.forEach(r -> defs.add(new AttributeDef(r.getString(0), r.getString(1), r.getString(2),
                            r.getString(3))));
                    return defs;
                });
        return Uni.combine().all().unis(attributes, repository.listAll(tenantId)).asTuple().map(t -> {
            Map<String, SegmentRow> segments = new LinkedHashMap<>();
            t.getItem2().forEach(s -> segments.put(s.key(), s));
            return new TenantRules(version, FieldCatalog.of(t.getItem1()), segments, parser);
        });
    }

    private synchronized TenantRules cached(long tenantId) {
        return cache.get(tenantId);
    }

    /** Concurrent loads may finish out of order: the highest version stays. */
    private synchronized void keep(long tenantId, TenantRules rules) {
        TenantRules kept = cache.get(tenantId);
        if (kept == null || kept.version() <= rules.version()) {
            cache.put(tenantId, rules);
        }
    }
}
