package dev.segments.common.idempotency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemMappers;
import dev.segments.common.error.ProblemType;
import dev.segments.common.tenancy.CurrentTenant;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * {@code Idempotency-Key} on POST: the first response to a key is stored (per tenant) and replayed for any
 * retry with the same key, marked {@code Idempotency-Replayed: true}. A retry while the first request is still
 * running gets 409; the same key on another method/path gets 422. A 5xx is not stored, so it can be retried.
 * Records are kept until the tenant is deleted (no expiry yet). Items with an {@code externalId}
 * are deduplicated in the database as well, which is what guarantees no double counting.
 */
public class IdempotencyFilters {

    public static final String HEADER = "Idempotency-Key";
    private static final String KEY_PROPERTY = "segments.idempotency-key";

    private final Pool pool;
    private final CurrentTenant tenant;
    private final ObjectMapper mapper;

    IdempotencyFilters(Pool pool, CurrentTenant tenant, ObjectMapper mapper) {
        this.pool = pool;
        this.tenant = tenant;
        this.mapper = mapper;
    }

    @ServerRequestFilter
    public Uni<Response> before(ContainerRequestContext request) {
        String key = request.getHeaderString(HEADER);
        Long tenantId = tenant.optionalId();
        if (key == null || !"POST".equals(request.getMethod()) || tenantId == null) {
            return Uni.createFrom().nullItem();
        }
        if (key.isBlank() || key.length() > 255) {
            return Uni.createFrom().item(ProblemMappers.respond(ProblemException.validation(HEADER, "invalid_value",
                    "Idempotency-Key must be 1 to 255 characters").problem()));
        }
        byte[] fingerprint = fingerprint(request);
        return pool.preparedQuery("insert into idempotency_record (tenant_id, key, request_hash) values ($1, $2, $3)"
                        + " on conflict do nothing")
                .execute(Tuple.of(tenantId, key, fingerprint))
                .chain(inserted -> {
                    if (inserted.rowCount() == 1) {
                        request.setProperty(KEY_PROPERTY, key);
                        return Uni.createFrom().nullItem();
                    }
                    return pool.preparedQuery("select request_hash, status, content_type, body from idempotency_record"
                                    + " where tenant_id = $1 and key = $2")
                            .execute(Tuple.of(tenantId, key))
                            .map(rows -> replay(rows.iterator().next(), fingerprint));
                });
    }

    @ServerResponseFilter
    public Uni<Void> after(ContainerRequestContext request, ContainerResponseContext response) {
        Object key = request.getProperty(KEY_PROPERTY);
        Long tenantId = tenant.optionalId();
        if (key == null || tenantId == null) {
            return Uni.createFrom().voidItem();
        }
        if (response.getStatus() >= 500) {
            return pool.preparedQuery("delete from idempotency_record where tenant_id = $1 and key = $2")
                    .execute(Tuple.of(tenantId, key)).replaceWithVoid();
        }
        String body;
        try {
            Object entity = response.getEntity();
            body = entity == null ? null : entity instanceof String s ? s : mapper.writeValueAsString(entity);
        } catch (JsonProcessingException e) {
            body = null;
        }
        String type = response.getMediaType() == null ? null : response.getMediaType().toString();
        return pool.preparedQuery("update idempotency_record set status = $3, content_type = $4, body = $5"
                        + " where tenant_id = $1 and key = $2")
                .execute(Tuple.of(tenantId, key, response.getStatus(), type, body)).replaceWithVoid();
    }

    private static Response replay(Row row, byte[] fingerprint) {
        if (!MessageDigest.isEqual(row.getBuffer(0).getBytes(), fingerprint)) {
            return ProblemMappers.respond(ProblemException.validation(HEADER, "key_reused",
                    "this Idempotency-Key was used for a different request").problem());
        }
        Integer status = row.getInteger(1);
        if (status == null) {
            return ProblemMappers.respond(ProblemType.CONFLICT.problem(
                    "A request with this Idempotency-Key is still in progress; retry later"));
        }
        Response.ResponseBuilder replay = Response.status(status).header("Idempotency-Replayed", "true");
        if (row.getString(3) != null) {
            replay.entity(row.getString(3)).type(row.getString(2));
        }
        return replay.build();
    }

    private static byte[] fingerprint(ContainerRequestContext request) {
        try {
            String what = request.getMethod() + " " + request.getUriInfo().getRequestUri().getRawPath() + "?"
                    + request.getUriInfo().getRequestUri().getRawQuery();
            return MessageDigest.getInstance("SHA-256").digest(what.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
