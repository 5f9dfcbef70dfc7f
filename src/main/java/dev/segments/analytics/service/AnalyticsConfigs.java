package dev.segments.analytics.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.analytics.ActivityConfig;
import dev.segments.analytics.RfmConfig;
import dev.segments.common.error.Problem;
import dev.segments.common.error.ProblemException;
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
        RfmConfig.Amounts amounts = d.amounts();
        JsonNode a = doc.get("amounts");
        if (a != null && !a.isNull() && r.object(a, "/amounts")) {
            r.known(a, "/amounts", Set.of("currency", "positiveOnly"));
            String currency = null;
            JsonNode c = a.get("currency");
            if (c != null && !c.isNull()) {
                if (!c.isTextual() || !c.asText().matches("[A-Z]{3}")) {
                    r.error("/amounts/currency", "invalid_value", "currency must be an ISO 4217 code such as EUR, or null");
                } else {
                    currency = c.asText();
                }
            }
            boolean positiveOnly = false;
            JsonNode p = a.get("positiveOnly");
            if (p != null && !p.isNull()) {
                if (!p.isBoolean()) r.error("/amounts/positiveOnly", "invalid_type", "positiveOnly must be true or false");
                else positiveOnly = p.asBoolean();
            }
            amounts = new RfmConfig.Amounts(currency, positiveOnly);
        }
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
        JsonNode v = doc.get(name);
        if (v == null || v.isNull()) return dflt;
        if (!v.isTextual() || !allowed.contains(v.asText())) {
            error("/" + name, "invalid_value", name + " must be one of " + String.join(", ", allowed));
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
