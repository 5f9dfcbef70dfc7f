package dev.segments.analytics;

import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;
import java.util.List;

/** The value-quadrant model of a tenant: configuration, version (the ETag), freshness and the four quadrants. */
@Schema(name = "ValueQuadrantModel")
@Type("ValueQuadrantModel")
public record ValueQuadrantModel(
        @NonNull ValueQuadrantConfig config,
        @Schema(description = "The configuration's version (the ETag); 0 while never saved") long version,
        @NonNull Freshness freshness,
        @NonNull Report report) {

    /** The quadrants in report order: much profit soon, much later, little soon, little later. */
    public static final List<String> QUADRANTS = List.of("bigSoon", "bigLate", "smallSoon", "smallLate");

    @Schema(name = "ValueQuadrantReport")
    @Type("ValueQuadrantReport")
    public record Report(
            @Schema(description = "Customers with a quadrant (purchases counted in the window)") long customers,
            @Schema(description = "Their counted revenue in the window") @NonNull BigDecimal revenue,
            @Schema(description = "Median revenue of those customers; absent without customers")
            @Description("Median revenue; null without customers") BigDecimal medianRevenue,
            @Schema(description = "Median days from first contact to first purchase; absent without customers")
            @Description("Median days to value; null without customers") BigDecimal medianDaysToValue,
            @Description("bigSoon, bigLate, smallSoon, smallLate") @NonNull List<@NonNull Quadrant> quadrants) {
    }

    @Schema(name = "ValueQuadrant")
    @Type("ValueQuadrant")
    public record Quadrant(@Schema(enumeration = {"bigSoon", "bigLate", "smallSoon", "smallLate"}) @NonNull String quadrant,
                           long customers, @NonNull BigDecimal revenue,
                           @Schema(description = "Share of the revenue of all quadrants (0..1, 4 decimals)") @NonNull BigDecimal revenueShare) {
    }
}
