package dev.segments.analytics.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.analytics.AbcXyzConfig;
import dev.segments.analytics.ActivityConfig;
import dev.segments.analytics.Amounts;
import dev.segments.analytics.LeadScoringConfig;
import dev.segments.analytics.RfmConfig;
import dev.segments.analytics.ValueQuadrantConfig;
import dev.segments.common.error.Problem;
import dev.segments.common.error.ProblemException;
import dev.segments.rule.RuleError;
import dev.segments.rule.ValidatedRule;
import dev.segments.rule.Values;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a model configuration sent as JSON like a rule is read: every problem is collected, each with a JSON
 * Pointer into the document, and reported in one 422 ({@code /problems/validation}); a valid document becomes the
 * configuration with every missing member set to its default.
 */
final class AnalyticsConfigs {

    /** Shortest schedule: a run every minute at most. */
    static final Duration MIN_SCHEDULE = Duration.ofMinutes(1);
    private static final OffsetDateTime REFERENCE = OffsetDateTime.parse("2000-01-01T00:00:00Z");

    private final List<Problem.FieldError> errors = new ArrayList<>();

    private AnalyticsConfigs() {
    }

    static RfmConfig rfm(JsonNode doc) {
        AnalyticsConfigs r = new AnalyticsConfigs();
        RfmConfig d = RfmConfig.DEFAULT;
        if (!r.object(doc, "")) r.fail();
        r.known(doc, "", Set.of("window", "scoring", "thresholds", "amounts", "recomputeEvery"));
        String window = r.duration(doc, "window", d.window(), false);
        String scoring = r.oneOf(doc, "scoring", d.scoring(), List.of("quintiles", "thresholds"));
        RfmConfig.Thresholds thresholds = null;
        JsonNode t = doc.get("thresholds");
        if ("thresholds".equals(scoring)) {
            if (t == null || t.isNull()) {
                r.error("/thresholds", "required", "scoring thresholds needs thresholds: recency, frequency and monetary bounds");
            } else if (r.object(t, "/thresholds")) {
                r.known(t, "/thresholds", Set.of("recency", "frequency", "monetary"));
                thresholds = new RfmConfig.Thresholds(r.recencyBounds(t), r.numberBounds(t, "frequency", true),
                        r.numberBounds(t, "monetary", false));
            }
        } else if (t != null && !t.isNull()) {
            r.error("/thresholds", "not_allowed", "thresholds apply only with scoring thresholds");
        }
        Amounts amounts = r.amounts(doc, d.amounts());
        String every = r.duration(doc, "recomputeEvery", d.recomputeEvery(), true);
        r.fail();
        return new RfmConfig(window, scoring, thresholds, amounts, every);
    }

    static ActivityConfig activity(JsonNode doc) {
        AnalyticsConfigs r = new AnalyticsConfigs();
        ActivityConfig d = ActivityConfig.DEFAULT;
        if (!r.object(doc, "")) r.fail();
        r.known(doc, "", Set.of("basis", "newWithin", "activeWithin", "passiveWithin", "recomputeEvery"));
        String basis = r.oneOf(doc, "basis", d.basis(), List.of("lastSeenAt", "lastPurchaseAt"));
        String newWithin = r.duration(doc, "newWithin", d.newWithin(), false);
        String active = r.duration(doc, "activeWithin", d.activeWithin(), false);
        String passive = r.duration(doc, "passiveWithin", d.passiveWithin(), false);
        if (active != null && passive != null && start(passive).isAfter(start(active))) {
            r.error("/passiveWithin", "invalid_value", "passiveWithin must not be shorter than activeWithin");
        }
        String every = r.duration(doc, "recomputeEvery", d.recomputeEvery(), true);
        r.fail();
        return new ActivityConfig(basis, newWithin, active, passive, every);
    }

