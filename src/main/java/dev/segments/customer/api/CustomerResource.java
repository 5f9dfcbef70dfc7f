package dev.segments.customer.api;

import dev.segments.customer.CustomerInput;
import dev.segments.customer.CustomerView;
import dev.segments.customer.ImportReport;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.http.ETags;
import dev.segments.common.pagination.PageRequest;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.customer.service.CustomerImporter;
import dev.segments.customer.service.CustomerService;
import io.smallrye.common.annotation.Blocking;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponseSchema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.io.InputStream;
import java.net.URI;

/** Customer profiles. */
@Path("/customers")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Customers")
public class CustomerResource {

    public static final String NDJSON = "application/x-ndjson";
    public static final String MERGE_PATCH = "application/merge-patch+json";

    private final CustomerService service;
    private final CustomerImporter importer;
    private final CurrentTenant tenant;
    private final ServiceConfig config;

    CustomerResource(CustomerService service, CustomerImporter importer, CurrentTenant tenant, ServiceConfig config) {
        this.service = service;
        this.importer = importer;
        this.tenant = tenant;
        this.config = config;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create a customer")
    @APIResponse(responseCode = "201", description = "Created",
            headers = {@Header(name = "ETag", ref = "ETag"), @Header(name = "Location", ref = "Location")},
            content = @Content(schema = @Schema(implementation = CustomerView.class)))
    @APIResponse(responseCode = "409", ref = "Conflict")
    public Uni<Response> create(CustomerInput input) {
        return service.create(tenant.id(), require(input)).map(c -> Response.created(location(c)).tag(ETags.value(c.version())).entity(c).build());
    }

    @GET
    @Operation(summary = "List customers in id order, keyset-paginated")
    public Uni<CustomerPage> list(
            @Parameter(description = "Page size (default 50, at most 1000)") @QueryParam("limit") Integer limit,
            @Parameter(description = "The nextCursor of the previous page") @QueryParam("after") String after) {
        return service.list(tenant.id(), PageRequest.of(limit, after, config.limits()))
                .map(p -> new CustomerPage(p.items(), p.nextCursor()));
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "Get a customer")
    @APIResponse(responseCode = "200", description = "The customer",
            headers = @Header(name = "ETag", ref = "ETag"),
            content = @Content(schema = @Schema(implementation = CustomerView.class)))
    @APIResponse(responseCode = "404", ref = "NotFound")
    public Uni<Response> get(@PathParam("id") long id) {
        return service.get(tenant.id(), id).map(CustomerResource::ok);
    }

    @GET
    @Path("/by-external-id/{externalId}")
    @Operation(summary = "Get a customer by its external id")
    @APIResponse(responseCode = "200", description = "The customer",
            headers = @Header(name = "ETag", ref = "ETag"),
            content = @Content(schema = @Schema(implementation = CustomerView.class)))
    @APIResponse(responseCode = "404", ref = "NotFound")
    public Uni<Response> getByExternalId(@PathParam("externalId") String externalId) {
        return service.getByExternalId(tenant.id(), externalId).map(CustomerResource::ok);
    }

    @PUT
    @Path("/by-external-id/{externalId}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create or replace a customer by external id (idempotent upsert)",
            description = "Replaces the whole profile; fields left out are cleared. Rollups are kept.")
    @APIResponse(responseCode = "200", description = "Replaced (or unchanged)",
            headers = {@Header(name = "ETag", ref = "ETag")},
            content = @Content(schema = @Schema(implementation = CustomerView.class)))
    @APIResponse(responseCode = "201", description = "Created",
            headers = {@Header(name = "ETag", ref = "ETag"), @Header(name = "Location", ref = "Location")},
            content = @Content(schema = @Schema(implementation = CustomerView.class)))
    public Uni<Response> upsert(@PathParam("externalId") String externalId, CustomerInput input) {
        return service.upsert(tenant.id(), externalId, require(input)).map(w -> (w.created()
                ? Response.created(location(w.customer())) : Response.ok())
                .tag(ETags.value(w.customer().version())).entity(w.customer()).build());
    }

    @PATCH
    @Path("/{id}")
    @Consumes({MERGE_PATCH, MediaType.APPLICATION_JSON})
    @Operation(summary = "Change some fields of a customer (JSON Merge Patch, RFC 7386)",
            description = "Members left out stay as they are, members set to null are removed, nested attributes "
                    + "merge key by key, lists are replaced whole. Send If-Match with the ETag to fail with 412 "
                    + "instead of overwriting a concurrent change.")
    // CustomerPatch is derived from CustomerInput by common/openapi/PartialUpdateFilter
    @RequestBody(content = @Content(mediaType = MERGE_PATCH, schema = @Schema(ref = "#/components/schemas/CustomerPatch")))
    @APIResponse(responseCode = "200", description = "Changed",
            headers = {@Header(name = "ETag", ref = "ETag")},
            content = @Content(schema = @Schema(implementation = CustomerView.class)))
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "412", ref = "PreconditionFailed")
    public Uni<Response> patch(@PathParam("id") long id, @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch, byte[] patch) {
        return service.patch(tenant.id(), id, dev.segments.common.json.InputChecks.utf8(patch), ETags.expectedVersion(ifMatch))
                .map(CustomerResource::ok);
    }

