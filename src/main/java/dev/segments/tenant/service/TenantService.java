package dev.segments.tenant.service;

import dev.segments.common.error.ProblemException;
import dev.segments.common.tenancy.ApiKeys;
import dev.segments.tenant.persistence.ApiKey;
import dev.segments.tenant.persistence.ApiKeyRepository;
import dev.segments.tenant.persistence.Tenant;
import dev.segments.tenant.persistence.TenantRepository;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.hibernate.reactive.panache.common.WithTransaction;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/** Tenants and their API keys (admin use cases). */
@ApplicationScoped
public class TenantService {

    /** A key as created: the only moment its secret is known. */
    public record IssuedKey(ApiKey key, String secret) {
    }

    public record CreatedTenant(Tenant tenant, IssuedKey key) {
    }

    private final TenantRepository tenants;
    private final ApiKeyRepository keys;

    TenantService(TenantRepository tenants, ApiKeyRepository keys) {
        this.tenants = tenants;
        this.keys = keys;
    }

    @WithTransaction
    public Uni<CreatedTenant> create(String name, String keyName) {
        Tenant tenant = new Tenant();
        tenant.name = name;
        tenant.createdAt = now();
        return tenants.persist(tenant)
                .chain(t -> issue(t.id, keyName))
                .map(k -> new CreatedTenant(tenant, k));
    }

    @WithSession
    public Uni<List<Tenant>> list() {
        return tenants.listAll(Sort.by("id"));
    }

    @WithSession
    public Uni<Tenant> get(long id) {
        return tenants.findById(id).onItem().ifNull().failWith(() -> ProblemException.notFound("Tenant " + id));
    }

    /** Renames the tenant (name non-null) and sets its own rate limit (null members: the defaults). */
    @WithTransaction
    public Uni<Tenant> update(long id, String name, Integer perSecond, Integer burst) {
        return tenants.findById(id)
                .onItem().ifNull().failWith(() -> ProblemException.notFound("Tenant " + id))
                .invoke(t -> {
                    if (name != null) {
                        t.name = name;
                    }
                    t.rateLimitPerSecond = perSecond;
                    t.rateLimitBurst = burst;
                });
    }

    @WithTransaction
    public Uni<IssuedKey> createKey(long tenantId, String name) {
        return tenants.findById(tenantId)
                .onItem().ifNull().failWith(() -> ProblemException.notFound("Tenant " + tenantId))
                .chain(t -> issue(tenantId, name));
    }

    @WithSession
    public Uni<List<ApiKey>> listKeys(long tenantId) {
        return get(tenantId).chain(t -> keys.listByTenant(tenantId));
    }

    @WithTransaction
    public Uni<ApiKey> revokeKey(long tenantId, long keyId) {
        return keys.findByTenant(tenantId, keyId)
                .onItem().ifNull().failWith(() -> ProblemException.notFound("API key " + keyId))
                .invoke(k -> {
                    if (k.revokedAt == null) {
                        k.revokedAt = now();
                    }
                });
    }

    /** Revokes the tenant's keys of that name and issues a fresh one (the demo key at each start). */
    @WithTransaction
    public Uni<IssuedKey> rotateKey(long tenantId, String name) {
        return keys.update("revokedAt = ?1 where tenantId = ?2 and name = ?3 and revokedAt is null",
                        now(), tenantId, name)
                .chain(n -> issue(tenantId, name));
    }

    @WithSession
    public Uni<Tenant> findByName(String name) {
        return tenants.find("name", Sort.by("id"), name).firstResult();
    }

    private Uni<IssuedKey> issue(long tenantId, String name) {
        String secret = ApiKeys.generate();
        ApiKey key = new ApiKey();
        key.tenantId = tenantId;
        key.name = name == null || name.isBlank() ? "default" : name;
        key.prefix = ApiKeys.prefix(secret);
        key.keyHash = ApiKeys.hash(secret);
        key.createdAt = now();
        return keys.persist(key).map(k -> new IssuedKey(k, secret));
    }

    private static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC);
    }
}
