package dev.segments.common.tenancy;

import dev.segments.common.ratelimit.RateLimits;
import io.smallrye.mutiny.Uni;

import java.util.Optional;
import java.util.Set;

/**
 * The key lookups authentication needs, as a port: {@link ApiKeyAuthentication} (in {@code common}, which every
 * feature uses) cannot depend on the tenant feature that owns the {@code api_key} table without a cycle between
 * features, so the tenant feature implements this ({@code tenant.persistence.ApiKeyLookupRepository}) and CDI
 * injects it. Implementations run on the {@link dev.segments.common.db.ReservedPool}: authentication must not wait
 * behind tenant queries that fill the main pool.
 */
public interface ApiKeyLookup {

    /** A valid (not revoked) tenant API key, with its tenant's rate limit. */
    record ActiveKey(long keyId, long tenantId, RateLimits.TenantLimit limit) {
    }

    /** The valid key with this hash ({@link ApiKeys#hash}), if any. */
    Uni<Optional<ActiveKey>> findActive(byte[] keyHash);

    /** Of these key ids, those still valid (not revoked, not deleted). */
    Uni<Set<Long>> stillValid(Long[] keyIds);
}
