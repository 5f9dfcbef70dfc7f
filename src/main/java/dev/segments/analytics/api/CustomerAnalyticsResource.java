package dev.segments.analytics.api;

import dev.segments.analytics.CustomerAnalytics;
import dev.segments.analytics.service.AnalyticsService;
import dev.segments.common.tenancy.CurrentTenant;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** One customer's analytics values (the rule fields rfm.* and activityStatus). */
@Path("/customers/{customerId}/analytics")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Customers")
public class CustomerAnalyticsResource {

    private final AnalyticsService service;
    private final CurrentTenant tenant;

    CustomerAnalyticsResource(AnalyticsService service, CurrentTenant tenant) {
        this.service = service;
        this.tenant = tenant;
    }

    @GET
    @Operation(summary = "The customer's analytics values (RFM, activity status, ABC/XYZ, lead score, value quadrant), as rules read them")
    @APIResponse(responseCode = "200", description = "The customer's analytics values",
            content = @Content(schema = @Schema(implementation = CustomerAnalytics.class)))
    @APIResponse(responseCode = "404", ref = "NotFound")
    public Uni<CustomerAnalytics> analytics(@PathParam("customerId") long customerId) {
        return service.customer(tenant.id(), customerId);
    }
}
