package dev.segments.common.tenancy;

import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.RequestScoped;

/**
 * The tenant of the request being served, from the principal {@link ApiKeyAuthentication} authenticated.
 * {@link #id()} is the check every tenant-scoped endpoint passes through (GraphQL resolvers included): without a
 * tenant principal it throws, so the admin key never reads a tenant's data.
 */
@RequestScoped
public class CurrentTenant {

    private final RoutingContext routingContext;

    CurrentTenant(RoutingContext routingContext) {
        this.routingContext = routingContext;
    }

    /** The tenant, or null on requests without a tenant principal (admin API, unauthenticated). */
    public Long optionalId() {
        return ApiKeyAuthentication.principal(routingContext) instanceof Principal.TenantKey t ? t.tenantId() : null;
    }

    /** The id of the API key the request authenticated with, or null without a tenant principal. */
    public Long optionalKeyId() {
        return ApiKeyAuthentication.principal(routingContext) instanceof Principal.TenantKey t ? t.keyId() : null;
    }

    /** The HTTP connection the request came on (for a WebSocket: the socket), as an identity for per-connection limits. */
    public io.vertx.core.http.HttpConnection connection() {
        return routingContext.request().connection();
    }

    public long id() {
        return switch (ApiKeyAuthentication.principal(routingContext)) {
            case Principal.TenantKey t -> t.tenantId();
            case Principal.Admin a -> throw new ProblemException(ProblemType.FORBIDDEN,
                    "The admin key does not act for a tenant; use a tenant API key");
            case null -> throw new ProblemException(ProblemType.UNAUTHORIZED, "This endpoint needs a tenant API key");
        };
    }
}
