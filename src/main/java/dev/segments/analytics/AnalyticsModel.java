package dev.segments.analytics;

import java.util.Optional;

/** The analytics models a tenant configures and runs (issue 15); {@code json} is the path segment. */
public enum AnalyticsModel {
    /** Recency, frequency and monetary scores over the tenant's buyers (ranks the whole base). */
    RFM("rfm"),
    /** new / active / passive / dormant per customer, from time windows. */
    ACTIVITY("activity"),
    /** ABC classes by share of revenue (ranks the whole base) and XYZ classes by the variation of each customer's revenue. */
    ABC_XYZ("abc-xyz"),
    /** Points of the tenant's scoring rules per customer, and their temperature. */
    LEAD_SCORING("lead-scoring"),
    /** Big/small revenue x soon/late to the first purchase (median split over the buyers, or fixed thresholds). */
    VALUE_QUADRANTS("value-quadrants");

    private final String json;

    AnalyticsModel(String json) {
        this.json = json;
    }

    public String json() {
        return json;
    }

    public static Optional<AnalyticsModel> fromJson(String s) {
        for (AnalyticsModel m : values()) if (m.json.equals(s)) return Optional.of(m);
        return Optional.empty();
    }
}
