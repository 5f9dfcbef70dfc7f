package dev.segments.analytics.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.analytics.AbcXyzConfig;
import dev.segments.analytics.AbcXyzModel;
import dev.segments.analytics.ActivityConfig;
import dev.segments.analytics.ActivityModel;
import dev.segments.analytics.AnalyticsModel;
import dev.segments.analytics.LeadScoringConfig;
import dev.segments.analytics.LeadScoringModel;
import dev.segments.analytics.RecomputeResult;
import dev.segments.analytics.RfTemplate;
import dev.segments.analytics.RfmConfig;
import dev.segments.analytics.RfmModel;
import dev.segments.analytics.ValueQuadrantConfig;
import dev.segments.analytics.ValueQuadrantModel;
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
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.math.BigDecimal;

/**
 * The analytics models (docs/analytics.md): {@code /analytics/rfm}, {@code /analytics/activity},
 * {@code /analytics/abc-xyz}, {@code /analytics/lead-scoring} and {@code /analytics/value-quadrants}, each with its
 * configuration (ETag / If-Match), freshness and report, and an on-demand run; and the RF template segments.
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

    @POST
    @Path("/rfm/template-segments")
    @Operation(summary = "Install the RF template: one segment per named RFM segment, over its recency x frequency cells",
            description = "Creates the dynamic segments rf-champions, rf-loyal, ... rf-lost (tag rf-template), each with a rule on "
                    + "rfm.recency and rfm.frequency covering the grid cells of that name (docs/analytics.md). A key that exists "
                    + "is left as it is, so installing again changes nothing.")
    @APIResponse(responseCode = "200", description = "The template's segments, created or already there",
            content = @Content(schema = @Schema(implementation = RfTemplate.class)))
    public Uni<RfTemplate> installRfTemplate() {
        return service.installRfTemplate(tenant.id());
    }

    // ------------------------------------------------------------------ ABC / XYZ

    @GET
    @Path("/abc-xyz")
    @Operation(summary = "The ABC/XYZ model: configuration, freshness, and customers and revenue shares in the nine cells AX..CZ")
    @APIResponse(responseCode = "200", description = "The model", headers = @Header(name = "ETag", ref = "ETag"),
            content = @Content(schema = @Schema(implementation = AbcXyzModel.class)))
    public Uni<Response> abcXyz() {
        return service.abcXyz(tenant.id()).map(m -> Response.ok(m).tag(ETags.value(m.version())).build());
    }

    @PUT
    @Path("/abc-xyz")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Replace the ABC/XYZ configuration and recompute the model",
            description = "Missing members take their defaults. Every problem is listed in one 422 with a JSON Pointer. "
                    + "Send If-Match with the ETag from GET (\"0\" before the first save) to get 412 instead of overwriting a concurrent change.")
    @RequestBody(content = @Content(schema = @Schema(implementation = AbcXyzConfig.class)))
    @APIResponse(responseCode = "200", description = "Saved and recomputed", headers = @Header(name = "ETag", ref = "ETag"),
            content = @Content(schema = @Schema(implementation = AbcXyzModel.class)))
    @APIResponse(responseCode = "412", ref = "PreconditionFailed")
    public Uni<Response> saveAbcXyz(@HeaderParam(HttpHeaders.IF_MATCH) String ifMatch, JsonNode body) {
        return service.saveAbcXyz(tenant.id(), require(body), ETags.expectedVersion(ifMatch))
                .map(m -> Response.ok(m).tag(ETags.value(m.version())).build());
    }

    @POST
    @Path("/abc-xyz/recompute")
    @Operation(summary = "Recompute ABC and XYZ over the whole base now",
            description = "Customers whose classes change get their segment memberships updated (change feed cause analytics).")
    @APIResponse(responseCode = "200", description = "The run", content = @Content(schema = @Schema(implementation = RecomputeResult.class)))
    public Uni<RecomputeResult> recomputeAbcXyz() {
        return service.recompute(tenant.id(), AnalyticsModel.ABC_XYZ);
    }

    // ------------------------------------------------------------------ lead scoring

    @GET
    @Path("/lead-scoring")
    @Operation(summary = "The lead-scoring model: configuration, freshness, and the score distribution (histogram and temperatures)")
    @APIResponse(responseCode = "200", description = "The model", headers = @Header(name = "ETag", ref = "ETag"),
            content = @Content(schema = @Schema(implementation = LeadScoringModel.class)))
    public Uni<Response> leadScoring(@QueryParam("bucketWidth") @Parameter(description = "Width of the histogram's buckets (positive, default 10)",
            schema = @Schema(type = SchemaType.NUMBER, defaultValue = "10")) String bucketWidth) {
        return service.leadScoring(tenant.id(), width(bucketWidth)).map(m -> Response.ok(m).tag(ETags.value(m.version())).build());
    }

    private static BigDecimal width(String s) {
        if (s == null) return null;
        try {
            return new BigDecimal(s);
        } catch (NumberFormatException e) {
            throw ProblemException.validation("bucketWidth", "invalid_value", "bucketWidth must be a positive number");
        }
    }

    @PUT
    @Path("/lead-scoring")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Replace the lead-scoring model and rescore every customer",
            description = "Every scoring rule is validated like a segment rule; one 422 lists every problem of the document, "
                    + "with JSON Pointers into it (e.g. /rules/2/rule/and/0/field). Missing members take their defaults. "
                    + "Send If-Match with the ETag from GET (\"0\" before the first save) to get 412 instead of overwriting a concurrent change.")
    @RequestBody(content = @Content(schema = @Schema(implementation = LeadScoringConfig.class)))
    @APIResponse(responseCode = "200", description = "Saved and rescored", headers = @Header(name = "ETag", ref = "ETag"),
            content = @Content(schema = @Schema(implementation = LeadScoringModel.class)))
    @APIResponse(responseCode = "412", ref = "PreconditionFailed")
    public Uni<Response> saveLeadScoring(@HeaderParam(HttpHeaders.IF_MATCH) String ifMatch, JsonNode body) {
        return service.saveLeadScoring(tenant.id(), require(body), ETags.expectedVersion(ifMatch))
                .map(m -> Response.ok(m).tag(ETags.value(m.version())).build());
    }

    @POST
    @Path("/lead-scoring/recompute")
    @Operation(summary = "Rescore every customer now",
            description = "Time moves windows and decay; customers whose score changes get their segment memberships updated "
                    + "(change feed cause analytics).")
    @APIResponse(responseCode = "200", description = "The run", content = @Content(schema = @Schema(implementation = RecomputeResult.class)))
    public Uni<RecomputeResult> recomputeLeadScoring() {
        return service.recompute(tenant.id(), AnalyticsModel.LEAD_SCORING);
    }

    // ------------------------------------------------------------------ value quadrants

    @GET
    @Path("/value-quadrants")
    @Operation(summary = "The value-quadrant model: configuration, freshness, and customers and revenue per quadrant")
    @APIResponse(responseCode = "200", description = "The model", headers = @Header(name = "ETag", ref = "ETag"),
            content = @Content(schema = @Schema(implementation = ValueQuadrantModel.class)))
    public Uni<Response> valueQuadrants() {
        return service.valueQuadrants(tenant.id()).map(m -> Response.ok(m).tag(ETags.value(m.version())).build());
    }

    @PUT
    @Path("/value-quadrants")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Replace the value-quadrant configuration and recompute the model",
            description = "Missing members take their defaults. Every problem is listed in one 422 with a JSON Pointer. "
                    + "Send If-Match with the ETag from GET (\"0\" before the first save) to get 412 instead of overwriting a concurrent change.")
    @RequestBody(content = @Content(schema = @Schema(implementation = ValueQuadrantConfig.class)))
    @APIResponse(responseCode = "200", description = "Saved and recomputed", headers = @Header(name = "ETag", ref = "ETag"),
            content = @Content(schema = @Schema(implementation = ValueQuadrantModel.class)))
    @APIResponse(responseCode = "412", ref = "PreconditionFailed")
    public Uni<Response> saveValueQuadrants(@HeaderParam(HttpHeaders.IF_MATCH) String ifMatch, JsonNode body) {
        return service.saveValueQuadrants(tenant.id(), require(body), ETags.expectedVersion(ifMatch))
                .map(m -> Response.ok(m).tag(ETags.value(m.version())).build());
    }

    @POST
    @Path("/value-quadrants/recompute")
    @Operation(summary = "Recompute the value quadrants over the whole base now",
            description = "Customers whose quadrant changes get their segment memberships updated (change feed cause analytics).")
    @APIResponse(responseCode = "200", description = "The run", content = @Content(schema = @Schema(implementation = RecomputeResult.class)))
    public Uni<RecomputeResult> recomputeValueQuadrants() {
        return service.recompute(tenant.id(), AnalyticsModel.VALUE_QUADRANTS);
    }

    private static JsonNode require(JsonNode body) {
        if (body == null || body.isMissingNode()) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The body must be a JSON object");
        }
        return body;
    }
}
