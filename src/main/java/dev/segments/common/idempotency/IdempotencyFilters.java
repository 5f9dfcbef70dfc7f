package dev.segments.common.idempotency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemMappers;
import dev.segments.common.error.ProblemType;
import dev.segments.common.tenancy.CurrentTenant;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonObject;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;
import org.jboss.resteasy.reactive.server.core.BlockingOperationSupport;
import org.jboss.resteasy.reactive.server.core.ResteasyReactiveRequestContext;
import org.jboss.resteasy.reactive.server.handlers.RequestDeserializeHandler;
import org.jboss.resteasy.reactive.server.spi.ServerRequestContext;
import org.jboss.resteasy.reactive.server.spi.ServerRestHandler;

import java.io.IOException;
import java.security.MessageDigest;
import java.util.List;
import java.util.UUID;

/**
 * {@code Idempotency-Key} on every REST POST of a tenant (draft-ietf-httpapi-idempotency-key-header; Stripe's
 * behaviour). Records live in {@code idempotency_record}, per tenant and key ({@link IdempotencyStore}).
 * <ul>
 * <li>The first request with a key claims it with a lease ({@code segments.idempotency.lease}, default 6m) and runs.
 *     Its response (status, body, content type, {@code Location} and {@code ETag}) is stored with the request's
 *     {@link Fingerprint}: SHA-256 of method, path, query, content type and body. The body is hashed as the endpoint
 *     reads it ({@link IdempotencyBodyReader}), so a streamed import of any size is fingerprinted in constant
 *     memory; a streamed body extends the lease while it is being read. A 5xx is not stored (the key is freed).</li>
 * <li>A retry with the same key and the same fingerprint gets the stored response again, marked
 *     {@code Idempotency-Replayed: true}; nothing runs. Its body is read to the end (and discarded) to compare.</li>
 * <li>The same key with another fingerprint (other body, path, query or content type) is a 422 problem, code
 *     {@code key_reused}, pointer {@code Idempotency-Key}; nothing runs, nothing of the second body is stored.</li>
 * <li>A retry while the first request's lease is live gets 409 with {@code Retry-After} (seconds to the lease's
 *     end). Once the lease has lapsed (the first request died in flight), a retry takes the key over and runs the
 *     request again: the first attempt either stored nothing (one transaction per write) or, if it did, activity
 *     {@code externalId}s dedupe it; the attempt that lost the key can no longer write the record.</li>
 * <li>Records are kept for {@code segments.idempotency.retention} (default 24h): an older record is never
 *     replayed (its key is free again) and is deleted by one DELETE every {@code cleanup-interval}.</li>
 * </ul>
 * GraphQL mutations do not use the header; their writes rely on {@code externalId} dedupe.
 */
public class IdempotencyFilters {

    public static final String HEADER = "Idempotency-Key";
    public static final String REPLAYED = "Idempotency-Replayed";
    static final String STATE_PROPERTY = "segments.idempotency";
    private static final List<String> REPLAYED_HEADERS = List.of(HttpHeaders.LOCATION, HttpHeaders.ETAG);
    private static final Logger LOG = Logger.getLogger(IdempotencyFilters.class);

    private final IdempotencyStore store;
    private final CurrentTenant tenant;
    private final ObjectMapper mapper;

    IdempotencyFilters(IdempotencyStore store, CurrentTenant tenant, ObjectMapper mapper) {
        this.store = store;
        this.tenant = tenant;
        this.mapper = mapper;
    }

    /** What one request under a key is: the holder of the key, or a retry to compare once its body is read. */
    static final class State {
        final long tenantId;
        final String key;
        final Fingerprint fingerprint;
        UUID owner;
        IdempotencyStore.Held completed;

        State(long tenantId, String key, Fingerprint fingerprint) {
            this.tenantId = tenantId;
            this.key = key;
            this.fingerprint = fingerprint;
        }
    }

    /** Thrown where a retry's body has been read: the stored response, answered as it is. */
    static final class Replay extends RuntimeException {
        final transient Response response;

        Replay(Response response) {
            super(null, null, false, false);
            this.response = response;
        }
    }

