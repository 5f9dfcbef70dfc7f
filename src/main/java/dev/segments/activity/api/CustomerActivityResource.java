package dev.segments.activity.api;

import dev.segments.activity.ActivityDtos;
import dev.segments.activity.ActivityDtos.EventPage;
import dev.segments.activity.ActivityDtos.EventView;
import dev.segments.activity.ActivityDtos.InteractionPage;
import dev.segments.activity.ActivityDtos.InteractionView;
import dev.segments.activity.ActivityDtos.PurchasePage;
import dev.segments.activity.ActivityDtos.PurchaseView;
import dev.segments.activity.persistence.StreamKind;
import dev.segments.activity.service.ActivityService;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.pagination.PageRequest;
import dev.segments.common.tenancy.CurrentTenant;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponseSchema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** A customer's activity timelines, newest first, keyset-paginated. */
@Path("/customers/{customerId}")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Customers")
public class CustomerActivityResource {

    private final ActivityService service;
    private final CurrentTenant tenant;
    private final ServiceConfig config;

    CustomerActivityResource(ActivityService service, CurrentTenant tenant, ServiceConfig config) {
        this.service = service;
        this.tenant = tenant;
        this.config = config;
    }

    @GET
    @Path("/purchases")
    @Operation(summary = "A customer's purchases, newest first")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponseSchema(value = PurchasePage.class, responseCode = "200", responseDescription = "A page of purchases")
    public Uni<PurchasePage> purchases(@PathParam("customerId") long customerId,
                                       @Parameter(description = "Page size (default 50)") @QueryParam("limit") Integer limit,
                                       @Parameter(description = "The nextCursor of the previous page") @QueryParam("after") String after) {
        return service.list(tenant.id(), StreamKind.PURCHASE, customerId, page(limit, after), PurchaseView.class)
                .map(p -> new PurchasePage(p.items(), p.nextCursor()));
    }

    @GET
    @Path("/interactions")
    @Operation(summary = "A customer's interactions, newest first")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponseSchema(value = InteractionPage.class, responseCode = "200", responseDescription = "A page of interactions")
    public Uni<InteractionPage> interactions(@PathParam("customerId") long customerId,
                                             @Parameter(description = "Page size (default 50)") @QueryParam("limit") Integer limit,
                                             @Parameter(description = "The nextCursor of the previous page") @QueryParam("after") String after) {
        return service.list(tenant.id(), StreamKind.INTERACTION, customerId, page(limit, after), InteractionView.class)
                .map(p -> new InteractionPage(p.items(), p.nextCursor()));
    }

    @GET
    @Path("/events")
    @Operation(summary = "A customer's events, newest first")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponseSchema(value = EventPage.class, responseCode = "200", responseDescription = "A page of events")
    public Uni<EventPage> events(@PathParam("customerId") long customerId,
                                 @Parameter(description = "Page size (default 50)") @QueryParam("limit") Integer limit,
                                 @Parameter(description = "The nextCursor of the previous page") @QueryParam("after") String after) {
        return service.list(tenant.id(), StreamKind.EVENT, customerId, page(limit, after), EventView.class)
                .map(p -> new EventPage(p.items(), p.nextCursor()));
    }

    private PageRequest page(Integer limit, String after) {
        return PageRequest.of(limit, after, config.limits());
    }
}
