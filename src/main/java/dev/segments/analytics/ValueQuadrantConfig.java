package dev.segments.analytics;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;

/**
 * A tenant's value-quadrant model (docs/analytics.md): revenue in the window against the time from first contact
 * to first purchase. Every member is optional in a PUT; a missing one takes its default.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@Schema(name = "ValueQuadrantConfig", description = "The value-quadrant model of the tenant; every member is optional (a missing one takes its default)")
@Type("ValueQuadrantConfig")
public record ValueQuadrantConfig(
        @Schema(description = "The value: counted purchases at or after now minus this ISO-8601 duration", defaultValue = "P365D", examples = "P365D")
        @Description("The value: counted purchases at or after now minus this ISO-8601 duration (default P365D)") String window,
        @Schema(description = "Which purchases count") Amounts amounts,
        @Schema(description = "Fixed splits; a missing or null member splits at the median of the customers in the model")
        Thresholds thresholds,
        @Schema(description = "How often the scheduler recomputes the model (ISO-8601 duration, at least PT1M); null: only on demand",
                defaultValue = "P1D", nullable = true)
        @Description("How often the scheduler recomputes the model (ISO-8601 duration); null: only on demand") String recomputeEvery) {

    public static final ValueQuadrantConfig DEFAULT = new ValueQuadrantConfig("P365D", Amounts.ALL,
            new Thresholds(null, null), "P1D");

    /**
     * @param value       big: revenue in the window at least this (null: at least the median)
     * @param timeToValue soon: first purchase at most this ISO-8601 duration after first contact (null: at most the median)
     */
    @Schema(name = "ValueQuadrantThresholds")
    @Type("ValueQuadrantThresholds")
    public record Thresholds(
            @Schema(description = "big: revenue in the window at least this; null: at least the median", nullable = true)
            BigDecimal value,
            @Schema(description = "soon: the first purchase at most this ISO-8601 duration after the first contact; null: at most the median",
                    nullable = true, examples = "P30D")
            String timeToValue) {
    }
}
