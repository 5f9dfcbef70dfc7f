package dev.segments.analytics;

import java.util.Optional;

/** The analytics models a tenant configures and runs (issue 15, first step); {@code json} is the path segment. */
public enum AnalyticsModel {
    /** Recency, frequency and monetary scores over the tenant's buyers (ranks the whole base). */
    RFM("rfm"),
    /** new / active / passive / dormant per customer, from time windows. */
    ACTIVITY("activity");

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
