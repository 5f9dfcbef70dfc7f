package dev.segments.common.tenancy;

import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.RequestScoped;

/** The tenant of the request being served, as authenticated by {@link ApiKeyAuthentication}. */
@RequestScoped
public class CurrentTenant {

    private final RoutingContext routingContext;

    CurrentTenant(RoutingContext routingContext) {
        this.routingContext = routingContext;
    }

    /** The tenant, or null on requests without one (admin API). */
    public Long optionalId() {
        return routingContext.get(ApiKeyAuthentication.TENANT_KEY);
    }

    public long id() {
        Long id = routingContext.get(ApiKeyAuthentication.TENANT_KEY);
        if (id == null) {
            throw new ProblemException(ProblemType.UNAUTHORIZED, "This endpoint needs a tenant API key");
        }
        return id;
    }
}
