package dev.segments.analytics;

import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;
import java.util.List;

/** The lead-scoring model of a tenant: configuration, version (the ETag), freshness and the score distribution. */
@Schema(name = "LeadScoringModel")
@Type("LeadScoringModel")
public record LeadScoringModel(
        @NonNull LeadScoringConfig config,
        @Schema(description = "The configuration's version (the ETag); 0 while never saved") long version,
        @NonNull Freshness freshness,
        @NonNull Report report) {

    public static final List<String> TEMPERATURES = List.of("hot", "warm", "cold");

    /** The stored scores: how many, their range and mean, per temperature and per histogram bucket. */
    @Schema(name = "LeadScoreReport")
    @Type("LeadScoreReport")
    public record Report(
            @Schema(description = "Customers with a lead score") long customers,
            @Schema(description = "Lowest score; absent without scores") @Description("Lowest score; null without scores") BigDecimal min,
            @Schema(description = "Highest score; absent without scores") @Description("Highest score; null without scores") BigDecimal max,
            @Schema(description = "Mean score (2 decimals); absent without scores") @Description("Mean score; null without scores") BigDecimal average,
            @Description("hot, warm and cold, in that order") @NonNull List<@NonNull TemperatureCount> temperatures,
            @Schema(description = "The width of the histogram's buckets") @NonNull BigDecimal bucketWidth,
            @Description("The non-empty buckets [from, to) of the given width, lowest first") @NonNull List<@NonNull Bucket> histogram) {
    }

    @Schema(name = "LeadTemperatureCount")
    @Type("LeadTemperatureCount")
    public record TemperatureCount(@Schema(enumeration = {"hot", "warm", "cold"}) @NonNull String temperature, long customers) {
    }

    @Schema(name = "LeadScoreBucket")
    @Type("LeadScoreBucket")
    public record Bucket(@Schema(description = "Lowest score of the bucket (inclusive): a multiple of the width") @NonNull BigDecimal from,
                         @Schema(description = "from + width (exclusive)") @NonNull BigDecimal to,
                         long customers) {
    }
}
