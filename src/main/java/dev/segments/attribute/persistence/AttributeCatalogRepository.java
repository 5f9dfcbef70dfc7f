package dev.segments.attribute.persistence;

import dev.segments.rule.AttributeDef;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads of the attribute catalog ({@code attribute_definition}) over the reactive SQL pool rather than a Hibernate
 * session, so that worker threads (bulk import) and every rule compilation can use them. Declarations are written
 * through {@link AttributeRepository}.
 */
@ApplicationScoped
public class AttributeCatalogRepository {

    private final Pool pool;

    AttributeCatalogRepository(Pool pool) {
        this.pool = pool;
    }

    /** The declared attributes of one entity: key to type (its wire name). */
    public Uni<Map<String, String>> types(long tenantId, String entity) {
        return pool.preparedQuery("select key, type from attribute_definition where tenant_id = $1 and entity = $2")
                .execute(Tuple.of(tenantId, entity))
                .map(rows -> {
                    Map<String, String> types = new LinkedHashMap<>();
                    rows.forEach(r -> types.put(r.getString("key"), r.getString("type")));
                    return types;
                });
    }

    /** Every declared attribute of the tenant, as the rule language reads them. */
    public Uni<List<AttributeDef>> definitions(long tenantId) {
        return pool.preparedQuery("select entity, key, type, description from attribute_definition where tenant_id = $1")
                .execute(Tuple.of(tenantId))
                .map(rows -> {
                    List<AttributeDef> defs = new ArrayList<>();
                    rows.forEach(r -> defs.add(new AttributeDef(r.getString("entity"), r.getString("key"),
                            r.getString("type"), r.getString("description"))));
                    return defs;
                });
    }
}
