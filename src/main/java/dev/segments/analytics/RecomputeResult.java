package dev.segments.analytics;

import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.time.OffsetDateTime;

/** The outcome of one run of a model over a tenant. */
@Schema(name = "AnalyticsRun")
@Type("AnalyticsRun")
public record RecomputeResult(
        @Schema(enumeration = {"rfm", "activity", "abc-xyz", "lead-scoring", "value-quadrants"}) @NonNull String model,
        @NonNull OffsetDateTime computedAt,
        long durationMs,
        @Schema(description = "Customers whose values changed (their segment memberships were updated, cause analytics)") int changed,
        @Schema(description = "When the scheduler runs the model next; absent: only on demand") OffsetDateTime nextRunAt) {
}
