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

/** Loads what a tenant's rules are checked and compiled against: declared attributes and segments. */
@ApplicationScoped
public class TenantRulesLoader {

    private final SegmentRepository repository;
    private final Pool pool;
    private final RuleParser parser = new RuleParser();

    TenantRulesLoader(SegmentRepository repository, Pool pool) {
        this.repository = repository;
        this.pool = pool;
    }

    /** The tenant's field catalog and segments (in key order), for checking and compiling rules. */
    public Uni<TenantRules> load(long tenantId) {
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
            return new TenantRules(FieldCatalog.of(t.getItem1()), segments, parser);
        });
    }
}
