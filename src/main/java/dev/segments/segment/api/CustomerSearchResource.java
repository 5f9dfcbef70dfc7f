package dev.segments.segment.api;

import dev.segments.common.db.ReplicaReads;
import dev.segments.segment.SegmentDtos;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.pagination.PageRequest;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.segment.SegmentDtos.MemberPage;
import dev.segments.segment.SegmentDtos.SearchRequest;
import dev.segments.segment.service.SegmentQueryService;
import dev.segments.segment.service.TenantRules;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponseSchema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.util.List;

/** Ad-hoc search: the customers matching any rule, without saving a segment. */
@Path("/customers/search")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Customers")
public class CustomerSearchResource {

    private final SegmentQueryService queries;
    private final CurrentTenant tenant;
    private final ServiceConfig config;

    CustomerSearchResource(SegmentQueryService queries, CurrentTenant tenant, ServiceConfig config) {
        this.queries = queries;
        this.tenant = tenant;
        this.config = config;
    }

    @POST
    @ReplicaReads
    @Operation(summary = "Customers matching a rule, keyset-paginated like segment members")
    @APIResponse(responseCode = "422", ref = "InvalidRule")
    @APIResponse(responseCode = "503", ref = "QueryTimeout")
    @APIResponseSchema(value = MemberPage.class, responseCode = "200", responseDescription = "A page of matching customers")
    public Uni<MemberPage> search(@Parameter(description = "Page size (default 50, at most 1000)") @QueryParam("limit") Integer limit,
                                  @Parameter(description = "The nextCursor of the previous page") @QueryParam("after") String after,
                                  @Parameter(description = "Comma-separated customer fields to return") @QueryParam("fields") List<String> fields,
                                  SearchRequest request) {
        SearchRequest r = request == null ? new SearchRequest(null, null, null) : request;
        return queries.members(tenant.id(), null, r.rule(), TenantRules.format(r.ruleFormat(), "/ruleFormat"),
                PageRequest.of(limit, after, config.limits()), r.asOf(), fields);
    }
}
