package dev.segments.analytics;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;

/**
 * A tenant's ABC/XYZ model (docs/analytics.md). Every member is optional in a PUT; a missing one takes its default.
 *
 * @param window         ABC: purchases at or after now minus this ISO-8601 duration count
 * @param amounts        which purchases count (ABC and XYZ)
 * @param abc            the cumulative revenue shares that end A and B
 * @param xyz            the periods of the XYZ series and the bounds of X and Y
 * @param recomputeEvery how often the scheduler recomputes the model; null: only on demand
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@Schema(name = "AbcXyzConfig", description = "The ABC/XYZ model of the tenant; every member is optional (a missing one takes its default)")
@Type("AbcXyzConfig")
public record AbcXyzConfig(
        @Schema(description = "ABC: purchases at or after now minus this ISO-8601 duration count", defaultValue = "P365D", examples = "P365D")
        @Description("ABC: purchases at or after now minus this ISO-8601 duration count (default P365D)") String window,
        @Schema(description = "Which purchases count (ABC and XYZ)") Amounts amounts,
        @Schema(description = "ABC bounds") Abc abc,
        @Schema(description = "XYZ series and bounds") Xyz xyz,
        @Schema(description = "How often the scheduler recomputes the model (ISO-8601 duration, at least PT1M); null: only on demand",
                defaultValue = "P1D", nullable = true)
        @Description("How often the scheduler recomputes the model (ISO-8601 duration); null: only on demand") String recomputeEvery) {

    public static final AbcXyzConfig DEFAULT = new AbcXyzConfig("P365D", Amounts.ALL,
            new Abc(new BigDecimal("0.80"), new BigDecimal("0.95")),
            new Xyz("month", 12, new BigDecimal("0.10"), new BigDecimal("0.25")), "P1D");

    /**
     * Cumulative shares of the revenue, customers taken from the highest revenue down: A while the revenue of the
     * customers above is below {@code a} of the total, B while below {@code b}, C after.
     */
    @Schema(name = "AbcBounds")
    @Type("AbcBounds")
    public record Abc(
            @Schema(description = "A: the customers that make the top share a of the revenue (default 0.80); 0 < a < b", defaultValue = "0.80")
            @NonNull BigDecimal a,
            @Schema(description = "B: the next customers up to the cumulative share b (default 0.95: the next 15%); b <= 1", defaultValue = "0.95")
            @NonNull BigDecimal b) {
    }

    /**
     * The series: the {@code periods} complete calendar periods (UTC) before the one holding the clock, zero where
     * the customer bought nothing; X when the coefficient of variation is below {@code x}, Y up to {@code y}, Z above.
     */
    @Schema(name = "XyzSeries")
    @Type("XyzSeries")
    public record Xyz(
            @Schema(enumeration = {"week", "month", "quarter", "year"}, defaultValue = "month",
                    description = "The period of the series (calendar periods in UTC; weeks start on Monday)")
            @NonNull String period,
            @Schema(description = "How many complete periods before the current one (2..120, default 12)", defaultValue = "12")
            int periods,
            @Schema(description = "X: coefficient of variation below this (default 0.10 = 10%)", defaultValue = "0.10")
            @NonNull BigDecimal x,
            @Schema(description = "Y: coefficient of variation from x up to and including this (default 0.25); Z above", defaultValue = "0.25")
            @NonNull BigDecimal y) {
    }
}
