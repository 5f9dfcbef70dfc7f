package dev.segments.activity.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.activity.ImportJobView;
import dev.segments.activity.service.ImportJobs;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.pagination.Page;
import dev.segments.common.pagination.PageRequest;
import dev.segments.common.tenancy.CurrentTenant;
import io.smallrye.common.annotation.Blocking;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;


/** Import jobs: an upload imported in the background, with progress, resume, cancel and its error lines. */
@Path("/imports")
@Tag(name = "Imports")
@Produces(MediaType.APPLICATION_JSON)
public class ImportJobResource {

    private final ImportJobs jobs;
    private final CurrentTenant tenant;
    private final ServiceConfig config;
    private final ObjectMapper mapper;

    ImportJobResource(ImportJobs jobs, CurrentTenant tenant, ServiceConfig config, ObjectMapper mapper) {
        this.jobs = jobs;
        this.tenant = tenant;
        this.config = config;
        this.mapper = mapper;
    }

    @POST
    @Consumes({StreamResource.NDJSON, StreamResource.CSV, MediaType.APPLICATION_OCTET_STREAM})
    @Blocking
    @Operation(summary = "Start an import job from an upload (NDJSON or CSV)", description = """
            The body is the upload: what `POST /customers/import`, `/purchases/import`, `/interactions/import` or \
            `/events/import` take (same lines, same validation). It is stored first (up to \
            `segments.imports.max-upload-bytes`), then imported in the background in chunks; each chunk commits the \
            job's offset with its rows, so a restarted service resumes the job from its last committed chunk. \
            `Import-Id` (header) or `id` (parameter) is your id for the job: sending the same upload again with it \
            answers the existing job (200) without reading the body, or, if its upload never finished, starts the \
            upload over. `202` with the job (Location: /imports/{id}); follow it with `GET /imports/{id}`. At most \
            `segments.imports.max-pending-per-tenant` jobs are queued or running per tenant (then 429), and \
            `max-running-per-tenant` run at once.""")
    @RequestBody(content = {
            @Content(mediaType = StreamResource.NDJSON, schema = @Schema(type = SchemaType.STRING, format = "binary")),
            @Content(mediaType = StreamResource.CSV, schema = @Schema(type = SchemaType.STRING, format = "binary")),
            @Content(mediaType = MediaType.APPLICATION_OCTET_STREAM, schema = @Schema(type = SchemaType.STRING, format = "binary"))})
    @APIResponse(responseCode = "202", description = "The upload is stored and the job queued",
            headers = @Header(name = "Location", ref = "Location"),
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ImportJobView.class)))
    @APIResponse(responseCode = "200", description = "A job with this id exists: the upload was not read again",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ImportJobView.class)))
    @APIResponse(responseCode = "409", ref = "Conflict")
    public Response submit(
            @Parameter(description = "What the upload holds", required = true,
                    schema = @Schema(enumeration = {"customers", "purchases", "interactions", "events"}))
            @QueryParam("stream") String stream,
            @Parameter(description = "ndjson or csv; by default from Content-Type",
                    schema = @Schema(enumeration = {"ndjson", "csv"}))
            @QueryParam("format") String format,
            @Parameter(description = "Your id for the job (or the Import-Id header): a retried upload with it is a no-op or resumes")
            @QueryParam("id") String id,
            @Parameter(description = "Your id for the job (or the id parameter)")
            @HeaderParam("Import-Id") String importId,
            @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
            InputStream body) {
        String chosen = importId != null && !importId.isBlank() ? importId : (id == null || id.isBlank() ? null : id);
        String fmt = format != null && !format.isBlank() ? format
                : StreamResource.isCsv(contentType) ? "csv"
                : contentType != null && contentType.toLowerCase().startsWith(StreamResource.NDJSON) ? "ndjson" : null;
        ImportJobs.Submitted s = jobs.submit(tenant.id(), chosen, stream, fmt, body);
        return Response.status(s.created() ? 202 : 200).location(URI.create("/imports/" + s.job().id()))
                .entity(s.job()).build();
    }

    @GET
    @Blocking
    @Operation(summary = "List import jobs, newest first")
    @APIResponse(responseCode = "200", description = "A page of jobs",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ImportJobPage.class)))
    public Page<ImportJobView> list(@QueryParam("limit") Integer limit, @QueryParam("after") String after) {
        return jobs.list(tenant.id(), PageRequest.of(limit, after, config.limits()));
    }

    @GET
    @Path("/{id}")
    @Blocking
    @Operation(summary = "Get an import job and its progress")
    @APIResponse(responseCode = "200", description = "The job",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ImportJobView.class)))
    @APIResponse(responseCode = "404", ref = "NotFound")
    public ImportJobView get(@PathParam("id") String id) {
        return jobs.get(tenant.id(), id);
    }

    @GET
    @Path("/{id}/errors")
    @Produces(StreamResource.NDJSON)
    @Blocking
    @Operation(summary = "Download an import job's line errors as NDJSON",
            description = "One ImportLineError per line, in line order (up to segments.imports.max-stored-errors per job; errorCount counts them all).")
    @APIResponse(responseCode = "200", description = "The errors, one JSON object per line",
            content = @Content(mediaType = StreamResource.NDJSON, schema = @Schema(type = SchemaType.STRING)))
    @APIResponse(responseCode = "404", ref = "NotFound")
    public Response errors(@PathParam("id") String id) {
        long tenantId = tenant.id();
        jobs.get(tenantId, id); // 404 before the stream starts
        StreamingOutput out = stream -> {
            BufferedOutputStream buffered = new BufferedOutputStream(stream, 64 * 1024);
            try {
                jobs.errors(tenantId, id, e -> {
                    try {
                        buffered.write(mapper.writeValueAsBytes(e));
                        buffered.write('\n');
                    } catch (IOException x) {
                        throw new UncheckedIOException(x);
                    }
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            buffered.flush();
        };
        return Response.ok(out, StreamResource.NDJSON).build();
    }

    @DELETE
    @Path("/{id}")
    @Blocking
    @Operation(summary = "Cancel an import job", description = """
            A queued job never runs; a running one stops after its current chunk (what was committed stays stored). \
            An ended job is left as it is. Answers the job.""")
    @APIResponse(responseCode = "200", description = "The job, cancelled unless it had ended",
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ImportJobView.class)))
    @APIResponse(responseCode = "404", ref = "NotFound")
    public ImportJobView cancel(@PathParam("id") String id) {
        return jobs.cancel(tenant.id(), id);
    }

    /** A page of import jobs. */
    @Schema(name = "ImportJobPage")
    public record ImportJobPage(java.util.List<ImportJobView> items,
                                @Schema(description = "Pass as `after` for the next page; absent on the last page") String nextCursor) {
    }

}
