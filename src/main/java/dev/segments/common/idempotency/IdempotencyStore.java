package dev.segments.common.idempotency;

import dev.segments.common.config.ServiceConfig;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.UUID;

/**
 * The {@code idempotency_record} table: claiming a key (a new key, or one whose lease lapsed or whose record is past
 * the retention), reading the record that holds a key, completing or releasing a claim, extending a lease, and the
 * retention cleanup (one DELETE on a Vert.x timer, as the webhook dispatcher does; no scheduler dependency).
 * Every write after the claim is conditioned on the claim's {@code owner}, so an attempt whose lease was taken over
 * can no longer change the record.
 */
@ApplicationScoped
public class IdempotencyStore {

    private static final Logger LOG = Logger.getLogger(IdempotencyStore.class);

    /** A key is free when nobody holds it, when its holder's lease lapsed, or when its record is past the retention. */
    private static final String CLAIM = """
            insert into idempotency_record (tenant_id, key, owner, lease_until)
            values ($1, $2, $3, now() + $4 * interval '1 millisecond')
            on conflict (tenant_id, key) do update
               set owner = excluded.owner, lease_until = excluded.lease_until, created_at = now(),
                   request_hash = null, status = null, content_type = null, body = null, headers = null
             where idempotency_record.created_at < now() - $5 * interval '1 millisecond'
                or (idempotency_record.status is null
                    and (idempotency_record.lease_until is null or idempotency_record.lease_until < now()))
            returning owner""";

    private static final String READ = """
            select status, request_hash, content_type, body, headers,
                   greatest(1, ceil(extract(epoch from (lease_until - now()))))::int as retry_after
              from idempotency_record where tenant_id = $1 and key = $2""";

    private static final String COMPLETE = """
            update idempotency_record
               set status = $4, content_type = $5, body = $6, headers = $7, request_hash = $8, lease_until = null
             where tenant_id = $1 and key = $2 and owner = $3 and status is null""";

    private static final String RELEASE =
            "delete from idempotency_record where tenant_id = $1 and key = $2 and owner = $3 and status is null";

    private static final String RENEW = """
            update idempotency_record set lease_until = now() + $4 * interval '1 millisecond'
             where tenant_id = $1 and key = $2 and owner = $3 and status is null""";

    private static final String PURGE = """
            delete from idempotency_record
             where created_at < now() - $1 * interval '1 millisecond'
               and (status is not null or lease_until is null or lease_until < now())""";

    /** The record holding a key when the claim failed: completed (status set) or in flight (status null). */
    public record Held(Integer status, byte[] requestHash, String contentType, String body, JsonObject headers,
                       int retryAfterSeconds) {
        boolean completed() {
            return status != null;
        }
    }

    private final Pool pool;
    private final Vertx vertx;
    private final ServiceConfig.Idempotency config;
    private volatile Long timerId;

    IdempotencyStore(Pool pool, Vertx vertx, ServiceConfig config) {
        this.pool = pool;
        this.vertx = vertx;
        this.config = config.idempotency();
    }

    void onStart(@Observes StartupEvent event) {
        long interval = config.cleanupInterval().toMillis();
        if (interval > 0) {
            timerId = vertx.setPeriodic(interval, id -> purgeExpired().subscribe().with(
                    n -> LOG.debugf("deleted %d expired idempotency records", n),
                    failure -> LOG.warn("idempotency record cleanup failed", failure)));
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        Long id = timerId;
        if (id != null) {
            vertx.cancelTimer(id);
        }
    }

    /** Claims the key; the owner token of the claim, or null when another record holds it. */
    public Uni<UUID> claim(long tenantId, String key) {
        UUID owner = UUID.randomUUID();
        return pool.preparedQuery(CLAIM)
                .execute(Tuple.of(tenantId, key, owner, config.lease().toMillis(), config.retention().toMillis()))
                .map(rows -> rows.size() == 1 ? owner : null);
    }

    /** The record holding the key, or null when there is none (it was just deleted). */
    public Uni<Held> read(long tenantId, String key) {
        return pool.preparedQuery(READ).execute(Tuple.of(tenantId, key)).map(rows -> {
            if (rows.size() == 0) {
                return null;
            }
            Row row = rows.iterator().next();
            return new Held(row.getInteger(0), row.getBuffer(1) == null ? null : row.getBuffer(1).getBytes(),
                    row.getString(2), row.getString(3), row.getJsonObject(4),
                    row.getInteger(5) == null ? 1 : row.getInteger(5));
        });
    }

    /** Stores the response of the claim's request with its fingerprint; nothing when the claim was taken over. */
    public Uni<Void> complete(long tenantId, String key, UUID owner, int status, String contentType, String body,
                       JsonObject headers, byte[] fingerprint) {
        return pool.preparedQuery(COMPLETE)
                .execute(Tuple.from(new Object[]{tenantId, key, owner, status, contentType, body, headers,
                        io.vertx.core.buffer.Buffer.buffer(fingerprint)}))
                .replaceWithVoid();
    }

    /** Frees the key (the request failed on our side, so a retry may run it again). */
    public Uni<Void> release(long tenantId, String key, UUID owner) {
        return pool.preparedQuery(RELEASE).execute(Tuple.of(tenantId, key, owner)).replaceWithVoid();
    }

    /** Extends the claim's lease by the configured lease from now. */
    public Uni<Void> renew(long tenantId, String key, UUID owner) {
        return pool.preparedQuery(RENEW).execute(Tuple.of(tenantId, key, owner, config.lease().toMillis()))
                .replaceWithVoid();
    }

    /** Deletes, in one statement, every record older than the retention (not one whose live lease is held). */
    public Uni<Integer> purgeExpired() {
        return pool.preparedQuery(PURGE).execute(Tuple.of(config.retention().toMillis())).map(rows -> rows.rowCount());
    }

    Duration lease() {
        return config.lease();
    }
}
