package dev.segments.tenant.persistence;

import io.quarkus.hibernate.reactive.panache.PanacheRepositoryBase;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;

@ApplicationScoped
public class ApiKeyRepository implements PanacheRepositoryBase<ApiKey, Long> {

    public Uni<List<ApiKey>> listByTenant(long tenantId) {
        return list("tenantId", Sort.by("id"), tenantId);
    }

    public Uni<ApiKey> findByTenant(long tenantId, long keyId) {
        return find("tenantId = ?1 and id = ?2", tenantId, keyId).firstResult();
    }
}
