package dev.segments.report.api;

import dev.segments.common.error.ProblemException;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.report.ReportDtos.ReportJob;
import dev.segments.report.ReportDtos.ReportJobRequest;
import dev.segments.report.service.ReportJobs;
import dev.segments.report.service.ReportService;
import dev.segments.segment.InsightDtos.Standings;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponseSchema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

import java.net.URI;
import java.util.UUID;

/** The tenant overview of all segments, and report jobs (docs/insight.md, "Reports"). */
@Path("/reports")
@Tag(name = "Reports")
public class ReportResource {

    private final ReportService reports;
    private final ReportJobs jobs;
    private final CurrentTenant tenant;

    ReportResource(ReportService reports, ReportJobs jobs, CurrentTenant tenant) {
        this.reports = reports;
        this.jobs = jobs;
        this.tenant = tenant;
    }

    @GET
    @Path("/segments.pdf")
    @Produces("application/pdf")
    @Operation(summary = "Every segment of the tenant as a PDF table",
            description = "Key, name, tier, description, the rule in words, size, change over 30 days and revenue share, "
                    + "with the sizes as bars.")
    @APIResponse(responseCode = "200", description = "The PDF",
            headers = @Header(name = "Content-Disposition", description = "attachment; filename=\"segments.pdf\"",
                    schema = @Schema(type = SchemaType.STRING)),
            content = @Content(mediaType = "application/pdf", schema = @Schema(type = SchemaType.STRING, format = "binary")))
    @APIResponse(responseCode = "503", ref = "QueryTimeout")
    public Uni<Response> overviewPdf() {
        return reports.overviewFile(tenant.id(), "pdf", ReportService.Progress.NONE).map(ReportFiles::download);
    }

    @GET
    @Path("/segments.csv")
    @Produces("text/csv")
    @Operation(summary = "Every segment of the tenant as CSV, one row per segment")
    @APIResponse(responseCode = "200", description = "CSV with a header row (key, name, kind, tier, description, rule, size, "
            + "size_30_days_ago, change_30_days, revenue, revenue_share, current)",
            headers = @Header(name = "Content-Disposition", description = "attachment; filename=\"segments.csv\"",
                    schema = @Schema(type = SchemaType.STRING)),
            content = @Content(mediaType = "text/csv", schema = @Schema(type = SchemaType.STRING)))
    @APIResponse(responseCode = "503", ref = "QueryTimeout")
    public Uni<Response> overviewCsv() {
        return reports.overviewFile(tenant.id(), "csv", ReportService.Progress.NONE).map(ReportFiles::download);
    }

    @GET
    @Path("/segments.json")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Every segment of the tenant as JSON: the figures of the overview")
    @APIResponseSchema(value = Standings.class, responseCode = "200", responseDescription = "The overview")
    @APIResponse(responseCode = "503", ref = "QueryTimeout")
    public Uni<Standings> overviewJson() {
        return reports.overview(tenant.id(), ReportService.Progress.NONE);
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "Render a report in the background",
            description = "202 with the job and its Location; GET it for the progress, then GET its file.")
    @APIResponse(responseCode = "202", description = "The job, queued",
            headers = @Header(name = "Location", description = "/reports/{id}", schema = @Schema(type = SchemaType.STRING)),
            content = @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ReportJob.class)))
    @APIResponse(responseCode = "422", ref = "ValidationFailed")
    @APIResponse(responseCode = "429", ref = "TooManyRequests")
    public Uni<Response> create(@Valid ReportJobRequest request) {
        return jobs.create(tenant.id(), request)
                .map(job -> Response.accepted(job).location(URI.create("/reports/" + job.id())).build());
    }

    @GET
    @Path("/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "A report job: its state and progress")
    @APIResponseSchema(value = ReportJob.class, responseCode = "200", responseDescription = "The job")
    @APIResponse(responseCode = "404", ref = "NotFound")
    public Uni<ReportJob> get(@PathParam("id") String id) {
        return jobs.get(tenant.id(), id(id));
    }

    @GET
    @Path("/{id}/file")
    @Produces({"application/pdf", "text/csv", MediaType.APPLICATION_JSON})
    @Operation(summary = "A finished report job's file", description = "409 while the job is queued or running, or when it failed.")
    @APIResponse(responseCode = "200", description = "The file, in the job's format",
            headers = @Header(name = "Content-Disposition", description = "attachment; filename=\"...\"",
                    schema = @Schema(type = SchemaType.STRING)),
            content = {@Content(mediaType = "application/pdf", schema = @Schema(type = SchemaType.STRING, format = "binary")),
                    @Content(mediaType = "text/csv", schema = @Schema(type = SchemaType.STRING)),
                    @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(type = SchemaType.OBJECT))})
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "409", ref = "Conflict")
    public Uni<Response> file(@PathParam("id") String id) {
        return jobs.file(tenant.id(), id(id)).map(ReportFiles::download);
    }

    private static UUID id(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ProblemException.notFound("Report job '" + id + "'");
        }
    }
}
