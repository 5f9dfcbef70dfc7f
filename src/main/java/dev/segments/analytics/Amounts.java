package dev.segments.analytics;

import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * Which purchases a model counts (RFM, ABC/XYZ, value quadrants).
 *
 * @param currency     only purchases in this currency count (null: every purchase, amounts added as they are)
 * @param positiveOnly only purchases with a positive amount count (refunds and zero amounts do not)
 */
@Schema(name = "AnalyticsAmounts")
@Type("AnalyticsAmounts")
public record Amounts(
        @Schema(description = "Only purchases in this currency count; null: every purchase", nullable = true) String currency,
        @Schema(description = "Only purchases with a positive amount count (default false: refunds lower the revenue)")
        boolean positiveOnly) {

    /** Every purchase, refunds included. */
    public static final Amounts ALL = new Amounts(null, false);
}
