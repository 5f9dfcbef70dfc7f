package dev.segments.attribute.service;

import dev.segments.attribute.persistence.AttributeDefinition;
import dev.segments.attribute.persistence.AttributeRepository;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The tenant's custom attribute catalog. Declarations are append-only: a type never changes once declared. */
@ApplicationScoped
public class AttributeService {

    public static final List<String> ENTITIES = List.of("customer", "purchase", "interaction");

    /** The outcome of a declaration: the definition and whether it was new. */
    public record Declared(AttributeDefinition definition, boolean created) {
    }

    private final AttributeRepository repository;
    private final Pool pool;

    AttributeService(AttributeRepository repository, Pool pool) {
        this.repository = repository;
        this.pool = pool;
    }

    @WithTransaction
    public Uni<Declared> declare(long tenantId, String entity, String key, AttributeType type, String description) {
        AttributeDefinition.Key id = new AttributeDefinition.Key(tenantId, entity, key);
        return repository.findById(id).chain(existing -> {
            if (existing == null) {
                AttributeDefinition def = new AttributeDefinition();
                def.id = id;
                def.type = type.wireName();
                def.description = description;
                def.createdAt = OffsetDateTime.now(ZoneOffset.UTC);
                return repository.persist(def).map(d -> new Declared(d, true));
            }
            if (!existing.type.equals(type.wireName())) {
                return Uni.createFrom().failure(new ProblemException(ProblemType.CONFLICT,
                        "attribute '" + key + "' of " + entity + "s is declared as " + existing.type
                                + "; a declared type cannot change"));
            }
            existing.description = description;
            return Uni.createFrom().item(new Declared(existing, false));
        });
    }

    @WithSession
    public Uni<List<AttributeDefinition>> list(long tenantId) {
        return repository.listByTenant(tenantId);
    }

    @WithSession
    public Uni<AttributeDefinition> get(long tenantId, String entity, String key) {
        return repository.findById(new AttributeDefinition.Key(tenantId, entity, key))
                .onItem().ifNull().failWith(() -> ProblemException.notFound("Attribute " + entity + "." + key));
    }

    /**
     * The catalog of one entity, for validating values on write. Read with the SQL pool rather than a
     * Hibernate session so that blocking endpoints (bulk import) can use it from a worker thread.
     */
    public Uni<AttributeCatalog> catalog(long tenantId, String entity) {
        return pool.preparedQuery("select key, type from attribute_definition where tenant_id = $1 and entity = $2")
                .execute(Tuple.of(tenantId, entity))
                .map(rows -> {
                    Map<String, AttributeType> types = new LinkedHashMap<>();
                    rows.forEach(r -> types.put(r.getString(0), AttributeType.of(r.getString(1))));
                    return new AttributeCatalog(entity, types);
                });
    }
}
