package dev.segments.analytics;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;
import java.util.List;

/**
 * A tenant's RFM model (docs/analytics.md). Every member is optional in a PUT; a missing one takes its default.
 *
 * @param window         purchases with occurredAt at or after now minus this ISO-8601 duration count
 * @param scoring        quintiles (ranks among the buyers of the window) or thresholds (fixed bounds)
 * @param thresholds     the bounds for scoring thresholds (absent for quintiles)
 * @param amounts        which purchases count
 * @param recomputeEvery how often the scheduler recomputes the model (ISO-8601 duration); null: only on demand
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@Schema(name = "RfmConfig", description = "The RFM model of the tenant; every member is optional (a missing one takes its default)")
@Type("RfmConfig")
public record RfmConfig(
        @Schema(description = "Purchases at or after now minus this ISO-8601 duration count", defaultValue = "P365D", examples = "P365D")
        @Description("Purchases at or after now minus this ISO-8601 duration count (default P365D)") String window,
        @Schema(enumeration = {"quintiles", "thresholds"}, defaultValue = "quintiles",
                description = "quintiles: ranks among the customers with purchases in the window; thresholds: the fixed bounds of thresholds")
        @Description("quintiles (default) or thresholds") String scoring,
        @Schema(description = "Required with scoring thresholds, absent otherwise") Thresholds thresholds,
        @Schema(description = "Which purchases count") Amounts amounts,
        @Schema(description = "How often the scheduler recomputes the model (ISO-8601 duration, at least PT1M); null: only on demand",
                defaultValue = "P1D", nullable = true)
        @Description("How often the scheduler recomputes the model (ISO-8601 duration); null: only on demand") String recomputeEvery) {

    public static final RfmConfig DEFAULT = new RfmConfig("P365D", "quintiles", null, Amounts.ALL, "P1D");

    public boolean byThresholds() {
        return "thresholds".equals(scoring);
    }

    /**
     * Fixed bounds, four per score, strictly ascending: a score is 1 plus the number of bounds the customer reaches.
     *
     * @param recency   durations: reached when the last counted purchase is at or after now minus it
     * @param frequency purchase counts: reached when the customer's count is at least it
     * @param monetary  amounts: reached when the customer's counted revenue is at least it
     */
    @Schema(name = "RfmThresholds")
    @Type("RfmThresholds")
    public record Thresholds(
            @Schema(description = "Four ISO-8601 durations, ascending, e.g. [\"P30D\",\"P90D\",\"P180D\",\"P270D\"]: recency 5 within the first, 1 beyond the last")
            List<String> recency,
            @Schema(description = "Four purchase counts, ascending, e.g. [2,3,5,10]: frequency 1 below the first, 5 from the last")
            List<BigDecimal> frequency,
            @Schema(description = "Four amounts, ascending: monetary 1 below the first, 5 from the last")
            List<BigDecimal> monetary) {
    }
}
