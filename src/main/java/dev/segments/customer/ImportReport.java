package dev.segments.customer;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/**
 * The outcome of a bulk import: counts, and the lines that were rejected (valid lines are kept regardless).
 * {@code lines = created + updated + unchanged + failed}, and the counts are what the database holds.
 */
@Schema(name = "ImportReport")
public record ImportReport(
        @Schema(description = "Data records read (CSV header and blank lines not counted); created + updated + unchanged + failed") long lines,
        @Schema(description = "Customers stored that did not exist") long created,
        @Schema(description = "Existing customers whose profile was replaced") long updated,
        @Schema(description = "Lines identical to the stored profile") long unchanged,
        @Schema(description = "Lines not stored, each with at least one entry in errors (when not truncated)") long failed,
        @Schema(description = "The problems of the rejected lines in body order, several per line if a line has several (up to segments.limits.import-max-reported-errors)") List<LineError> errors,
        @Schema(description = "Whether more problems were found than are listed") boolean errorsTruncated) {

    @Schema(name = "ImportLineError")
    public record LineError(
            @Schema(description = "1-based line number in the body (where the record starts, for a CSV record spanning lines)") long line,
            @Schema(description = "JSON Pointer into the line's record; empty for the whole line") String pointer,
            String code,
            String message) {
    }
}