    static AbcXyzConfig abcXyz(JsonNode doc) {
        AnalyticsConfigs r = new AnalyticsConfigs();
        AbcXyzConfig d = AbcXyzConfig.DEFAULT;
        if (!r.object(doc, "")) r.fail();
        r.known(doc, "", Set.of("window", "amounts", "abc", "xyz", "recomputeEvery"));
        String window = r.duration(doc, "window", d.window(), false);
        Amounts amounts = r.amounts(doc, d.amounts());
        AbcXyzConfig.Abc abc = d.abc();
        JsonNode a = doc.get("abc");
        if (a != null && !a.isNull() && r.object(a, "/abc")) {
            r.known(a, "/abc", Set.of("a", "b"));
            BigDecimal sa = r.share(a, "/abc", "a", d.abc().a());
            BigDecimal sb = r.share(a, "/abc", "b", d.abc().b());
            if (sa != null && sb != null && sa.compareTo(sb) >= 0) {
                r.error("/abc/b", "not_ascending", "b must be greater than a (both cumulative shares of the revenue)");
            }
            abc = new AbcXyzConfig.Abc(sa, sb);
        }
        AbcXyzConfig.Xyz xyz = d.xyz();
        JsonNode x = doc.get("xyz");
        if (x != null && !x.isNull() && r.object(x, "/xyz")) {
            r.known(x, "/xyz", Set.of("period", "periods", "x", "y"));
            String period = r.oneOf(x, "/xyz", "period", d.xyz().period(), List.of("week", "month", "quarter", "year"));
            int periods = d.xyz().periods();
            JsonNode n = x.get("periods");
            if (n != null && !n.isNull()) {
                if (!n.isIntegralNumber() || n.decimalValue().compareTo(BigDecimal.valueOf(2)) < 0
                        || n.decimalValue().compareTo(BigDecimal.valueOf(120)) > 0) {
                    r.error("/xyz/periods", "invalid_value", "periods must be a whole number from 2 to 120");
                } else {
                    periods = n.intValue();
                }
            }
            BigDecimal bx = r.positive(x, "/xyz", "x", d.xyz().x());
            BigDecimal by = r.positive(x, "/xyz", "y", d.xyz().y());
            if (bx != null && by != null && bx.compareTo(by) >= 0) {
                r.error("/xyz/y", "not_ascending", "y must be greater than x (coefficients of variation, 0.25 = 25%)");
            }
            xyz = new AbcXyzConfig.Xyz(period, periods, bx, by);
        }
        String every = r.duration(doc, "recomputeEvery", d.recomputeEvery(), true);
        r.fail();
        return new AbcXyzConfig(window, amounts, abc, xyz, every);
    }

    static ValueQuadrantConfig valueQuadrants(JsonNode doc) {
        AnalyticsConfigs r = new AnalyticsConfigs();
        ValueQuadrantConfig d = ValueQuadrantConfig.DEFAULT;
        if (!r.object(doc, "")) r.fail();
        r.known(doc, "", Set.of("window", "amounts", "thresholds", "recomputeEvery"));
        String window = r.duration(doc, "window", d.window(), false);
        Amounts amounts = r.amounts(doc, d.amounts());
        ValueQuadrantConfig.Thresholds thresholds = d.thresholds();
        JsonNode t = doc.get("thresholds");
        if (t != null && !t.isNull() && r.object(t, "/thresholds")) {
            r.known(t, "/thresholds", Set.of("value", "timeToValue"));
            BigDecimal value = null;
            JsonNode v = t.get("value");
            if (v != null && !v.isNull()) {
                if (!v.isNumber()) r.error("/thresholds/value", "invalid_type", "value must be an amount, or null for the median");
                else value = v.decimalValue();
            }
            String time = null;
            JsonNode tt = t.get("timeToValue");
            if (tt != null && !tt.isNull()) time = r.checkDuration(tt, "/thresholds/timeToValue", "timeToValue", false);
            thresholds = new ValueQuadrantConfig.Thresholds(value, time);
        }
        String every = r.duration(doc, "recomputeEvery", d.recomputeEvery(), true);
        r.fail();
        return new ValueQuadrantConfig(window, amounts, thresholds, every);
    }

    /** A scoring rule checked against the tenant's fields and segments: the validated rule, or its problems. */
    interface RuleCheck {
        /** Problems have pointers relative to the rule; {@code rule} is null when there are any. */
        record Checked(ValidatedRule rule, List<RuleError> errors) {
        }

        Checked check(JsonNode rule);
    }

