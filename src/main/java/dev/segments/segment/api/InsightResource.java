package dev.segments.segment.api;

import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.segment.InsightDtos.Effectiveness;
import dev.segments.segment.InsightDtos.Overlap;
import dev.segments.segment.InsightDtos.Profile;
import dev.segments.segment.service.SegmentInsights;
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

import java.time.OffsetDateTime;
import java.util.List;

/**
 * Segment insight (docs/insight.md): profile, overlap and effectiveness, over {@link SegmentInsights}. The literal
 * {@code /segments/overlap} is matched before {@code /segments/{key}}; the key "overlap" is reserved for that reason.
 */
@Path("/segments")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Segments")
public class InsightResource {

    private final SegmentInsights insights;
    private final CurrentTenant tenant;

    InsightResource(SegmentInsights insights, CurrentTenant tenant) {
        this.insights = insights;
        this.tenant = tenant;
    }

    @GET
    @Path("/overlap")
    @Operation(summary = "How segments overlap: sizes, pairwise intersections and Jaccard indexes",
            description = "From the materialized membership (a static segment's members) in one scan. 2 to 30 keys.")
    @APIResponseSchema(value = Overlap.class, responseCode = "200", responseDescription = "Every pair")
    @APIResponse(responseCode = "422", ref = "ValidationFailed")
    public Uni<Overlap> overlap(@Parameter(description = "Comma-separated segment keys (2 to 30), or the parameter repeated")
                                @QueryParam("keys") List<String> keys) {
        return insights.overlap(tenant.id(), keys);
    }

    @GET
    @Path("/{key}/profile")
    @Operation(summary = "What a segment looks like next to the whole base",
            description = "Size and share of the base; for each field the values most members hold (categorical) or "
                    + "quantiles and a histogram (numbers); revenue, revenue per customer, average order value and "
                    + "purchase frequency with the index segment / base. Reads the materialized membership when it is "
                    + "current, else evaluates the rule now (source).")
    @APIResponseSchema(value = Profile.class, responseCode = "200", responseDescription = "The profile")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "422", ref = "ValidationFailed")
    @APIResponse(responseCode = "503", ref = "QueryTimeout")
    public Uni<Profile> profile(@PathParam("key") String key,
                                @Parameter(description = "Comma-separated customer fields (string, boolean, list or number; "
                                        + "default: region, priceTier, lifecycleStage, tags, rfm.segment, activityStatus, "
                                        + "totalSpend, purchaseCount)") @QueryParam("fields") List<String> fields,
                                @Parameter(description = "Values listed per categorical field, the rest summed as other "
                                        + "(1-100, default 10)") @QueryParam("top") Integer top) {
        return insights.profile(tenant.id(), key, fields, top);
    }

    @GET
    @Path("/{key}/effectiveness")
    @Operation(summary = "Whether a segment works: what happened to the customers who entered it in [from, to)",
            description = "Conversion (a purchase within window after entering) and revenue per member against a baseline "
                    + "of non-members over a window of the same length; how long the stays lasted and why they ended, "
                    + "from the change feed and the purchase stream.")
    @APIResponseSchema(value = Effectiveness.class, responseCode = "200", responseDescription = "The figures")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "422", ref = "ValidationFailed")
    @APIResponse(responseCode = "503", ref = "QueryTimeout")
    public Uni<Effectiveness> effectiveness(@PathParam("key") String key,
                                            @Parameter(description = "Entries from (inclusive; default: 30 days before to)") @QueryParam("from") OffsetDateTime from,
                                            @Parameter(description = "Entries until (exclusive; default: now)") @QueryParam("to") OffsetDateTime to,
                                            @Parameter(description = "ISO-8601 duration after each entry that counts (default P30D)") @QueryParam("window") String window) {
        return insights.effectiveness(tenant.id(), key, from, to, window);
    }
}
