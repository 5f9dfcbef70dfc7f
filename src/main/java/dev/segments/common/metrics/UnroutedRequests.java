package dev.segments.common.metrics;

import io.vertx.core.http.impl.HttpServerRequestInternal;
import io.vertx.ext.web.RoutingContext;

/**
 * Keeps raw paths out of the HTTP server meters. Quarkus tags {@code http_server_requests_seconds} with the matched
 * REST template ({@code /customers/{id}}); a request refused before any REST resource matched (401 without a
 * valid key, 429, 413, 414, ... answered by the router filters) has no template, and Quarkus would then tag its
 * raw path, which may hold an external id or anything a client sends, one series each. Such a response is tagged
 * {@value #TAG} instead. The fixed Vert.x routes ({@code /graphql}, {@code /q/*}) keep their own paths, and 404s
 * and redirects keep Quarkus's {@code NOT_FOUND} and {@code REDIRECTION}.
 */
public final class UnroutedRequests {

    /** The uri tag of a refused request that matched no REST template. */
    public static final String TAG = "UNROUTED";

    /** The context key Quarkus's REST layer sets the matched template under, and its meters read. */
    private static final String TEMPLATE_KEY = "UrlPathTemplate";

    private UnroutedRequests() {
    }

    /** Called first for every request (common/http/RequestGuard). */
    public static void watch(RoutingContext rc) {
        rc.addHeadersEndHandler(v -> {
            int status = rc.response().getStatusCode();
            if (status < 400 || status == 404 || !(rc.request() instanceof HttpServerRequestInternal request)) {
                return;
            }
            var context = request.context();
            // the raw path: normalizedPath() decodes, and throws on a malformed escape (%ZZ) that is being answered 400
            if (context.getLocal(TEMPLATE_KEY) == null && !fixedRoute(rc.request().path())) {
                context.putLocal(TEMPLATE_KEY, TAG);
            }
        });
    }

    private static boolean fixedRoute(String path) {
        if (path == null) {
            return false;
        }
        return path.equals("/graphql") || path.equals("/graphql/schema.graphql") || path.startsWith("/q/");
    }
}
