package dev.segments.customer.api;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** The outcome of a bulk import: counts, and the lines that were rejected (valid lines are kept regardless). */
@Schema(name = "ImportReport")
public record ImportReport(
        @Schema(description = "Data lines read (CSV header and blank lines not counted)") long lines,
        long created,
        long updated,
        @Schema(description = "Lines identical to the stored profile") long unchanged,
        long failed,
        @Schema(description = "The first rejected lines (up to a configured maximum)") List<LineError> errors,
        @Schema(description = "Whether more lines failed than are listed") boolean errorsTruncated) {

    @Schema(name = "ImportLineError")
    public record LineError(
            @Schema(description = "1-based line number in the body") long line,
            @Schema(description = "JSON Pointer into the line's record") String pointer,
            String code,
            String message) {
    }
}
