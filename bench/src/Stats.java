import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Order statistics of repeated measurements (nearest-rank percentiles on the sorted sample). */
final class Stats {

    private Stats() {
    }

    static double pct(Collection<? extends Number> values, double p) {
        List<Double> s = sorted(values);
        if (s.isEmpty()) return Double.NaN;
        if (p <= 0) return s.get(0);
        if (p >= 100) return s.get(s.size() - 1);
        // linear interpolation between closest ranks (the usual "type 7" definition)
        double pos = (s.size() - 1) * p / 100.0;
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return s.get(lo) + (s.get(hi) - s.get(lo)) * (pos - lo);
    }

    static double median(Collection<? extends Number> values) {
        return pct(values, 50);
    }

    static List<Double> sorted(Collection<? extends Number> values) {
        List<Double> s = new ArrayList<>();
        for (Number n : values) s.add(n.doubleValue());
        s.sort(Double::compare);
        return s;
    }

    /** median, p25, p75, min, max (and p95/p99 when asked) of a sample, rounded to 0.01. */
    static Map<String, Object> summary(Collection<? extends Number> values, boolean tails) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", values.size());
        m.put("median", round(median(values)));
        m.put("p25", round(pct(values, 25)));
        m.put("p75", round(pct(values, 75)));
        m.put("min", round(pct(values, 0)));
        m.put("max", round(pct(values, 100)));
        if (tails) {
            m.put("p95", round(pct(values, 95)));
            m.put("p99", round(pct(values, 99)));
            double sum = 0;
            for (Number n : values) sum += n.doubleValue();
            m.put("mean", round(values.isEmpty() ? Double.NaN : sum / values.size()));
        }
        return m;
    }

    static double round(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) return v;
        return Math.round(v * 100.0) / 100.0;
    }
}
