package dev.segments.activity;

import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.time.OffsetDateTime;

/** An import job and its progress (GET /imports/{id}). */
@Schema(name = "ImportJob")
public record ImportJobView(
        @Schema(description = "The client's id (Import-Id header or id parameter) or a generated one") String id,
        @Schema(enumeration = {"customers", "purchases", "interactions", "events"}) String stream,
        @Schema(enumeration = {"ndjson", "csv"}) String format,
        @Schema(enumeration = {"queued", "running", "completed", "failed", "cancelled"}, description = "queued: waiting for a worker (or for the tenant's running jobs); running; completed; failed (see failure); cancelled") String state,
        @Schema(description = "Bytes of the upload") long bytes,
        @Schema(description = "Bytes of the upload imported and committed (a restart resumes here)") long bytesDone,
        @Schema(description = "Records read (CSV header and blank lines not counted)") long rowsRead,
        @Schema(description = "Rows stored (customers: created or updated)") long stored,
        @Schema(description = "Rows already stored (activity: a known externalId; customers: unchanged)") long duplicates,
        @Schema(description = "Lines rejected; their problems are at /imports/{id}/errors") long failed,
        @Schema(description = "Problems found (a line may have several)") long errorCount,
        @Schema(description = "Rows read per second by the current (or last) run") double rowsPerSecond,
        @Schema(description = "Estimated seconds until a running job completes (from its byte rate); absent when not running or not yet known") Long secondsLeft,
        @Schema(description = "Why a failed job failed") String failure,
        OffsetDateTime createdAt,
        OffsetDateTime startedAt,
        OffsetDateTime updatedAt,
        OffsetDateTime finishedAt) {
}
