package dev.segments.common.tenancy;

import dev.segments.common.error.ProblemMappers;
import dev.segments.common.error.ProblemType;
import io.vertx.ext.web.RoutingContext;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;
import org.jboss.resteasy.reactive.server.SimpleResourceInfo;

/**
 * Authorization bound to the matched REST resource method (it runs after matching, before anything else of the
 * endpoint): {@link AdminOnly} methods need the admin principal, every other method a tenant principal. It fails
 * closed: a request that reached a resource method without a principal is refused.
 */
public class EndpointAuthorization {

    @ServerRequestFilter(priority = Priorities.AUTHORIZATION)
    public Response authorize(SimpleResourceInfo resource, RoutingContext rc) {
        boolean adminOnly = resource.getResourceClass().isAnnotationPresent(AdminOnly.class);
        Principal principal = ApiKeyAuthentication.principal(rc);
        if (principal == null) {
            return ProblemMappers.respond(ProblemType.UNAUTHORIZED.problem("Send an API key as 'Authorization: Bearer <key>'"));
        }
        boolean allowed = adminOnly ? principal instanceof Principal.Admin : principal instanceof Principal.TenantKey;
        if (allowed) {
            return null;
        }
        return ProblemMappers.respond(ProblemType.FORBIDDEN.problem(adminOnly
                ? "This endpoint needs the admin key"
                : "The admin key does not act for a tenant; use a tenant API key"));
    }
}
