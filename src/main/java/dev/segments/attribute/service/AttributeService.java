package dev.segments.attribute.service;

import dev.segments.attribute.persistence.AttributeCatalogRepository;
import dev.segments.attribute.persistence.AttributeDefinition;
import dev.segments.attribute.persistence.AttributeRepository;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.rule.AttributeDef;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.smallrye.mutiny.Uni;
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
    private final AttributeCatalogRepository catalogs;

    AttributeService(AttributeRepository repository, AttributeCatalogRepository catalogs) {
        this.repository = repository;
        this.catalogs = catalogs;
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
        return catalogs.types(tenantId, entity).map(rows -> {
            Map<String, AttributeType> types = new LinkedHashMap<>();
            rows.forEach((key, type) -> types.put(key, AttributeType.of(type)));
            return new AttributeCatalog(entity, types);
        });
    }

    /** Every declared attribute of the tenant (all entities), as rules are checked against them. */
    public Uni<List<AttributeDef>> definitions(long tenantId) {
        return catalogs.definitions(tenantId);
    }
}
