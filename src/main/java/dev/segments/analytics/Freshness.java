package dev.segments.analytics;

import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.time.OffsetDateTime;

/**
 * When a model last ran over the tenant and when it runs next.
 *
 * @param computedAt the clock of the last run (null: never ran); every customer's values are those of that run
 *                   or of a later write
 * @param durationMs how long the last run took
 * @param changed    customers whose values the last run changed
 * @param nextRunAt  when the scheduler runs it next (null: only on demand)
 */
@Schema(name = "AnalyticsFreshness")
@Type("AnalyticsFreshness")
public record Freshness(
        @Schema(description = "The clock of the last run; absent when the model never ran")
        @Description("The clock of the last run; null when the model never ran") OffsetDateTime computedAt,
        @Schema(description = "How long the last run took (ms)") Long durationMs,
        @Schema(description = "Customers whose values the last run changed") Integer changed,
        @Schema(description = "When the scheduler runs the model next; absent: only on demand (or never ran: at the scheduler's next round)")
        @Description("When the scheduler runs the model next; null: only on demand") OffsetDateTime nextRunAt) {
}
