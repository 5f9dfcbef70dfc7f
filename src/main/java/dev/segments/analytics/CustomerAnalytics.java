package dev.segments.analytics;

import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;
import java.time.OffsetDateTime;

/**
 * A customer's analytics values, as rules read them ({@code rfm.*}, {@code activityStatus}, {@code abcClass},
 * {@code xyzClass}, {@code abcXyz}, {@code leadScore}, {@code leadTemperature}, {@code valueQuadrant}).
 *
 * @param customerId the customer
 * @param rfm        the RFM scores; null when the customer has no purchases counted in the model's window
 * @param activity   the activity status
 * @param abcXyz     the ABC and XYZ classes; null when the customer has neither
 * @param lead       the lead score; null while the lead-scoring model has no rules (or never ran)
 * @param value      the value quadrant; null without purchases counted in the model's window
 */
@Schema(name = "CustomerAnalytics")
@Type("CustomerAnalytics")
public record CustomerAnalytics(
        @Schema(description = "The customer's id") long customerId,
        @Schema(description = "Absent when the customer has no purchases counted in the RFM window (rfm.* isNotSet)")
        @Description("Null when the customer has no purchases counted in the RFM window (rfm.* isNotSet)") Rfm rfm,
        @NonNull Activity activity,
        @Schema(description = "Absent when the customer has neither an ABC nor an XYZ class")
        @Description("Null when the customer has neither an ABC nor an XYZ class") AbcXyz abcXyz,
        @Schema(description = "Absent while the lead-scoring model has no rules (leadScore isNotSet)")
        @Description("Null while the lead-scoring model has no rules") Lead lead,
        @Schema(description = "Absent without purchases counted in the value-quadrant window (valueQuadrant isNotSet)")
        @Description("Null without purchases counted in the value-quadrant window") Value value) {

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

    @Schema(name = "CustomerAbcXyz")
    @Type("CustomerAbcXyz")
    public record AbcXyz(
            @Schema(enumeration = {"A", "B", "C"}, description = "Absent without purchases in the ABC window")
            @Description("Null without purchases in the ABC window") String abcClass,
            @Schema(enumeration = {"X", "Y", "Z"}, description = "Absent without purchases in the XYZ horizon")
            @Description("Null without purchases in the XYZ horizon") String xyzClass,
            @Schema(description = "Both classes, e.g. AX; absent unless both are set") String abcXyz,
            @Schema(description = "The counted revenue in the ABC window behind abcClass") BigDecimal revenue,
            @Schema(description = "The coefficient of variation of the revenue per period behind xyzClass (6 decimals); absent when "
                    + "Z for want of a series (purchases in fewer than two periods, or no positive revenue)")
            BigDecimal variation,
            @Schema(description = "Periods of the XYZ horizon with counted purchases") Integer periodsWithPurchases,
            @Schema(description = "When these values were last computed (a run, or a purchase write for XYZ)")
            @NonNull OffsetDateTime computedAt) {
    }

    @Schema(name = "CustomerLead")
    @Type("CustomerLead")
    public record Lead(
            @Schema(description = "The sum of the points earned, 2 decimals") @NonNull BigDecimal score,
            @Schema(enumeration = {"hot", "warm", "cold"}) @NonNull String temperature,
            @Schema(description = "When the score was last computed (a write of the customer or a run)") @NonNull OffsetDateTime computedAt) {
    }

    @Schema(name = "CustomerValue")
    @Type("CustomerValue")
    public record Value(
            @Schema(enumeration = {"bigSoon", "bigLate", "smallSoon", "smallLate"}) @NonNull String quadrant,
            @Schema(description = "The counted revenue in the window") @NonNull BigDecimal revenue,
            @Schema(description = "Days from first contact to first purchase (2 decimals)") @NonNull BigDecimal daysToValue,
            @Schema(description = "The run these values are from") @NonNull OffsetDateTime computedAt) {
    }
}
