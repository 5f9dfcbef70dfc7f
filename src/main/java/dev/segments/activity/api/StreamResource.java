package dev.segments.activity.api;

import dev.segments.activity.ActivityDtos.ActivityBatch;
import dev.segments.activity.ActivityDtos.ActivityInput;
import dev.segments.activity.ActivityDtos.BatchResult;
import dev.segments.activity.persistence.StreamKind;
import dev.segments.activity.ActivityImportReport;
import dev.segments.activity.service.ActivityImporter;
import dev.segments.activity.service.ActivityService;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.core.HttpHeaders;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import java.io.InputStream;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.tenancy.CurrentTenant;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponseSchema;
import org.jboss.resteasy.reactive.RestResponse;

import java.net.URI;
import java.util.function.ToLongFunction;

/**
 * The one shape of the three activity streams (purchases, interactions, events): record one (idempotent by
 * externalId), record a batch (all or nothing), read, delete; rollups and membership follow every write. A stream's
 * resource only names its path, tag, {@link StreamKind} and types; the spec's summaries and operationIds come from
 * {@code common/openapi} ({@code StreamSummaries}, {@code OperationIds}).
 *
 * @param <I> the item a client sends
 * @param <B> a batch of them
 * @param <V> the stored item as it is read back
 */
@Produces(MediaType.APPLICATION_JSON)
public abstract class StreamResource<I extends ActivityInput, B extends ActivityBatch<I>, V> {

    private final ActivityService service;
    private final ActivityImporter importer;
    private final CurrentTenant tenant;
    private final StreamKind kind;
    private final Class<V> view;
    private final ToLongFunction<V> idOf;
    private final String path;

    static final String NDJSON = "application/x-ndjson";
    static final String CSV = "text/csv";

    StreamResource(ActivityService service, ActivityImporter importer, CurrentTenant tenant, StreamKind kind, Class<V> view, ToLongFunction<V> idOf,
            String path) {
        this.service = service;
        this.importer = importer;
        this.tenant = tenant;
        this.kind = kind;
        this.view = view;
        this.idOf = idOf;
        this.path = path;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @APIResponse(responseCode = "201", description = "Recorded", headers = {
            @org.eclipse.microprofile.openapi.annotations.headers.Header(name = "Location", ref = "Location")})
    @APIResponse(responseCode = "200", description = "Already recorded (same externalId): nothing is written")
    public Uni<RestResponse<V>> create(I input) {
        if (input == null) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The body must be a JSON object");
        }
        return service.writeOne(tenant.id(), kind, input, view).map(r -> r.created()
                ? RestResponse.ResponseBuilder.<V>created(URI.create(path + "/" + idOf.applyAsLong(r.item())))
                        .entity(r.item()).build()
                : RestResponse.ok(r.item()));
    }

    @POST
    @Path("/batch")
    @Consumes(MediaType.APPLICATION_JSON)
    @APIResponseSchema(value = BatchResult.class, responseCode = "200", responseDescription = "Written")
    public Uni<BatchResult> batch(B batch) {
        if (batch == null || batch.items() == null || batch.items().isEmpty()) {
            throw ProblemException.validation("/items", "required", "items must hold at least one item");
        }
        return service.writeBatch(tenant.id(), kind, batch.items());
    }

    @POST
    @Path("/import")
    @Consumes({NDJSON, CSV})
    @Blocking
    @Operation(description = """
            NDJSON: one item per line, each exactly what POST of one item takes. CSV: a header row naming the item's \
            fields (occurredAt and customerId or customerExternalId required) and `attributes.<key>` columns (declared \
            attributes; for events `properties.<key>`, kept as text). Each item is validated like a posted one. The body \
            is read as it arrives and stored in chunks with COPY and set-based statements (constant memory, any size); \
            rollups and segment membership of the touched customers follow each chunk. Bad lines are reported with \
            their line number and a JSON Pointer and every other line is stored; a line naming a customer the tenant \
            does not have is a per-line `unknown_customer` error. Items whose externalId is already recorded are \
            counted as duplicates and not stored again, so a retried import counts nothing twice. `200` with the \
            report whenever a record could be read; `400` for a body with nothing readable; `422` for a CSV header \
            with unknown, repeated or missing columns, or without data rows (nothing stored); `503` when the \
            database failed mid-import (the detail says what was stored). For uploads with progress, resume and \
            cancel use `POST /imports`.""")
    @RequestBody(content = {
            @Content(mediaType = NDJSON, schema = @Schema(type = SchemaType.STRING, format = "binary")),
            @Content(mediaType = CSV, schema = @Schema(type = SchemaType.STRING, format = "binary"))})
    @APIResponseSchema(value = ActivityImportReport.class, responseCode = "200", responseDescription = "The import report")
    public ActivityImportReport importItems(@HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, InputStream body) {
        return importer.importBody(tenant.id(), kind, isCsv(contentType), body);
    }

    /** Whether a Content-Type names CSV (else NDJSON: the two the import endpoints consume). */
    public static boolean isCsv(String contentType) {
        return contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).startsWith(CSV);
    }

    @GET
    @Path("/{id}")
    @APIResponse(responseCode = "200", description = "The item")
    @APIResponse(responseCode = "404", ref = "NotFound")
    public Uni<V> get(@PathParam("id") long id) {
        return service.get(tenant.id(), kind, id, view);
    }

    @DELETE
    @Path("/{id}")
    @APIResponse(responseCode = "204", description = "Deleted (the customer's rollups are corrected)")
    @APIResponse(responseCode = "404", ref = "NotFound")
    public Uni<Response> delete(@PathParam("id") long id) {
        return service.delete(tenant.id(), kind, id).map(v -> Response.noContent().build());
    }
}
