package dev.segments.common.ratelimit;

import dev.segments.common.config.ServiceConfig;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Token buckets (bucket4j) of one instance: per API key, per tenant, and failed authentications per client
 * address. A request costs one token of its key's bucket and one of its tenant's; a failed authentication one
 * of its address's. Buckets live in memory, so with N replicas a tenant gets up to N times its rate (written
 * down in docs/security.md); a shared store (bucket4j's PostgreSQL or Redis back ends) would make them global.
 */
@ApplicationScoped
public class RateLimits {

    /** A tenant's own limit (null fields: the configured defaults). */
    public record TenantLimit(Integer perSecond, Integer burst) {
        public static final TenantLimit DEFAULT = new TenantLimit(null, null);
    }

    /** The outcome of taking a token: what the RateLimit headers report, and whether the request may go on. */
    public record Decision(boolean allowed, String policy, long quota, long windowSeconds, long remaining,
                           long resetSeconds) {

        /** {@code RateLimit-Policy} (draft-ietf-httpapi-ratelimit-headers): quota per window, in seconds. */
        public String policyHeader() {
            return "\"" + policy + "\";q=" + quota + ";w=" + windowSeconds;
        }

        /** {@code RateLimit}: what is left of the policy and the seconds until it is replenished. */
        public String limitHeader() {
            return "\"" + policy + "\";r=" + remaining + ";t=" + resetSeconds;
        }
    }

    private record Limited(Bucket bucket, long capacity, long perSecond) {
    }

    private final ServiceConfig.RateLimit config;
    private final Map<Long, Limited> keys = new ConcurrentHashMap<>();
    private final Map<Long, Limited> tenants = new ConcurrentHashMap<>();
    private final Map<String, Bucket> failures = new ConcurrentHashMap<>();

    RateLimits(ServiceConfig config) {
        this.config = config.rateLimit();
    }

    public boolean enabled() {
        return config.enabled();
    }

    /**
     * Takes a token from the tenant's bucket, then from the key's. The decision reported is the tighter of the
     * two (the one that refused, or the one with fewer tokens left).
     */
    public Decision request(long tenantId, long keyId, TenantLimit limit) {
        long tenantRate = limit.perSecond() != null ? limit.perSecond() : config.tenantPerSecond();
        long tenantBurst = limit.burst() != null ? limit.burst() : config.tenantBurst();
        long keyRate = Math.min(config.keyPerSecond(), tenantRate);
        long keyBurst = Math.min(config.keyBurst(), tenantBurst);
        Decision tenant = take("tenant", bucket(tenants, tenantId, tenantBurst, tenantRate));
        if (!tenant.allowed()) {
            return tenant;
        }
        Decision key = take("key", bucket(keys, keyId, keyBurst, keyRate));
        return !key.allowed() || key.remaining() <= tenant.remaining() ? key : tenant;
    }

    /** Whether this address may still try a key (false: it failed too often lately). */
    public Decision authenticationAllowed(String address) {
        Bucket bucket = failures.get(address);
        long perMinute = config.failedAuthPerMinute();
        if (bucket == null) {
            return new Decision(true, "auth-failures", perMinute, 60, perMinute, 0);
        }
        long available = bucket.getAvailableTokens();
        long wait = available > 0 ? 0 : seconds(bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill());
        return new Decision(available > 0, "auth-failures", perMinute, 60, Math.max(available, 0), wait);
    }

    /** Records a failed authentication from this address. */
    public void failedAuthentication(String address) {
        if (failures.size() >= config.maxTrackedAddresses()) {
            failures.values().removeIf(b -> b.getAvailableTokens() >= config.failedAuthPerMinute());
            if (failures.size() >= config.maxTrackedAddresses()) {
                failures.clear();
            }
        }
        failures.computeIfAbsent(address, a -> Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(config.failedAuthPerMinute())
                        .refillGreedy(config.failedAuthPerMinute(), Duration.ofMinutes(1)).build())
                .build()).tryConsume(1);
    }

    private static Limited bucket(Map<Long, Limited> map, long id, long capacity, long perSecond) {
        Limited current = map.get(id);
        if (current != null && current.capacity() == capacity && current.perSecond() == perSecond) {
            return current;
        }
        Limited fresh = new Limited(Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(capacity).refillGreedy(perSecond, Duration.ofSeconds(1)).build())
                .build(), capacity, perSecond);
        map.put(id, fresh);
        return fresh;
    }

    private static Decision take(String policy, Limited limited) {
        ConsumptionProbe probe = limited.bucket().tryConsumeAndReturnRemaining(1);
        long window = Math.max(1, (limited.capacity() + limited.perSecond() - 1) / limited.perSecond());
        long missing = limited.capacity() - probe.getRemainingTokens();
        long reset = probe.isConsumed()
                ? (missing + limited.perSecond() - 1) / limited.perSecond()
                : seconds(probe.getNanosToWaitForRefill());
        return new Decision(probe.isConsumed(), policy, limited.capacity(), window, probe.getRemainingTokens(), reset);
    }

    private static long seconds(long nanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toSeconds(nanos + 999_999_999L));
    }
}