    /** A valid lead-scoring configuration with its rules validated (in the order of {@code config.rules()}). */
    record Lead(LeadScoringConfig config, List<ValidatedRule> rules) {
    }

    /** Most scoring rules in a model. */
    static final int MAX_SCORING_RULES = 100;
    private static final BigDecimal MAX_POINTS = new BigDecimal("1e9");

    /**
     * Reads a lead-scoring configuration; every problem of every rule (the rule language's, pointers under
     * {@code /rules/i/rule}) and of the rest is reported in one 422.
     */
    static Lead leadScoring(JsonNode doc, RuleCheck rules) {
        AnalyticsConfigs r = new AnalyticsConfigs();
        LeadScoringConfig d = LeadScoringConfig.DEFAULT;
        if (!r.object(doc, "")) r.fail();
        r.known(doc, "", Set.of("rules", "temperature", "recomputeEvery"));
        List<LeadScoringConfig.ScoringRule> scoring = new ArrayList<>();
        List<ValidatedRule> validated = new ArrayList<>();
        JsonNode list = doc.get("rules");
        if (list != null && !list.isNull()) {
            if (!list.isArray()) {
                r.error("/rules", "invalid_type", "rules must be an array of scoring rules");
            } else if (list.size() > MAX_SCORING_RULES) {
                r.error("/rules", "invalid_value", "a model has at most " + MAX_SCORING_RULES + " scoring rules");
            } else {
                for (int i = 0; i < list.size(); i++) {
                    r.scoringRule(list.get(i), "/rules/" + i, rules, scoring, validated);
                }
            }
        }
        LeadScoringConfig.Temperature temperature = d.temperature();
        JsonNode t = doc.get("temperature");
        if (t != null && !t.isNull() && r.object(t, "/temperature")) {
            r.known(t, "/temperature", Set.of("hot", "warm"));
            BigDecimal hot = r.number(t, "/temperature", "hot", d.temperature().hot());
            BigDecimal warm = r.number(t, "/temperature", "warm", d.temperature().warm());
            if (hot != null && warm != null && hot.compareTo(warm) <= 0) {
                r.error("/temperature/hot", "not_ascending", "hot must be greater than warm");
            }
            temperature = new LeadScoringConfig.Temperature(hot, warm);
        }
        String every = r.duration(doc, "recomputeEvery", d.recomputeEvery(), true);
        r.fail();
        return new Lead(new LeadScoringConfig(List.copyOf(scoring), temperature, every), List.copyOf(validated));
    }

    private void scoringRule(JsonNode n, String pointer, RuleCheck rules, List<LeadScoringConfig.ScoringRule> out,
                             List<ValidatedRule> validated) {
        if (!object(n, pointer)) return;
        known(n, pointer, Set.of("name", "rule", "points", "decay"));
        String name = null;
        JsonNode nm = n.get("name");
        if (nm != null && !nm.isNull()) {
            if (!nm.isTextual() || nm.asText().length() > 200) {
                error(pointer + "/name", "invalid_value", "name must be a string of at most 200 characters");
            } else {
                name = nm.asText();
            }
        }
        JsonNode rule = n.get("rule");
        ValidatedRule valid = null;
        if (rule == null || rule.isNull()) {
            error(pointer + "/rule", "required", "a scoring rule needs a rule");
        } else {
            RuleCheck.Checked checked = rules.check(rule);
            checked.errors().forEach(e -> error(pointer + "/rule" + e.pointer(), e.code(), e.message()));
            valid = checked.rule();
        }
        BigDecimal points = null;
        JsonNode p = n.get("points");
        if (p == null || p.isNull()) {
            error(pointer + "/points", "required", "a scoring rule needs its points");
        } else if (!p.isNumber() || p.decimalValue().abs().compareTo(MAX_POINTS) > 0) {
            error(pointer + "/points", "invalid_value", "points must be a number from -1e9 to 1e9");
        } else {
            points = p.decimalValue();
        }
        LeadScoringConfig.Decay decay = null;
        JsonNode dn = n.get("decay");
        if (dn != null && !dn.isNull() && object(dn, pointer + "/decay")) {
            known(dn, pointer + "/decay", Set.of("halfLife"));
            JsonNode h = dn.get("halfLife");
            if (h == null || h.isNull()) {
                error(pointer + "/decay/halfLife", "required", "decay needs a halfLife");
            } else if (!h.isTextual() || halfLifeSeconds(h.asText()) == null) {
                error(pointer + "/decay/halfLife", "invalid_duration",
                        "halfLife must be a positive ISO-8601 duration of weeks, days or time (e.g. P14D, PT12H), not months or years");
            } else {
                decay = new LeadScoringConfig.Decay(h.asText());
            }
            if (valid != null && !ScoringRules.hasPositiveAggregate(valid.node())) {
                error(pointer + "/decay", "not_allowed", "decay ages the points by the latest activity the rule's aggregates"
                        + " select: the rule needs an aggregate (outside any not)");
            }
        }
        out.add(new LeadScoringConfig.ScoringRule(name, rule, points, decay));
        if (valid != null) validated.add(valid);
    }