    @ServerRequestFilter
    public Uni<Response> before(ContainerRequestContext request, ServerRequestContext server) {
        String key = request.getHeaderString(HEADER);
        Long tenantId = tenant.optionalId();
        if (key == null || !"POST".equals(request.getMethod()) || tenantId == null) {
            return Uni.createFrom().nullItem();
        }
        if (key.isBlank() || key.length() > 255 || !key.chars().allMatch(c -> c >= 0x20 && c <= 0x7e)) {
            return Uni.createFrom().item(ProblemMappers.respond(ProblemException.validation(HEADER, "invalid_value",
                    "Idempotency-Key must be 1 to 255 printable ASCII characters").problem()));
        }
        var uri = request.getUriInfo().getRequestUri();
        State state = new State(tenantId, key, new Fingerprint(request.getMethod(), uri.getRawPath(), uri.getRawQuery(),
                request.getHeaderString(HttpHeaders.CONTENT_TYPE)));
        return claimOrRead(state, 3).map(held -> {
            if (held == null) {
                request.setProperty(STATE_PROPERTY, state);
                return null;
            }
            if (!held.completed()) {
                return inProgress(held.retryAfterSeconds());
            }
            if (readsBody(server)) {
                // the fingerprint needs the body: IdempotencyBodyReader compares once it has read it
                state.completed = held;
                request.setProperty(STATE_PROPERTY, state);
                return null;
            }
            return outcome(held, state.fingerprint.value());
        });
    }

    /** Null when this request now holds the key; otherwise the record that holds it. */
    private Uni<IdempotencyStore.Held> claimOrRead(State state, int attempts) {
        return store.claim(state.tenantId, state.key).chain(owner -> {
            if (owner != null) {
                state.owner = owner;
                return Uni.createFrom().nullItem();
            }
            return store.read(state.tenantId, state.key).chain(held -> {
                if (held != null) {
                    return Uni.createFrom().item(held);
                }
                if (attempts > 1) {
                    return claimOrRead(state, attempts - 1); // deleted between the claim and the read
                }
                return Uni.createFrom().item(new IdempotencyStore.Held(null, null, null, null, null, 1));
            });
        });
    }

    @ServerResponseFilter
    public Uni<Void> after(ContainerRequestContext request, ContainerResponseContext response) {
        if (!(request.getProperty(STATE_PROPERTY) instanceof State state) || state.owner == null) {
            return Uni.createFrom().voidItem();
        }
        if (response.getStatus() >= 500) {
            return store.release(state.tenantId, state.key, state.owner);
        }
        if (!state.fingerprint.bodyComplete() && BlockingOperationSupport.isBlockingAllowed()) {
            try {
                state.fingerprint.drain(); // a streamed body the endpoint left unread
            } catch (IOException e) {
                LOG.debug("could not read the rest of the body", e);
            }
        }
        String body;
        try {
            Object entity = response.getEntity();
            body = entity == null ? null : entity instanceof String s ? s : mapper.writeValueAsString(entity);
        } catch (JsonProcessingException e) {
            body = null;
        }
        JsonObject headers = new JsonObject();
        for (String name : REPLAYED_HEADERS) {
            String value = response.getHeaderString(name);
            if (value != null) {
                headers.put(name, value);
            }
        }
        String type = response.getMediaType() == null ? null : response.getMediaType().toString();
        return store.complete(state.tenantId, state.key, state.owner, response.getStatus(), type, body,
                headers.isEmpty() ? null : headers, state.fingerprint.value());
    }

    @ServerExceptionMapper
    public Response replay(Replay replay) {
        return replay.response;
    }

    /** The answer to a retry of a completed request: its stored response, or 422 when the request differs. */
    static Response outcome(IdempotencyStore.Held held, byte[] fingerprint) {
        if (held.requestHash() == null || !MessageDigest.isEqual(held.requestHash(), fingerprint)) {
            return ProblemMappers.respond(ProblemException.validation(HEADER, "key_reused",
                    "This Idempotency-Key was used for a different request (method, path, query, content type or"
                            + " body); send a new key for a new request").problem());
        }
        Response.ResponseBuilder replay = Response.status(held.status()).header(REPLAYED, "true");
        if (held.body() != null) {
            replay.entity(held.body()).type(held.contentType());
        }
        if (held.headers() != null) {
            held.headers().forEach(h -> replay.header(h.getKey(), h.getValue()));
        }
        return replay.build();
    }

    private static Response inProgress(int retryAfterSeconds) {
        return Response.fromResponse(ProblemMappers.respond(ProblemType.CONFLICT.problem(
                        "A request with this Idempotency-Key is still in progress; retry after "
                                + retryAfterSeconds + " s")))
                .header(HttpHeaders.RETRY_AFTER, retryAfterSeconds).build();
    }

    /** Whether the matched endpoint reads a body (then the fingerprint is complete only once it has been read). */
    private static boolean readsBody(ServerRequestContext server) {
        if (server instanceof ResteasyReactiveRequestContext context && context.getTarget() != null) {
            for (ServerRestHandler handler : context.getTarget().getHandlerChain()) {
                if (handler instanceof RequestDeserializeHandler) {
                    return true;
                }
            }
        }
        // no body read (or unknown): decide on the request line alone, which never runs a request twice
        return false;
    }
}
