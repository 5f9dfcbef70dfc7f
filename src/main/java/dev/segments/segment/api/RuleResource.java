package dev.segments.segment.api;

import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.segment.SegmentDtos.RuleTextRequest;
import dev.segments.segment.SegmentDtos.RuleTextView;
import dev.segments.segment.service.SegmentService;
import dev.segments.segment.service.TenantRules;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponseSchema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** Rules that are not saved: the sentence a rule reads as, without evaluating it. */
@Path("/rules")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Segments")
public class RuleResource {

    private final SegmentService segments;
    private final CurrentTenant tenant;

    RuleResource(SegmentService segments, CurrentTenant tenant) {
        this.segments = segments;
        this.tenant = tenant;
    }

    @POST
    @Path("/text")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "An unsaved rule in words",
            description = "Checks the rule like any rule (422 listing every problem) and answers it as the English sentence "
                    + "GET /segments/{key}/rule?format=text gives once it is saved. Nothing is evaluated.")
    @APIResponseSchema(value = RuleTextView.class, responseCode = "200", responseDescription = "The sentence")
    @APIResponse(responseCode = "422", ref = "InvalidRule")
    public Uni<RuleTextView> text(RuleTextRequest request) {
        if (request == null) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The body must be a JSON object with a rule");
        }
        return segments.ruleText(tenant.id(), request.rule(), TenantRules.format(request.ruleFormat(), "/ruleFormat"))
                .map(RuleTextView::new);
    }
}