    /** A half-life in seconds: a positive duration without months or years (weeks are 7 days); null otherwise. */
    static Long halfLifeSeconds(String halfLife) {
        Optional<Values.IsoDuration> d = Values.duration(halfLife);
        if (d.isEmpty() || d.get().period().getYears() != 0 || d.get().period().getMonths() != 0) return null;
        long seconds = d.get().period().getDays() * 86_400L + d.get().time().getSeconds();
        return seconds > 0 ? seconds : null;
    }

    /** The {@code amounts} member (which purchases count). */
    private Amounts amounts(JsonNode doc, Amounts dflt) {
        JsonNode a = doc.get("amounts");
        if (a == null || a.isNull() || !object(a, "/amounts")) return dflt;
        known(a, "/amounts", Set.of("currency", "positiveOnly"));
        String currency = null;
        JsonNode c = a.get("currency");
        if (c != null && !c.isNull()) {
            if (!c.isTextual() || !c.asText().matches("[A-Z]{3}")) {
                error("/amounts/currency", "invalid_value", "currency must be an ISO 4217 code such as EUR, or null");
            } else {
                currency = c.asText();
            }
        }
        boolean positiveOnly = false;
        JsonNode p = a.get("positiveOnly");
        if (p != null && !p.isNull()) {
            if (!p.isBoolean()) error("/amounts/positiveOnly", "invalid_type", "positiveOnly must be true or false");
            else positiveOnly = p.asBoolean();
        }
        return new Amounts(currency, positiveOnly);
    }

