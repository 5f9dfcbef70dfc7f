package dev.segments.webhook.api;

import dev.segments.webhook.WebhookDtos;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.pagination.PageRequest;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.webhook.WebhookDtos.DeliveryPage;
import dev.segments.webhook.WebhookDtos.DeliveryView;
import dev.segments.webhook.WebhookDtos.WebhookCreated;
import dev.segments.webhook.WebhookDtos.WebhookInput;
import dev.segments.webhook.WebhookDtos.WebhookPage;
import dev.segments.webhook.WebhookDtos.WebhookUpdate;
import dev.segments.webhook.WebhookDtos.WebhookView;
import dev.segments.webhook.service.WebhookService;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponseSchema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.net.URI;

/**
 * Webhook subscriptions to segment membership changes, and each one's delivery log. How deliveries are sent,
 * signed and retried: docs/webhooks.md.
 */
@Path("/webhooks")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Webhooks")
public class WebhookResource {

    private final WebhookService service;
    private final CurrentTenant tenant;
    private final ServiceConfig config;

    WebhookResource(WebhookService service, CurrentTenant tenant, ServiceConfig config) {
        this.service = service;
        this.tenant = tenant;
        this.config = config;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Subscribe a URL to membership changes",
            description = "Entered/exited changes of the listed segments (all when none are listed) are POSTed to the "
                    + "URL in batches, signed with the secret. The response is the only time the secret is shown. "
                    + "The subscription starts at the current end of the change feed, or with from=beginning at "
                    + "its start.")
    @APIResponse(responseCode = "201", description = "Created",
            headers = {@Header(name = "Location", ref = "Location")},
            content = @Content(schema = @Schema(implementation = WebhookCreated.class)))
    public Uni<Response> create(WebhookInput input) {
        if (input == null) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The body must be a webhook JSON object");
        }
        return service.create(tenant.id(), input).map(c -> Response.created(URI.create("/webhooks/" + c.webhook().id()))
                .entity(WebhookCreated.of(c.webhook(), c.secret())).build());
    }

    @GET
    @Operation(summary = "List webhook subscriptions in id order, keyset-paginated")
    public Uni<WebhookPage> list(
            @Parameter(description = "Page size (default 50, at most 1000)") @QueryParam("limit") Integer limit,
            @Parameter(description = "The nextCursor of the previous page") @QueryParam("after") String after) {
        return service.list(tenant.id(), PageRequest.of(limit, after, config.limits()))
                .map(p -> new WebhookPage(p.items(), p.nextCursor()));
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Get a webhook subscription")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponseSchema(value = WebhookView.class, responseCode = "200", responseDescription = "The subscription")
    public Uni<WebhookView> get(@PathParam("id") long id) {
        return service.get(tenant.id(), id);
    }

    @PATCH
    @Path("/{id}")
    @Consumes({MediaType.APPLICATION_JSON, "application/merge-patch+json"})
    @Operation(summary = "Change a subscription's URL, segments, active flag or secret",
            description = "Only the given fields change. active=false pauses sending; the position in the change "
                    + "feed is kept, so resuming delivers what happened meanwhile. New segments apply to changes "
                    + "not yet turned into deliveries.")
    @APIResponseSchema(value = WebhookView.class, responseCode = "200", responseDescription = "Changed")
    @APIResponse(responseCode = "404", ref = "NotFound")
    public Uni<WebhookView> update(@PathParam("id") long id, WebhookUpdate update) {
        return service.update(tenant.id(), id, update);
    }

    @DELETE
    @Path("/{id}")
    @Operation(summary = "Delete a subscription and its delivery log")
    @APIResponse(responseCode = "204", description = "Deleted")
    @APIResponse(responseCode = "404", ref = "NotFound")
    public Uni<Response> delete(@PathParam("id") long id) {
        return service.delete(tenant.id(), id).map(v -> Response.noContent().build());
    }

    @GET
    @Path("/{id}/deliveries")
    @Operation(summary = "A subscription's delivery log, newest first, keyset-paginated")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponseSchema(value = DeliveryPage.class, responseCode = "200", responseDescription = "A page of deliveries")
    public Uni<DeliveryPage> deliveries(
            @PathParam("id") long id,
            @Parameter(description = "Page size (default 50, at most 1000)") @QueryParam("limit") Integer limit,
            @Parameter(description = "The nextCursor of the previous page") @QueryParam("after") String after) {
        return service.deliveries(tenant.id(), id, PageRequest.of(limit, after, config.limits()))
                .map(p -> new DeliveryPage(p.items(), p.nextCursor()));
    }

    @GET
    @Path("/{id}/deliveries/{deliveryId}")
    @Operation(summary = "One delivery, with the payload that is (or was) sent")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponseSchema(value = DeliveryView.class, responseCode = "200", responseDescription = "The delivery")
    public Uni<DeliveryView> delivery(@PathParam("id") long id, @PathParam("deliveryId") String deliveryId) {
        return service.delivery(tenant.id(), id, deliveryId);
    }

    @POST
    @Path("/{id}/deliveries/{deliveryId}/retry")
    @Operation(summary = "Send a failed delivery again",
            description = "The delivery gets a fresh set of attempts and keeps its id (the webhook-id header), so a "
                    + "receiver that did get it can recognize it. It goes out before the subscription's later "
                    + "pending deliveries. Only a failed delivery can be retried (409 otherwise).")
    @APIResponseSchema(value = DeliveryView.class, responseCode = "200", responseDescription = "Queued again")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "409", ref = "Conflict")
    public Uni<DeliveryView> retry(@PathParam("id") long id, @PathParam("deliveryId") String deliveryId) {
        return service.retry(tenant.id(), id, deliveryId);
    }
}
