package dev.segments.analytics;

import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;
import java.util.List;

/**
 * The RFM model of a tenant: its configuration (with every default filled in), version (the ETag), freshness and
 * the report of its last run.
 */
@Schema(name = "RfmModel")
@Type("RfmModel")
public record RfmModel(
        @NonNull RfmConfig config,
        @Schema(description = "The configuration's version (the ETag); 0 while never saved") long version,
        @NonNull Freshness freshness,
        @NonNull Report report) {

    /**
     * Customers and revenue of the last run: in total, per cell of the recency x frequency grid (all 25, in
     * recency then frequency order) and per named segment (all 11, in {@link RfmSegments#NAMES} order).
     */
    @Schema(name = "RfmReport")
    @Type("RfmReport")
    public record Report(
            @Schema(description = "Customers with RFM scores (purchases counted in the window)") long customers,
            @Schema(description = "Their counted revenue in the window") @NonNull BigDecimal revenue,
            @Description("The 25 cells of the recency x frequency grid") @NonNull List<@NonNull Cell> cells,
            @Description("The 11 named segments") @NonNull List<@NonNull SegmentShare> segments) {
    }

    @Schema(name = "RfmCell")
    @Type("RfmCell")
    public record Cell(int recency, int frequency, @NonNull String segment, long customers, @NonNull BigDecimal revenue) {
    }

    @Schema(name = "RfmSegmentShare")
    @Type("RfmSegmentShare")
    public record SegmentShare(@NonNull String segment, long customers, @NonNull BigDecimal revenue) {
    }
}
