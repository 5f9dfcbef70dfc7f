package dev.segments.segment.service;

import dev.segments.attribute.service.AttributeService;
import dev.segments.rule.AttributeDef;
import dev.segments.rule.FieldCatalog;
import dev.segments.rule.RuleParser;
import dev.segments.segment.persistence.SegmentRepository;
import dev.segments.segment.persistence.SegmentRow;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

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
    private final AttributeService attributes;
    private final RuleParser parser = new RuleParser();
    private final Map<Long, TenantRules> cache = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, TenantRules> eldest) {
            return size() > MAX_TENANTS;
        }
    };

    TenantRulesLoader(SegmentRepository repository, AttributeService attributes) {
        this.repository = repository;
        this.attributes = attributes;
    }

    /** The tenant's field catalog and segments (in key order), as committed now. */
    public Uni<TenantRules> load(long tenantId) {
        return repository.rulesVersion(tenantId)
                .chain(version -> {
                    TenantRules kept = cached(tenantId);
                    if (kept != null && kept.version() == version) {
                        return Uni.createFrom().item(kept);
                    }
                    // read after the version: the rows are that version or newer, and a newer version reloads
                    return read(tenantId, version).invoke(rules -> keep(tenantId, rules));
                });
    }

    private Uni<TenantRules> read(long tenantId, long version) {
        Uni<List<AttributeDef>> declared = attributes.definitions(tenantId);
        return Uni.combine().all().unis(declared, repository.listAll(tenantId)).asTuple().map(t -> {
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
