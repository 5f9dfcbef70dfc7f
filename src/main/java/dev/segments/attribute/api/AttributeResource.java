package dev.segments.attribute.api;

import dev.segments.attribute.persistence.AttributeDefinition;
import dev.segments.attribute.service.AttributeService;
import dev.segments.attribute.service.AttributeType;
import dev.segments.common.tenancy.CurrentTenant;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponseSchema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.time.OffsetDateTime;
import java.util.List;

/** The tenant's custom attribute catalog: declared attributes are typed and validated on every write. */
@Path("/attributes")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@Tag(name = "Attributes")
public class AttributeResource {

    @Schema(name = "AttributeInput")
    public record AttributeInput(
            @NotNull @Pattern(regexp = "customer|purchase|interaction") @Schema(enumeration = {"customer", "purchase", "interaction"})
            String entity,
            @NotBlank @Pattern(regexp = "[A-Za-z][A-Za-z0-9_]{0,62}", message = "must start with a letter and use only letters, digits and _ (at most 63)")
            String key,
            @NotNull AttributeType type,
            @Size(max = 1000) String description) {
    }

    @Schema(name = "Attribute")
    @org.eclipse.microprofile.graphql.Type("Attribute")
    public record AttributeView(String entity, String key, AttributeType type, String description,
                                OffsetDateTime createdAt) {
        public static AttributeView of(AttributeDefinition d) {
            return new AttributeView(d.id.entity, d.id.key, AttributeType.of(d.type), d.description, d.createdAt);
        }
    }

    private final AttributeService service;
    private final CurrentTenant tenant;

    AttributeResource(AttributeService service, CurrentTenant tenant) {
        this.service = service;
        this.tenant = tenant;
    }

    @POST
    @Operation(summary = "Declare a custom attribute (idempotent; the type of a declared attribute cannot change)")
    @APIResponseSchema(value = AttributeView.class, responseCode = "201", responseDescription = "Declared")
    @APIResponse(responseCode = "200", description = "Already declared with this type; description updated",
            content = @Content(schema = @Schema(implementation = AttributeView.class)))
    @APIResponse(responseCode = "409", ref = "Conflict")
    public Uni<Response> declare(@Valid @NotNull AttributeInput input) {
        return service.declare(tenant.id(), input.entity(), input.key(), input.type(), input.description())
                .map(d -> Response.status(d.created() ? 201 : 200).entity(AttributeView.of(d.definition())).build());
    }

    @GET
    @Operation(summary = "List the declared attributes")
    public Uni<List<AttributeView>> list() {
        return service.list(tenant.id()).map(l -> l.stream().map(AttributeView::of).toList());
    }

    @GET
    @Path("/{entity}/{key}")
    @Operation(summary = "Get one declared attribute")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponseSchema(value = AttributeView.class, responseCode = "200", responseDescription = "The attribute")
    public Uni<AttributeView> get(@PathParam("entity") String entity, @PathParam("key") String key) {
        return service.get(tenant.id(), entity, key).map(AttributeView::of);
    }
}
