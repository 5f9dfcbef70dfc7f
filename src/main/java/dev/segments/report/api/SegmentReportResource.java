package dev.segments.report.api;

import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.report.ReportDtos.SegmentReport;
import dev.segments.report.service.ReportService;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.GET;
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

/**
 * A segment's report (docs/insight.md, "Reports"): one URL per format, so that a CRM can link or download it
 * without content negotiation. Rendered while the request waits; POST /reports renders it as a job instead.
 */
@Path("/segments")
@Tag(name = "Reports")
public class SegmentReportResource {

    private final ReportService reports;
    private final CurrentTenant tenant;

    SegmentReportResource(ReportService reports, CurrentTenant tenant) {
        this.reports = reports;
        this.tenant = tenant;
    }

    @GET
    @Path("/{key}/report.pdf")
    @Produces("application/pdf")
    @Operation(summary = "A segment's report as a PDF",
            description = "Key, name, tier, description, the rule in words, size now and its history (line chart), "
                    + "the profile (bars), the RFM grid (heat map, or \"not computed\") and effectiveness figures.")
    @APIResponse(responseCode = "200", description = "The PDF",
            headers = @Header(name = "Content-Disposition", description = "attachment; filename=\"segment-<key>.pdf\"",
                    schema = @Schema(type = SchemaType.STRING)),
            content = @Content(mediaType = "application/pdf", schema = @Schema(type = SchemaType.STRING, format = "binary")))
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "503", ref = "QueryTimeout")
    public Uni<Response> pdf(@PathParam("key") String key) {
        return reports.segmentFile(tenant.id(), key, "pdf", ReportService.Progress.NONE).map(ReportFiles::download);
    }

    @GET
    @Path("/{key}/report.csv")
    @Produces("text/csv")
    @Operation(summary = "A segment's report as CSV: one figure per row (section, metric, item, value)")
    @APIResponse(responseCode = "200", description = "CSV with a header row",
            headers = @Header(name = "Content-Disposition", description = "attachment; filename=\"segment-<key>.csv\"",
                    schema = @Schema(type = SchemaType.STRING)),
            content = @Content(mediaType = "text/csv", schema = @Schema(type = SchemaType.STRING)))
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "503", ref = "QueryTimeout")
    public Uni<Response> csv(@PathParam("key") String key) {
        return reports.segmentFile(tenant.id(), key, "csv", ReportService.Progress.NONE).map(ReportFiles::download);
    }

    @GET
    @Path("/{key}/report.json")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "A segment's report as JSON: the figures of the PDF")
    @APIResponseSchema(value = SegmentReport.class, responseCode = "200", responseDescription = "The report")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "503", ref = "QueryTimeout")
    public Uni<SegmentReport> json(@PathParam("key") String key) {
        return reports.segmentReport(tenant.id(), key, ReportService.Progress.NONE);
    }
}
