package dev.segments.segment.api;

import dev.segments.segment.SegmentDtos;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.segment.SegmentDtos.CustomerSegment;
import dev.segments.segment.service.SegmentQueryService;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.time.OffsetDateTime;
import java.util.List;

/** The segments one customer belongs to. */
@Path("/customers/{customerId}/segments")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Customers")
public class CustomerSegmentsResource {

    private final SegmentQueryService queries;
    private final CurrentTenant tenant;

    CustomerSegmentsResource(SegmentQueryService queries, CurrentTenant tenant) {
        this.queries = queries;
        this.tenant = tenant;
    }

    @GET
    @Operation(summary = "Every segment of the tenant that contains this customer (evaluated now, in one query)")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "200", description = "The segments, in key order",
            content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = CustomerSegment.class)))
    public Uni<List<CustomerSegment>> segments(@PathParam("customerId") long customerId,
                                               @QueryParam("asOf") OffsetDateTime asOf) {
        return queries.segmentsOf(tenant.id(), customerId, asOf);
    }
}
