package dev.segments.common.tenancy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.db.ReservedPool;
import dev.segments.common.error.ConnectionLoss;
import dev.segments.common.error.Problem;
import dev.segments.common.error.ProblemType;
import dev.segments.common.ratelimit.RateLimits;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Authentication of every HTTP request (REST and GraphQL alike), before any endpoint runs: it decides who the
 * caller is from the {@code Authorization} header alone ({@code Bearer <key>}, or {@code Basic base64(<key>:)} as
 * CDP pipelines send their write key, see {@link #bearer}), the admin key or a tenant API key, and puts that
 * {@link Principal} on the request. It never decides what the caller may do from the path: that is decided on
 * the matched endpoint ({@link EndpointAuthorization} for REST, {@link CurrentTenant#id()} for GraphQL).
 * <p>
 * It also refuses, before anything else: a path with a matrix parameter ({@code ;}), which the REST layer would
 * strip and no client of this API needs; a request without a key except to the open operational routes (health,
 * OpenAPI, the GraphQL schema file); a body over the JSON limit when its length is declared; an address that
 * failed authentication too often; and a key or tenant over its request rate ({@link RateLimits}). Keys are looked
 * up through {@link ApiKeyLookup} on the {@link ReservedPool}, so authentication does not wait behind tenant queries
 * that fill the main pool.
 */
@ApplicationScoped
public class ApiKeyAuthentication {

    private static final String PRINCIPAL = "segments.principal";
    /** The endpoints that stream bodies of any size (POST only). */
    private static final java.util.Set<String> STREAMING_IMPORTS = java.util.Set.of("/customers/import",
            "/purchases/import", "/interactions/import", "/events/import", "/imports");
    private static final Logger LOG = Logger.getLogger(ApiKeyAuthentication.class);

    private final ApiKeyLookup keys;
    private final AdminKey adminKey;
    private final ServiceConfig config;
    private final RateLimits limits;
    private final ObjectMapper mapper;

    ApiKeyAuthentication(ApiKeyLookup keys, AdminKey adminKey, ServiceConfig config, RateLimits limits, ObjectMapper mapper) {
        this.keys = keys;
        this.adminKey = adminKey;
        this.config = config;
        this.limits = limits;
        this.mapper = mapper;
    }

    /** The principal the request authenticated as, or null (an open route, or not yet authenticated). */
    public static Principal principal(RoutingContext rc) {
        return rc == null ? null : rc.get(PRINCIPAL);
    }

    /**
     * Of these API key ids, those still valid (not revoked, not deleted): for connections that outlive one request
     * (GraphQL subscriptions), which re-check their key with it.
     */
    public Uni<java.util.Set<Long>> validKeys(Long[] keyIds) {
        return keys.stillValid(keyIds);
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 100).handler(this::handle);
    }

    private void handle(RoutingContext rc) {
        String rawPath = rc.request().path();
        if (rawPath == null || rawPath.indexOf(';') >= 0) {
            fail(rc, ProblemType.MALFORMED_REQUEST, "Matrix parameters (';' in the path) are not accepted", null);
            return;
        }
        String path = rc.normalizedPath();
        if (open(path) || preflight(rc)) {
            rc.next();
            return;
        }
        ProblemType body = bodyProblem(rc, path);
        if (body != null) {
            fail(rc, body, switch (body) {
                case LENGTH_REQUIRED -> "Send the body with a Content-Length (only the imports take streamed bodies)";
                case PAYLOAD_TOO_LARGE -> "The body is larger than " + config.limits().maxJsonBytes() + " bytes";
                default -> "Content-Length is not a number";
            }, null);
            return;
        }
        String key = bearer(rc);
        if (key == null && anonymousSubscriptionUpgrade(rc, path)) {
            rc.next();
            return;
        }
        if (key == null) {
            fail(rc, ProblemType.UNAUTHORIZED, malformedBasic(rc)
                    ? "The Basic credentials are not base64 of '<key>:' (the API key as the user name, an empty password)"
                    : "Send an API key as 'Authorization: Bearer <key>' (or as the Basic user name with an empty password)",
                    null);
            return;
        }
        rc.request().pause();
        authenticate(key, clientAddress(rc)).subscribe().with(outcome -> {
            rc.request().resume();
            if (outcome.principal() == null) {
                fail(rc, outcome.refusal(), outcome.detail(), outcome.decision());
                return;
            }
            if (outcome.decision() != null) {
                rateLimitHeaders(rc.response(), outcome.decision());
            }
            rc.put(PRINCIPAL, outcome.principal());
            rc.next();
        });
    }

    /**
     * What authenticating one key from one client address came to: a principal (with the rate decision whose
     * headers the response carries), or the problem to answer.
     */
    public record Outcome(Principal principal, ProblemType refusal, String detail, RateLimits.Decision decision) {

        static Outcome of(Principal principal, RateLimits.Decision decision) {
            return new Outcome(principal, null, null, decision);
        }

        static Outcome refused(ProblemType refusal, String detail, RateLimits.Decision decision) {
            return new Outcome(null, refusal, detail, decision);
        }
    }

    /**
     * Authenticates a key sent by a client at this address: the admin key, or a tenant API key looked up on the
     * reserved pool, with the failed-authentication throttle per address and the request rate per key and tenant.
     * Every request goes through it, and so does the key a browser sends in a WebSocket's {@code connection_init}
     * ({@link ConnectionInitAuthentication}). It never fails: a lookup error is an {@code UNAVAILABLE} outcome.
     */
    public Uni<Outcome> authenticate(String key, String address) {
        RateLimits.Decision throttle = limits.enabled() ? limits.authenticationAllowed(address) : null;
        if (throttle != null && !throttle.allowed()) {
            return Uni.createFrom().item(Outcome.refused(ProblemType.TOO_MANY_REQUESTS,
                    "Too many failed authentications from this address; retry after the time in Retry-After", throttle));
        }
        if (adminKey.matches(key)) {
            return Uni.createFrom().item(Outcome.of(new Principal.Admin(), null));
        }
        return keys.findActive(ApiKeys.hash(key))
                .map(found -> {
                    if (found.isEmpty()) {
                        if (limits.enabled()) {
                            limits.failedAuthentication(address);
                        }
                        return Outcome.refused(ProblemType.UNAUTHORIZED, "The API key is not valid", null);
                    }
                    long keyId = found.get().keyId();
                    long tenantId = found.get().tenantId();
                    RateLimits.Decision decision = null;
                    if (limits.enabled()) {
                        decision = limits.request(tenantId, keyId, found.get().limit());
                        if (!decision.allowed()) {
                            return Outcome.refused(ProblemType.TOO_MANY_REQUESTS, "Request rate of this "
                                    + decision.policy() + " exceeded; retry after the time in Retry-After", decision);
                        }
                    }
                    return Outcome.of(new Principal.TenantKey(tenantId, keyId), decision);
                })
                .onFailure().recoverWithItem(failure -> {
                    LOG.error("API key lookup failed", failure);
                    return Outcome.refused(ProblemType.UNAVAILABLE, "Could not check the API key; try again", null);
                });
    }

    /** Puts the principal on a request that authenticated after its start (a WebSocket's connection_init). */
    static void setPrincipal(RoutingContext rc, Principal principal) {
        rc.put(PRINCIPAL, principal);
    }

    /**
     * A browser cannot set headers on a WebSocket upgrade, so a GraphQL subscription socket may open without a key
     * and authenticate with the key in its {@code connection_init} payload ({@link ConnectionInitAuthentication}).
     * Until then it can do nothing (every operation needs a tenant principal), and a socket that has not
     * authenticated within {@code segments.subscriptions.auth-timeout} is closed. An address throttled for failed
     * authentication cannot open one.
     */
    private boolean anonymousSubscriptionUpgrade(RoutingContext rc, String path) {
        if (!path.equals("/graphql") || rc.request().method() != HttpMethod.GET
                || !"websocket".equalsIgnoreCase(rc.request().getHeader(HttpHeaders.UPGRADE))) {
            return false;
        }
        if (limits.enabled() && !limits.authenticationAllowed(clientAddress(rc)).allowed()) {
            return false;
        }
        var connection = rc.request().connection();
        rc.vertx().setTimer(config.subscriptions().authTimeout().toMillis(), id -> {
            if (principal(rc) == null) {
                connection.close();
            }
        });
        return true;
    }

    /**
     * Operational routes served without a key. They are Vert.x routes, not REST resources; should such a path
     * ever reach a REST resource, {@link EndpointAuthorization} refuses it for want of a principal.
     */
    private static boolean open(String path) {
        return path.startsWith("/q/") || path.equals("/q") || path.equals("/graphql/schema.graphql");
    }

    /** A CORS preflight carries no credentials by design; the CORS filter after this handler answers it. */
    private static boolean preflight(RoutingContext rc) {
        return rc.request().method() == HttpMethod.OPTIONS && rc.request().getHeader(HttpHeaders.ORIGIN) != null
                && rc.request().getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD) != null;
    }

    static String clientAddress(RoutingContext rc) {
        var remote = rc.request().remoteAddress();
        return remote == null || remote.host() == null ? "unknown" : remote.host();
    }

    /**
     * Whether the body is over the JSON limit, or of unknown length. Only the streaming imports take bodies of any
     * size (they read them in constant memory); every other request must declare its length, so nothing buffers
     * an unbounded chunked body. The imports are recognised by method and exact path: no other endpoint answers
     * POST on those paths.
     */
    private ProblemType bodyProblem(RoutingContext rc, String path) {
        if (rc.request().method() == HttpMethod.POST && STREAMING_IMPORTS.contains(path)) {
            return null;
        }
        String length = rc.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            String encoding = rc.request().getHeader(HttpHeaders.TRANSFER_ENCODING);
            return encoding != null ? ProblemType.LENGTH_REQUIRED : null;
        }
        try {
            return Long.parseLong(length.trim()) > config.limits().maxJsonBytes() ? ProblemType.PAYLOAD_TOO_LARGE : null;
        } catch (NumberFormatException e) {
            return ProblemType.MALFORMED_REQUEST;
        }
    }

    /**
     * The key the request carries in {@code Authorization}, or null: {@code Bearer <key>}, or
     * {@code Basic base64(<key>:)}, the API key as the user name with an empty password, which is how Segment,
     * RudderStack and the other CDP pipelines send a destination's write key. Basic credentials that are not
     * base64 of {@code user:} with a non-empty user and an empty password carry no key (the caller answers 401).
     */
    static String bearer(RoutingContext rc) {
        String header = rc.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null) {
            return null;
        }
        if (header.length() >= 8 && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String key = header.substring(7).trim();
            return key.isEmpty() ? null : key;
        }
        return basicUser(header);
    }

    /** The user name of {@code Basic base64(user:)} credentials with an empty password, else null. */
    static String basicUser(String header) {
        if (header.length() < 7 || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        String decoded;
        try {
            byte[] bytes = java.util.Base64.getDecoder().decode(header.substring(6).trim());
            decoded = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (IllegalArgumentException | java.nio.charset.CharacterCodingException e) {
            return null;
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0 || colon != decoded.length() - 1) {
            return null; // no user name, no colon, or a password: the key is the user name, the password empty
        }
        return decoded.substring(0, colon);
    }

    /** Whether the request sent Basic credentials that carry no key (for a precise 401 detail). */
    private static boolean malformedBasic(RoutingContext rc) {
        String header = rc.request().getHeader(HttpHeaders.AUTHORIZATION);
        return header != null && header.regionMatches(true, 0, "Basic ", 0, 6) && basicUser(header) == null;
    }

    private static void rateLimitHeaders(HttpServerResponse response, RateLimits.Decision decision) {
        response.putHeader("RateLimit-Policy", decision.policyHeader());
        response.putHeader("RateLimit", decision.limitHeader());
    }

    private void fail(RoutingContext rc, ProblemType type, String detail, RateLimits.Decision decision) {
        try {
            var response = rc.response().setStatusCode(type.status())
                    .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE);
            if (type == ProblemType.UNAUTHORIZED) {
                response.putHeader("WWW-Authenticate", "Bearer");
            }
            if (type == ProblemType.UNAVAILABLE) {
                response.putHeader(HttpHeaders.RETRY_AFTER, ConnectionLoss.RETRY_AFTER_SECONDS);
            }
            if (type == ProblemType.PAYLOAD_TOO_LARGE || type == ProblemType.LENGTH_REQUIRED) {
                response.putHeader(HttpHeaders.CONNECTION, "close");
            }
            if (decision != null) {
                rateLimitHeaders(response, decision);
                response.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(decision.resetSeconds()));
            }
            response.end(mapper.writeValueAsString(type.problem(detail)));
        } catch (Exception e) {
            rc.fail(e);
        }
    }
}
