package dev.segments.analytics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    /** A segment's display name, e.g. "Can't lose them". */
    public static String label(String name) {
        return switch (name) {
            case "champions" -> "Champions";
            case "loyal" -> "Loyal";
            case "potentialLoyalists" -> "Potential loyalists";
            case "newCustomers" -> "New customers";
            case "promising" -> "Promising";
            case "needAttention" -> "Need attention";
            case "aboutToSleep" -> "About to sleep";
            case "atRisk" -> "At risk";
            case "cannotLoseThem" -> "Can't lose them";
            case "hibernating" -> "Hibernating";
            case "lost" -> "Lost";
            default -> throw new IllegalArgumentException("not an RFM segment: " + name);
        };
    }

    /** The key of a template segment: {@code rf-} and the name in kebab case, e.g. {@code rf-cannot-lose-them}. */
    public static String templateKey(String name) {
        return "rf-" + name.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The RF template rule of a named segment: its cells of the grid as conditions on {@code rfm.recency} and
     * {@code rfm.frequency} (recency values with the same frequencies grouped: {@code and(recency in R, frequency
     * in F)}, several groups under {@code or}), as a native rule tree of maps and lists. It holds exactly for the
     * customers whose {@code rfm.segment} is that name, and shows the grid, so a copy can move a boundary.
     */
    public static Map<String, Object> templateRule(String name) {
        Map<List<Integer>, List<Integer>> byFrequencies = new LinkedHashMap<>();
        for (int r = 1; r <= 5; r++) {
            List<Integer> fs = new ArrayList<>();
            for (int f = 1; f <= 5; f++) if (of(r, f).equals(name)) fs.add(f);
            if (!fs.isEmpty()) byFrequencies.computeIfAbsent(fs, k -> new ArrayList<>()).add(r);
        }
        if (byFrequencies.isEmpty()) throw new IllegalArgumentException("not an RFM segment: " + name);
        List<Object> groups = new ArrayList<>();
        byFrequencies.forEach((fs, rs) -> groups.add(Map.of("and", List.of(cond("rfm.recency", rs), cond("rfm.frequency", fs)))));
        return groups.size() == 1 ? castMap(groups.get(0)) : Map.of("or", groups);
    }

    private static Map<String, Object> cond(String field, List<Integer> values) {
        return values.size() == 1 ? Map.of("field", field, "op", "eq", "value", values.get(0))
                : Map.of("field", field, "op", "in", "value", values);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }
}