    @DELETE
    @Path("/{id}")
    @Operation(summary = "Delete a customer and all its activity")
    @APIResponse(responseCode = "204", description = "Deleted")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "412", ref = "PreconditionFailed")
    public Uni<Response> delete(@PathParam("id") long id, @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch) {
        return service.delete(tenant.id(), id, ETags.expectedVersion(ifMatch)).map(v -> Response.noContent().build());
    }

    @POST
    @Path("/import")
    @Consumes({NDJSON, "text/csv"})
    @Blocking
    @Operation(summary = "Bulk upsert customers from NDJSON or CSV, streamed",
            description = """
                    NDJSON: one CustomerInput object per line. CSV: a header row of customer field names \
                    (externalId required) and `attributes.<key>` columns; `tags` and `phones` cells separate \
                    values with `|`. Each record upserts by externalId. The body is processed as it arrives, in \
                    chunks, so millions of lines take constant memory. Bad lines are reported, not fatal: every \
                    problem with a line (invalid JSON or UTF-8, a duplicate member, a wrong type, a value out of \
                    range, an unknown field or attribute, a wrong CSV cell count, a line longer than \
                    `segments.limits.import-max-line-bytes`) is listed with its line number and a JSON Pointer, \
                    and every other line is stored. The response is `200` with the report whenever at least one \
                    record could be read, even if lines failed: its counts are exactly what was stored. A `4xx` \
                    problem means nothing was stored: `400` for a body with nothing readable (empty, binary, an \
                    unreadable CSV header), `422` for a CSV header with unknown, repeated or missing columns or \
                    without data rows. A `503` problem (the database failed mid-import) says how much was stored; \
                    sending the same body again is safe.""")
    @RequestBody(content = {
            @Content(mediaType = NDJSON, schema = @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.STRING, format = "binary")),
            @Content(mediaType = "text/csv", schema = @Schema(type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.STRING, format = "binary"))})
    @APIResponseSchema(value = ImportReport.class, responseCode = "200", responseDescription = "The import report")
    public ImportReport importCustomers(@HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, InputStream body) {
        long tenantId = tenant.id();
        return contentType != null && contentType.toLowerCase().startsWith("text/csv")
                ? importer.importCsv(tenantId, body) : importer.importNdjson(tenantId, body);
    }

    /** A page of customers. */
    @Schema(name = "CustomerPage")
    public record CustomerPage(java.util.List<CustomerView> items,
                               @Schema(description = "Pass as `after` for the next page; absent on the last page") String nextCursor) {
    }

    private static Response ok(CustomerView c) {
        return Response.ok(c).tag(ETags.value(c.version())).build();
    }

    private static URI location(CustomerView c) {
        return URI.create("/customers/" + c.id());
    }

    private static CustomerInput require(CustomerInput input) {
        if (input == null) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The body must be a customer JSON object");
        }
        return input;
    }
}
