package dev.segments.tenant.persistence;

import dev.segments.common.db.ReservedPool;
import dev.segments.common.ratelimit.RateLimits;
import dev.segments.common.tenancy.ApiKeyLookup;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The API key lookups of authentication ({@link ApiKeyLookup}), on the {@link ReservedPool} so that they never wait
 * behind tenant queries that fill the main pool. Keys are written through {@link ApiKeyRepository} (Hibernate).
 */
@ApplicationScoped
public class ApiKeyLookupRepository implements ApiKeyLookup {

    private final Pool pool;

    ApiKeyLookupRepository(@ReservedPool Pool pool) {
        this.pool = pool;
    }

    @Override
    public Uni<Optional<ActiveKey>> findActive(byte[] keyHash) {
        return pool.preparedQuery("select k.id, k.tenant_id, t.rate_limit_per_second, t.rate_limit_burst"
                        + " from api_key k join tenant t on t.id = k.tenant_id"
                        + " where k.key_hash = $1 and k.revoked_at is null")
                .execute(Tuple.of(keyHash))
                .map(rows -> {
                    if (rows.size() == 0) {
                        return Optional.empty();
                    }
                    Row row = rows.iterator().next();
                    return Optional.of(new ActiveKey(row.getLong("id"), row.getLong("tenant_id"),
                            new RateLimits.TenantLimit(row.getInteger("rate_limit_per_second"),
                                    row.getInteger("rate_limit_burst"))));
                });
    }

    @Override
    public Uni<Set<Long>> stillValid(Long[] keyIds) {
        return pool.preparedQuery("select id from api_key where id = any($1) and revoked_at is null")
                .execute(Tuple.of((Object) keyIds)).map(rs -> {
                    Set<Long> valid = new HashSet<>();
                    rs.forEach(r -> valid.add(r.getLong("id")));
                    return valid;
                });
    }
}
