package dev.segments.analytics;

import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;
import java.time.OffsetDateTime;

/**
 * A customer's analytics values, as rules read them ({@code rfm.*}, {@code activityStatus}).
 *
 * @param customerId the customer
 * @param rfm        the RFM scores; null when the customer has no purchases counted in the model's window
 * @param activity   the activity status
 */
@Schema(name = "CustomerAnalytics")
@Type("CustomerAnalytics")
public record CustomerAnalytics(
        @Schema(description = "The customer's id") long customerId,
        @Schema(description = "Absent when the customer has no purchases counted in the RFM window (rfm.* isNotSet)")
        @Description("Null when the customer has no purchases counted in the RFM window (rfm.* isNotSet)") Rfm rfm,
        @NonNull Activity activity) {

    @Schema(name = "CustomerRfm")
    @Type("CustomerRfm")
    public record Rfm(
            @Schema(description = "1..5, 5: bought most recently") int recency,
            @Schema(description = "1..5, 5: most purchases in the window") int frequency,
            @Schema(description = "1..5, 5: most revenue in the window") int monetary,
            @Schema(description = "recency, frequency and monetary as three digits", examples = "545") @NonNull String score,
            @Schema(description = "The named segment of the recency and frequency scores") @NonNull String segment,
            @Schema(description = "The counted revenue in the window behind the monetary score") @NonNull BigDecimal monetaryValue,
            @Schema(description = "The run these values are from") @NonNull OffsetDateTime computedAt) {
    }

    @Schema(name = "CustomerActivity")
    @Type("CustomerActivity")
    public record Activity(
            @Schema(enumeration = {"new", "active", "passive", "dormant"}) @NonNull String status,
            @Schema(description = "When the status was last computed (a write of the customer or a run of the model)")
            @NonNull OffsetDateTime computedAt) {
    }
}
