package dev.segments.segment.api;

import dev.segments.segment.MembershipDtos;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.pagination.PageRequest;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.segment.MembershipDtos.ChangePage;
import dev.segments.segment.service.MembershipQueries;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The tenant-wide change feed: every entry into and exit from any segment, in commit order. */
@Path("/changes")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Segments")
public class ChangeResource {

    private final MembershipQueries membership;
    private final CurrentTenant tenant;
    private final ServiceConfig config;

    ChangeResource(MembershipQueries membership, CurrentTenant tenant, ServiceConfig config) {
        this.membership = membership;
        this.tenant = tenant;
        this.config = config;
    }

    @GET
    @Operation(summary = "Every segment's entries and exits in order, resumable from a cursor without gaps or duplicates",
            description = "Changes are numbered in commit order per tenant, so a consumer that stores nextCursor and "
                    + "asks again never misses a change and never sees one twice.")
    public Uni<ChangePage> changes(@Parameter(description = "Page size (default 50, at most 1000)") @QueryParam("limit") Integer limit,
                                   @Parameter(description = "The nextCursor of the previous page; omit to start at the beginning") @QueryParam("after") String after) {
        return membership.changes(tenant.id(), null, PageRequest.of(limit, after, config.limits()));
    }
}