    /** A share in (0, 1]; the default when missing. */
    private BigDecimal share(JsonNode n, String at, String name, BigDecimal dflt) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber() || v.decimalValue().signum() <= 0 || v.decimalValue().compareTo(BigDecimal.ONE) > 0) {
            error(at + "/" + name, "invalid_value", name + " must be a share of the revenue above 0 and at most 1 (0.8 = 80%)");
            return null;
        }
        return v.decimalValue();
    }

    private BigDecimal positive(JsonNode n, String at, String name, BigDecimal dflt) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber() || v.decimalValue().signum() <= 0) {
            error(at + "/" + name, "invalid_value", name + " must be a positive number (0.1 = 10%)");
            return null;
        }
        return v.decimalValue();
    }

    private BigDecimal number(JsonNode n, String at, String name, BigDecimal dflt) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) return dflt;
        if (!v.isNumber()) {
            error(at + "/" + name, "invalid_type", name + " must be a number");
            return null;
        }
        return v.decimalValue();
    }

    /** The instant a duration reaches back to from a fixed reference (to compare durations with calendar units). */
    private static OffsetDateTime start(String duration) {
        return Values.duration(duration).orElseThrow().before(REFERENCE);
    }

    // ------------------------------------------------------------------ readers

    private void fail() {
        if (!errors.isEmpty()) throw ProblemException.validation(errors);
    }

    private void error(String pointer, String code, String message) {
        errors.add(new Problem.FieldError(pointer, code, message));
    }

    private boolean object(JsonNode n, String pointer) {
        if (n == null || !n.isObject()) {
            error(pointer, "invalid_type", (pointer.isEmpty() ? "the configuration" : pointer.substring(1)) + " must be a JSON object");
            return false;
        }
        return true;
    }

    private void known(JsonNode n, String pointer, Set<String> names) {
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            String k = it.next().getKey();
            if (!names.contains(k)) {
                error(pointer + "/" + k.replace("~", "~0").replace("/", "~1"), "unknown_member",
                        "unknown member '" + k + "'; expected one of " + String.join(", ", names.stream().sorted().toList()));
            }
        }
    }

    private String oneOf(JsonNode doc, String name, String dflt, List<String> allowed) {
        return oneOf(doc, "", name, dflt, allowed);
    }

    private String oneOf(JsonNode doc, String at, String name, String dflt, List<String> allowed) {
        JsonNode v = doc.get(name);
        if (v == null || v.isNull()) return dflt;
        if (!v.isTextual() || !allowed.contains(v.asText())) {
            error(at + "/" + name, "invalid_value", name + " must be one of " + String.join(", ", allowed));
            return null;
        }
        return v.asText();
    }

    /** An ISO-8601 duration member (positive; a schedule at least a minute); null when nullable and null. */
    private String duration(JsonNode doc, String name, String dflt, boolean schedule) {
        JsonNode v = doc.get(name);
        if (v == null) return dflt;
        if (v.isNull()) {
            if (schedule) return null;
            error("/" + name, "invalid_value", name + " must be an ISO-8601 duration such as P30D");
            return null;
        }
        return checkDuration(v, "/" + name, name, schedule);
    }

    private String checkDuration(JsonNode v, String pointer, String what, boolean schedule) {
        Optional<Values.IsoDuration> d = v.isTextual() ? Values.duration(v.asText()) : Optional.empty();
        if (d.isEmpty()) {
            error(pointer, "invalid_duration", what + " must be an ISO-8601 duration such as P30D or PT12H");
            return null;
        }
        OffsetDateTime from = d.get().before(REFERENCE);
        if (!from.isBefore(REFERENCE)) {
            error(pointer, "invalid_duration", what + " must be longer than zero");
            return null;
        }
        if (schedule && Duration.between(from, REFERENCE).compareTo(MIN_SCHEDULE) < 0) {
            error(pointer, "invalid_duration", what + " must be at least PT1M");
            return null;
        }
        return v.asText();
    }

    private List<String> recencyBounds(JsonNode t) {
        JsonNode v = t.get("recency");
        if (!fourBounds(v, "/thresholds/recency")) return null;
        List<String> out = new ArrayList<>();
        OffsetDateTime previous = null;
        for (int i = 0; i < 4; i++) {
            String d = checkDuration(v.get(i), "/thresholds/recency/" + i, "a recency bound", false);
            if (d == null) return null;
            OffsetDateTime from = start(d);
            if (previous != null && !from.isBefore(previous)) {
                error("/thresholds/recency/" + i, "not_ascending", "recency bounds must be strictly ascending durations");
                return null;
            }
            previous = from;
            out.add(d);
        }
        return out;
    }

    private List<BigDecimal> numberBounds(JsonNode t, String name, boolean counts) {
        JsonNode v = t.get(name);
        String pointer = "/thresholds/" + name;
        if (!fourBounds(v, pointer)) return null;
        List<BigDecimal> out = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            JsonNode n = v.get(i);
            if (!n.isNumber() || (counts && (!n.isIntegralNumber() || n.decimalValue().signum() <= 0))) {
                error(pointer + "/" + i, "invalid_type", counts ? "a frequency bound must be a positive whole number of purchases"
                        : "a monetary bound must be a number");
                return null;
            }
            BigDecimal b = n.decimalValue();
            if (!out.isEmpty() && b.compareTo(out.get(out.size() - 1)) <= 0) {
                error(pointer + "/" + i, "not_ascending", name + " bounds must be strictly ascending");
                return null;
            }
            out.add(b);
        }
        return out;
    }

    private boolean fourBounds(JsonNode v, String pointer) {
        if (v == null || !v.isArray() || v.size() != 4) {
            error(pointer, "invalid_value", "expected an array of four ascending bounds (scores 2, 3, 4 and 5)");
            return false;
        }
        return true;
    }
}
