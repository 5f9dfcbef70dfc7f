package dev.segments.segment.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.rule.format.QueryBuilderFields;
import dev.segments.segment.service.SegmentService;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

/** The field catalog: what a rule editor offers (fields, their types, operators and known values). */
@Path("/fields")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Segments")
public class FieldResource {

    private final SegmentService segments;
    private final CurrentTenant tenant;

    FieldResource(SegmentService segments, CurrentTenant tenant) {
        this.segments = segments;
        this.tenant = tenant;
    }

    @GET
    @Operation(summary = "Every field a rule may use: built-in fields, declared attributes and the activity streams")
    public Uni<FieldCatalogView> catalog() {
        return segments.rules(tenant.id()).map(rules -> FieldCatalogView.of(rules.catalog()));
    }

    @GET
    @Path("/querybuilder")
    @Operation(summary = "The customer fields in react-querybuilder's `fields` shape",
            description = "Pass the array as the `fields` prop of <QueryBuilder>. Operators are react-querybuilder's standard "
                    + "names (`=`, `<`, `beginsWith`, `null`, ...) wherever one means the same, so the library's own "
                    + "formatQuery / parseJsonLogic keep them; within, notWithin, hasAny, hasAll, hasNone and the `$segment` "
                    + "pseudo-field (offering the tenant's segment keys) need docs/clients/querybuilder-segments.js there. "
                    + "A query built with them can be sent with ruleFormat=querybuilder unchanged.")
    @APIResponse(responseCode = "200", description = "react-querybuilder Field objects",
            content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = Object.class)))
    public Uni<ArrayNode> queryBuilderFields() {
        return segments.rules(tenant.id()).map(rules -> QueryBuilderFields.of(rules.catalog(), rules.segments().keySet()));
    }
}
