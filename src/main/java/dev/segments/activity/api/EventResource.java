package dev.segments.activity.api;

import dev.segments.activity.ActivityDtos;
import dev.segments.activity.ActivityDtos.BatchResult;
import dev.segments.activity.ActivityDtos.EventBatch;
import dev.segments.activity.ActivityDtos.EventInput;
import dev.segments.activity.ActivityDtos.EventView;
import dev.segments.activity.persistence.StreamKind;
import dev.segments.activity.service.ActivityService;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.tenancy.CurrentTenant;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponseSchema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.net.URI;

/** Events: ingest (single and batch, idempotent by externalId), read, delete; rollups follow every write. */
@Path("/")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Events")
public class EventResource {

    private final ActivityService service;
    private final CurrentTenant tenant;

    EventResource(ActivityService service, CurrentTenant tenant) {
        this.service = service;
        this.tenant = tenant;
    }

    @POST
    @Path("/events")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Record a event",
            description = "With an externalId already recorded, nothing is written and the recorded item is returned (200).")
    @APIResponse(responseCode = "201", description = "Recorded",
            headers = {@Header(name = "Location", ref = "Location")},
            content = @Content(schema = @Schema(implementation = EventView.class)))
    @APIResponse(responseCode = "200", description = "Already recorded (same externalId)",
            content = @Content(schema = @Schema(implementation = EventView.class)))
    public Uni<Response> create(EventInput input) {
        if (input == null) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The body must be a JSON object");
        }
        return service.writeOne(tenant.id(), StreamKind.EVENT, input, EventView.class).map(r -> (r.created()
                ? Response.created(URI.create("/events/" + r.item().id())) : Response.ok()).entity(r.item()).build());
    }

    @POST
    @Path("/events/batch")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Record a batch of events (all or nothing; items with known externalIds are skipped)")
    @APIResponseSchema(value = BatchResult.class, responseCode = "200", responseDescription = "Written")
    public Uni<BatchResult> batch(EventBatch batch) {
        if (batch == null || batch.items() == null || batch.items().isEmpty()) {
            throw ProblemException.validation("/items", "required", "items must hold at least one item");
        }
        return service.writeBatch(tenant.id(), StreamKind.EVENT, batch.items());
    }

    @GET
    @Path("/events/{id}")
    @Operation(summary = "Get a event")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponseSchema(value = EventView.class, responseCode = "200", responseDescription = "The event")
    public Uni<EventView> get(@PathParam("id") long id) {
        return service.get(tenant.id(), StreamKind.EVENT, id, EventView.class);
    }

    @DELETE
    @Path("/events/{id}")
    @Operation(summary = "Delete a event (the customer's rollups are corrected)")
    @APIResponse(responseCode = "204", description = "Deleted")
    @APIResponse(responseCode = "404", ref = "NotFound")
    public Uni<Response> delete(@PathParam("id") long id) {
        return service.delete(tenant.id(), StreamKind.EVENT, id).map(v -> Response.noContent().build());
    }

}
