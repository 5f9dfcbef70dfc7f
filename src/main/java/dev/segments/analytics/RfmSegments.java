package dev.segments.analytics;

import java.util.List;

/**
 * The named RFM segments, from the recency (R) and frequency (F) scores: the widely published RF grid (the
 * "RFM segmentation" map of R/F score patterns: champions 5[4-5], loyal [3-4][4-5], potential loyalists [4-5][2-3],
 * new customers 51, promising 41, need attention 33, about to sleep 3[1-2], at risk [1-2][3-4], can't lose them
 * [1-2]5, hibernating [1-2][1-2]) with its bottom cell R1 F1 named {@code lost}. Every one of the 25 cells has
 * exactly one name; docs/analytics.md prints the grid.
 */
public final class RfmSegments {

    /** The segment names in the order reports list them (best first). */
    public static final List<String> NAMES = List.of("champions", "loyal", "potentialLoyalists", "newCustomers",
            "promising", "needAttention", "aboutToSleep", "atRisk", "cannotLoseThem", "hibernating", "lost");

    private RfmSegments() {
    }

    /** The segment of a cell; r and f in 1..5. */
    public static String of(int r, int f) {
        if (r < 1 || r > 5 || f < 1 || f > 5) throw new IllegalArgumentException("scores are 1..5");
        return switch (r) {
            case 5 -> f >= 4 ? "champions" : f >= 2 ? "potentialLoyalists" : "newCustomers";
            case 4 -> f >= 4 ? "loyal" : f >= 2 ? "potentialLoyalists" : "promising";
            case 3 -> f >= 4 ? "loyal" : f == 3 ? "needAttention" : "aboutToSleep";
            default -> f == 5 ? "cannotLoseThem" : f >= 3 ? "atRisk" : (r == 1 && f == 1) ? "lost" : "hibernating";
        };
    }
}
