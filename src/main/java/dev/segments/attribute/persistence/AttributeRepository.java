package dev.segments.attribute.persistence;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;

@ApplicationScoped
public class AttributeRepository implements PanacheRepositoryBase<AttributeDefinition, AttributeDefinition.Key> {

    public Uni<List<AttributeDefinition>> listByTenant(long tenantId) {
        return list("id.tenantId", Sort.by("id.entity").and("id.key"), tenantId);
    }
}
