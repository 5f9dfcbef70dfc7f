package dev.segments.report;

import dev.segments.segment.InsightDtos.Effectiveness;
import dev.segments.segment.InsightDtos.Profile;
import dev.segments.segment.InsightDtos.RfmGrid;
import dev.segments.segment.MembershipDtos.SizePoint;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;

/** Reports people read (docs/insight.md, "Reports"): the segment report's data and the report jobs. */
public final class ReportDtos {

    private ReportDtos() {
    }

    /** The file formats of every report. */
    public static final List<String> FORMATS = List.of("pdf", "csv", "json");

    @Schema(name = "SegmentReport", description = "One segment for people: what it is, the rule in words, its size and "
            + "history, its profile, its RFM grid and its effectiveness")
    public record SegmentReport(
            @NonNull OffsetDateTime generatedAt,
            @NonNull String key, @NonNull String name, @NonNull String kind, @NonNull String tier, String description,
            @Schema(description = "The rule in words (null for a static segment)") String rule,
            @Schema(description = "Members now (the profile's size)") long size,
            @Schema(description = "The tenant's customers") long baseSize,
            @Schema(description = "size / baseSize") BigDecimal share,
            @Schema(description = "Size at the end of each UTC day, oldest first (GET /segments/{key}/history)")
            @NonNull List<@NonNull SizePoint> history,
            @NonNull Profile profile,
            @NonNull RfmGrid rfm,
            @NonNull Effectiveness effectiveness) {
    }

    @Schema(name = "ReportJobRequest", description = "Which report to render in the background, in which format")
    @Type("ReportJobRequest")
    public record ReportJobRequest(
            @NotNull @Pattern(regexp = "segment|segments", message = "must be segment or segments")
            @Schema(enumeration = {"segment", "segments"}, description = "segment: one segment's report (segment "
                    + "required); segments: the tenant overview", required = true)
            @Description("segment (one segment's report; segment required) or segments (the tenant overview)")
            String report,
            @Size(max = 100) @Schema(description = "The segment's key (report segment)") String segment,
            @Pattern(regexp = "pdf|csv|json", message = "must be pdf, csv or json")
            @Schema(enumeration = {"pdf", "csv", "json"}, description = "Default pdf") String format) {
    }

    @Schema(name = "ReportJob", description = "A report rendered in the background")
    @Type("ReportJob")
    public record ReportJob(
            @NonNull UUID id,
            @Schema(enumeration = {"segment", "segments"}) @NonNull String report,
            String segment,
            @Schema(enumeration = {"pdf", "csv", "json"}) @NonNull String format,
            @Schema(enumeration = {"queued", "running", "succeeded", "failed"}) @NonNull String state,
            @NonNull ReportProgress progress,
            @Schema(description = "Why the job failed (state failed)") String error,
            @NonNull OffsetDateTime createdAt,
            OffsetDateTime finishedAt,
            @Schema(description = "When the job and its file are deleted") @NonNull OffsetDateTime expiresAt,
            @Schema(description = "The file's media type (state succeeded)") String mediaType,
            @Schema(description = "The file's size in bytes (state succeeded)") Long size,
            @Schema(description = "Where to download the file (state succeeded): GET /reports/{id}/file") String file) {
    }

    @Schema(name = "ReportProgress")
    @Type("ReportProgress")
    public record ReportProgress(
            @Schema(description = "Steps finished") int done,
            @Schema(description = "Steps in all") int total,
            @Schema(description = "done / total as a whole percent") int percent,
            @Schema(description = "The step under way or last finished (profile, history, rfm, effectiveness, render ...)")
            String step) {
    }

    /** A rendered report file. */
    public record Rendered(byte[] bytes, String mediaType, String fileName) {
    }
}
