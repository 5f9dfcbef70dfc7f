package dev.segments.activity;

import dev.segments.customer.ImportReport.LineError;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/**
 * The outcome of a bulk activity import (POST /purchases/import, ...): {@code lines = stored + duplicates + failed},
 * and the counts are what the database holds.
 */
@Schema(name = "ActivityImportReport")
public record ActivityImportReport(
        @Schema(description = "Data records read (CSV header and blank lines not counted); stored + duplicates + failed") long lines,
        @Schema(description = "Items stored now") long stored,
        @Schema(description = "Items whose externalId was already recorded (or appeared earlier in the body): not stored again") long duplicates,
        @Schema(description = "Lines not stored, each with at least one entry in errors (when not truncated)") long failed,
        @Schema(description = "Problems found, listed or not (a line may have several)") long errorCount,
        @Schema(description = "The problems of the rejected lines in body order (up to segments.limits.import-max-reported-errors)") List<LineError> errors,
        @Schema(description = "Whether more problems were found than are listed") boolean errorsTruncated) {
}
