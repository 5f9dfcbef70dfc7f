package dev.segments.common.tenancy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.Problem;
import dev.segments.common.error.ProblemType;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/**
 * Authenticates every HTTP request (REST and GraphQL alike) before it reaches an endpoint:
 * {@code Authorization: Bearer <key>} with a tenant API key, or the admin key for {@code /admin/*}.
 * Health, OpenAPI and dev endpoints under {@code /q/} and the GraphQL schema file are open. It also enforces the JSON body limit
 * up front, so an oversized request gets a 413 problem before any of it is read.
 */
@ApplicationScoped
public class ApiKeyAuthentication {

    static final String TENANT_KEY = "segments.tenant-id";
    private static final Logger LOG = Logger.getLogger(ApiKeyAuthentication.class);

    private final Pool pool;
    private final AdminKey adminKey;
    private final ServiceConfig config;
    private final ObjectMapper mapper;

    ApiKeyAuthentication(Pool pool, AdminKey adminKey, ServiceConfig config, ObjectMapper mapper) {
        this.pool = pool;
        this.adminKey = adminKey;
        this.config = config;
        this.mapper = mapper;
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 100).handler(this::handle);
    }

    private void handle(RoutingContext rc) {
        String path = rc.normalizedPath();
        if (path.startsWith("/q/") || path.equals("/q") || path.equals("/graphql/schema.graphql")) {
            rc.next();
            return;
        }
        if (tooLarge(rc, path)) {
            fail(rc, ProblemType.PAYLOAD_TOO_LARGE, "The body is larger than " + config.limits().maxJsonBytes() + " bytes");
            return;
        }
        String key = bearer(rc);
        if (key == null) {
            fail(rc, ProblemType.UNAUTHORIZED, "Send an API key as 'Authorization: Bearer <key>'");
            return;
        }
        if (path.startsWith("/admin/") || path.equals("/admin")) {
            if (adminKey.matches(key)) {
                rc.next();
            } else {
                fail(rc, ProblemType.FORBIDDEN, "The admin API needs the admin key");
            }
            return;
        }
        rc.request().pause();
        pool.preparedQuery("select tenant_id from api_key where key_hash = $1 and revoked_at is null")
                .execute(Tuple.of(ApiKeys.hash(key)))
                .subscribe().with(rows -> {
                    rc.request().resume();
                    if (rows.size() == 0) {
                        fail(rc, ProblemType.UNAUTHORIZED, "The API key is not valid");
                        return;
                    }
                    Row row = rows.iterator().next();
                    rc.put(TENANT_KEY, row.getLong(0));
                    rc.next();
                }, failure -> {
                    rc.request().resume();
                    LOG.error("API key lookup failed", failure);
                    fail(rc, ProblemType.UNAVAILABLE, "Could not check the API key; try again");
                });
    }

    private boolean tooLarge(RoutingContext rc, String path) {
        if (path.endsWith("/import")) {
            return false;
        }
        String length = rc.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            return false;
        }
        try {
            return Long.parseLong(length.trim()) > config.limits().maxJsonBytes();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static String bearer(RoutingContext rc) {
        String header = rc.request().getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String key = header.substring(7).trim();
        return key.isEmpty() ? null : key;
    }

    private void fail(RoutingContext rc, ProblemType type, String detail) {
        try {
            var response = rc.response().setStatusCode(type.status())
                    .putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE);
            if (type == ProblemType.UNAUTHORIZED) {
                response.putHeader("WWW-Authenticate", "Bearer");
            }
            if (type == ProblemType.UNAVAILABLE) {
                response.putHeader("Retry-After", dev.segments.common.error.ConnectionLoss.RETRY_AFTER_SECONDS);
            }
            if (type == ProblemType.PAYLOAD_TOO_LARGE) {
                response.putHeader(HttpHeaders.CONNECTION, "close");
            }
            response.end(mapper.writeValueAsString(type.problem(detail)));
        } catch (Exception e) {
            rc.fail(e);
        }
    }
}
