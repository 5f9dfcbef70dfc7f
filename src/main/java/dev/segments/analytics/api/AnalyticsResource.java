package dev.segments.analytics.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.analytics.ActivityConfig;
import dev.segments.analytics.ActivityModel;
import dev.segments.analytics.AnalyticsModel;
import dev.segments.analytics.RecomputeResult;
import dev.segments.analytics.RfmConfig;
import dev.segments.analytics.RfmModel;
import dev.segments.analytics.service.AnalyticsService;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.http.ETags;
import dev.segments.common.tenancy.CurrentTenant;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/**
 * The analytics models (docs/analytics.md): {@code /analytics/rfm} and {@code /analytics/activity}, each with its
 * configuration (ETag / If-Match), freshness and report, and an on-demand run.
 */
@Path("/analytics")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Analytics")
public class AnalyticsResource {

    private final AnalyticsService service;
    private final CurrentTenant tenant;

    AnalyticsResource(AnalyticsService service, CurrentTenant tenant) {
        this.service = service;
        this.tenant = tenant;
    }

    @GET
    @Path("/rfm")
    @Operation(summary = "The RFM model: configuration, freshness, and customers and revenue per R x F cell and per named segment")
    @APIResponse(responseCode = "200", description = "The model", headers = @Header(name = "ETag", ref = "ETag"),
            content = @Content(schema = @Schema(implementation = RfmModel.class)))
    public Uni<Response> rfm() {
        return service.rfm(tenant.id()).map(m -> Response.ok(m).tag(ETags.value(m.version())).build());
    }

    @PUT
    @Path("/rfm")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Replace the RFM configuration and recompute the model",
            description = "Missing members take their defaults. Every problem is listed in one 422 with a JSON Pointer. "
                    + "Send If-Match with the ETag from GET (\"0\" before the first save) to get 412 instead of overwriting a concurrent change.")
    @RequestBody(content = @Content(schema = @Schema(implementation = RfmConfig.class)))
    @APIResponse(responseCode = "200", description = "Saved and recomputed", headers = @Header(name = "ETag", ref = "ETag"),
            content = @Content(schema = @Schema(implementation = RfmModel.class)))
    @APIResponse(responseCode = "412", ref = "PreconditionFailed")
    public Uni<Response> saveRfm(@HeaderParam(HttpHeaders.IF_MATCH) String ifMatch, JsonNode body) {
        return service.saveRfm(tenant.id(), require(body), ETags.expectedVersion(ifMatch))
                .map(m -> Response.ok(m).tag(ETags.value(m.version())).build());
    }

    @POST
    @Path("/rfm/recompute")
    @Operation(summary = "Recompute RFM over the whole base now",
            description = "Customers whose scores change get their segment memberships updated (change feed cause analytics).")
    @APIResponse(responseCode = "200", description = "The run", content = @Content(schema = @Schema(implementation = RecomputeResult.class)))
    public Uni<RecomputeResult> recomputeRfm() {
        return service.recompute(tenant.id(), AnalyticsModel.RFM);
    }

    @GET
    @Path("/activity")
    @Operation(summary = "The activity-status model: configuration, freshness and customers per status")
    @APIResponse(responseCode = "200", description = "The model", headers = @Header(name = "ETag", ref = "ETag"),
            content = @Content(schema = @Schema(implementation = ActivityModel.class)))
    public Uni<Response> activity() {
        return service.activity(tenant.id()).map(m -> Response.ok(m).tag(ETags.value(m.version())).build());
    }

    @PUT
    @Path("/activity")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Replace the activity-status configuration and recompute every customer's status",
            description = "Missing members take their defaults. Every problem is listed in one 422 with a JSON Pointer. "
                    + "Send If-Match with the ETag from GET (\"0\" before the first save) to get 412 instead of overwriting a concurrent change.")
    @RequestBody(content = @Content(schema = @Schema(implementation = ActivityConfig.class)))
    @APIResponse(responseCode = "200", description = "Saved and recomputed", headers = @Header(name = "ETag", ref = "ETag"),
            content = @Content(schema = @Schema(implementation = ActivityModel.class)))
    @APIResponse(responseCode = "412", ref = "PreconditionFailed")
    public Uni<Response> saveActivity(@HeaderParam(HttpHeaders.IF_MATCH) String ifMatch, JsonNode body) {
        return service.saveActivity(tenant.id(), require(body), ETags.expectedVersion(ifMatch))
                .map(m -> Response.ok(m).tag(ETags.value(m.version())).build());
    }

    @POST
    @Path("/activity/recompute")
    @Operation(summary = "Recompute every customer's activity status now",
            description = "Customers whose status changes get their segment memberships updated (change feed cause analytics).")
    @APIResponse(responseCode = "200", description = "The run", content = @Content(schema = @Schema(implementation = RecomputeResult.class)))
    public Uni<RecomputeResult> recomputeActivity() {
        return service.recompute(tenant.id(), AnalyticsModel.ACTIVITY);
    }

    private static JsonNode require(JsonNode body) {
        if (body == null || body.isMissingNode()) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The body must be a JSON object");
        }
        return body;
    }
}
