package dev.segments.rule;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a parsed rule against a tenant's {@link FieldCatalog} and segments: fields, operators, value shapes and
 * types, aggregates, segment references and reference cycles. Reports every problem.
 */
public final class RuleValidator {

    private final FieldCatalog catalog;
    private final SegmentResolver resolver;

    public RuleValidator(FieldCatalog catalog, SegmentResolver resolver) {
        this.catalog = catalog;
        this.resolver = resolver == null ? SegmentResolver.NONE : resolver;
    }

    /** Every problem of the rule; empty when valid. */
    public List<RuleError> validate(RuleNode rule) {
        return validate(null, rule);
    }

    /**
     * Every problem of a rule about to be saved as segment {@code key} (null for an unsaved rule): besides
     * {@link #validate(RuleNode)}, a reference that reaches {@code key} is a {@code segment_cycle}.
     */
    public List<RuleError> validate(String key, RuleNode rule) {
        Run run = new Run(key);
        run.node(rule, null);
        return List.copyOf(run.errors);
    }

    /** The rule, validated; throws {@link InvalidRuleException} with every problem, if any. */
    public ValidatedRule check(RuleNode rule) {
        return check(null, rule);
    }

    /** Like {@link #check(RuleNode)} for a rule about to be saved as segment {@code key} (see {@link #validate(String, RuleNode)}). */
    public ValidatedRule check(String key, RuleNode rule) {
        List<RuleError> errors = validate(key, rule);
        if (!errors.isEmpty()) throw new InvalidRuleException(errors);
        return new ValidatedRule(rule, catalog);
    }

    private final class Run {
        final String selfKey;
        final List<RuleError> errors = new ArrayList<>();
        /** per referenced key: null when fine, else the error to report at the referencing node */
        final Map<String, Optional<RuleError>> segmentResults = new HashMap<>();

        Run(String selfKey) {
            this.selfKey = selfKey;
        }

        void error(String pointer, String code, String message) {
            errors.add(new RuleError(pointer, code, message));
        }

        /** stream == null: customer scope. */
        void node(RuleNode n, FieldCatalog.StreamDef stream) {
            switch (n) {
                case RuleNode.Group g -> g.children().forEach(ch -> node(ch, stream));
                case RuleNode.Not not -> node(not.child(), stream);
                case RuleNode.Condition c -> condition(c, stream);
                case RuleNode.Aggregate a -> aggregate(a);
                case RuleNode.SegmentRef s -> segment(s);
            }
        }

        void condition(RuleNode.Condition c, FieldCatalog.StreamDef stream) {
            String fp = c.pointer() + "/field";
            Optional<FieldDef> fd = stream == null ? catalog.customerField(c.field()) : stream.field(c.field());
            if (fd.isEmpty()) {
                error(fp, "unknown_field", stream == null
                        ? "unknown field '" + c.field() + "'"
                        : "unknown field '" + c.field() + "' for stream '" + stream.name() + "'");
                return;
            }
            FieldDef f = fd.get();
            if (!f.available()) {
                error(fp, "field_not_available", "field '" + f.name() + "' is not available yet");
                return;
            }
            if (f.typedByValue() && c.value() instanceof Value.Ref) {
                error(c.value().pointer(), "invalid_ref", "a ref cannot be compared with event property '" + f.name() + "'");
                return;
            }
            FieldType type = Typing.conditionType(f, c.op(), c.value()).orElse(null);
            comparison(c.pointer(), type, f.name() + "", type == null ? "" : type.json() + " field '" + f.name() + "'",
                    c.op(), c.value());
        }

        /**
         * Checks operator and value for a comparison against a value of the given type (null: any, only
         * isSet/isNotSet possible). what: e.g. "number field 'totalSpend'".
         */
        void comparison(String ptr, FieldType type, String name, String what, Operator op, Value value) {
            if (type != null && !type.operators().contains(op)) {
                error(ptr + "/op", "operator_not_allowed", "operator '" + op.json() + "' is not defined for " + what);
                return;
            }
            if (!op.takesValue()) return;
            String vp = ptr + "/value";
            if (value instanceof Value.Ref r) {
                ref(r, type, op);
                return;
            }
            if (value instanceof Value.Window) {
                error(vp, "invalid_value", "a {from, to} window is only allowed as an aggregate's 'within'");
                return;
            }
            switch (op) {
                case EQ, NEQ, GT, GTE, LT, LTE, BEFORE, AFTER -> scalar(value, type, vp, op);
                case IN, NOT_IN -> list(value, type, vp, op, false);
                case HAS_ANY, HAS_ALL, HAS_NONE -> list(value, FieldType.STRING, vp, op, false);
                case CONTAINS, NOT_CONTAINS, STARTS_WITH, ENDS_WITH -> scalar(value, FieldType.STRING, vp, op);
                case BETWEEN -> between(value, type, vp);
                case WITHIN, NOT_WITHIN -> {
                    if (!(value instanceof Value.Literal l) || !(l.value() instanceof String s)
                            || Values.duration(s).isEmpty()) {
                        error(vp, "invalid_duration", "operator '" + op.json()
                                + "' needs an ISO-8601 duration such as \"P90D\", \"PT12H\" or \"P1Y\"");
                    }
                }
                case IS_SET, IS_NOT_SET -> throw new IllegalStateException();
            }
        }

        void scalar(Value value, FieldType type, String vp, Operator op) {
            if (!(value instanceof Value.Literal l)) {
                error(vp, "invalid_value", "operator '" + op.json() + "' needs a single " + type.json() + " value");
                return;
            }
            literal(l, type);
        }

        /** Checks one literal against a type; reports at the literal's pointer. */
        boolean literal(Value.Literal l, FieldType type) {
            Object v = l.value();
            String problem = switch (type) {
                case STRING, STRING_LIST -> v instanceof String ? null : "expected a string";
                case NUMBER -> Values.decimal(v).isPresent() ? null
                        : "expected an exact decimal number (at most 30 integer and 20 fractional digits)";
                case INTEGER -> Values.integer(v).isPresent() ? null : "expected an integer";
                case BOOLEAN -> v instanceof Boolean ? null : "expected true or false";
                case DATE -> v instanceof String s && Values.date(s).isPresent() ? null : "expected a date YYYY-MM-DD";
                case TIMESTAMP -> v instanceof String s && Values.timeValue(s).isPresent() ? null
                        : "expected an ISO-8601 timestamp with offset (e.g. 2024-05-01T10:00:00Z) or a date YYYY-MM-DD";
            };
            if (problem != null) error(l.pointer(), "invalid_value", problem);
            return problem == null;
        }

        void list(Value value, FieldType type, String vp, Operator op, boolean allowEmpty) {
            if (!(value instanceof Value.ListValue lv)) {
                error(vp, "invalid_value", "operator '" + op.json() + "' needs an array of " + type.json() + " values");
                return;
            }
            if (lv.items().isEmpty() && !allowEmpty) {
                error(vp, "invalid_value", "operator '" + op.json() + "' needs a non-empty array");
                return;
            }
            for (Value.Literal l : lv.items()) literal(l, type);
        }

        void between(Value value, FieldType type, String vp) {
            if (!(value instanceof Value.ListValue lv) || lv.items().size() != 2) {
                error(vp, "invalid_value", "operator 'between' needs [min, max]");
                return;
            }
            Value.Literal a = lv.items().get(0), b = lv.items().get(1);
            boolean okA = literal(a, type), okB = literal(b, type);
            if (!okA || !okB) return;
            boolean ordered = switch (type) {
                case NUMBER, INTEGER -> Values.decimal(a.value()).orElseThrow().compareTo(Values.decimal(b.value()).orElseThrow()) <= 0;
                case DATE -> !Values.date((String) a.value()).orElseThrow().isAfter(Values.date((String) b.value()).orElseThrow());
                case TIMESTAMP -> !Values.timeValue((String) a.value()).orElseThrow().start()
                        .isAfter(Values.timeValue((String) b.value()).orElseThrow().last());
                case STRING, BOOLEAN, STRING_LIST -> true; // not ordered types: between is refused for them first
            };
            if (!ordered) error(vp, "invalid_value", "between needs min <= max");
        }

        void ref(Value.Ref r, FieldType type, Operator op) {
            String rp = r.pointer() + "/ref";
            Set<Operator> refOps = Set.of(Operator.EQ, Operator.NEQ, Operator.GT, Operator.GTE, Operator.LT,
                    Operator.LTE, Operator.BEFORE, Operator.AFTER);
            if (!refOps.contains(op)) {
                error(r.pointer(), "invalid_ref", "operator '" + op.json() + "' cannot compare with a ref");
                return;
            }
            Optional<FieldDef> fd = catalog.customerField(r.field());
            if (fd.isEmpty()) {
                error(rp, "invalid_ref", "ref names unknown customer field '" + r.field() + "'");
                return;
            }
            FieldDef f = fd.get();
            if (!f.available()) {
                error(rp, "field_not_available", "field '" + f.name() + "' is not available yet");
                return;
            }
            if (f.access() instanceof FieldDef.Age) {
                error(rp, "invalid_ref", "ref cannot name the derived field 'age'");
                return;
            }
            FieldType rt = f.type();
            boolean compatible = rt != FieldType.STRING_LIST
                    && (rt == type || (rt.isNumeric() && type != null && type.isNumeric()));
            if (!compatible) {
                error(rp, "invalid_ref", "ref field '" + f.name() + "' is " + rt.json() + ", not comparable with "
                        + (type == null ? "this value" : type.json()));
            }
        }

        void aggregate(RuleNode.Aggregate a) {
            Optional<FieldCatalog.StreamDef> sd = catalog.stream(a.stream());
            if (sd.isEmpty()) {
                error(a.pointer() + "/of", "unknown_stream",
                        "unknown stream '" + a.stream() + "' (" + String.join(", ", catalog.streamNames()) + ")");
                // still check within; fields and where need the stream
                within(a);
                return;
            }
            FieldCatalog.StreamDef stream = sd.get();
            FieldDef field = null;
            boolean fieldOk = true;
            if (a.fn() == RuleNode.AggregateFn.COUNT) {
                if (a.field() != null) {
                    error(a.pointer() + "/field", "aggregate_field_not_allowed", "count takes no field");
                    fieldOk = false;
                }
            } else if (a.field() == null) {
                error(a.pointer(), "aggregate_field_required", a.fn().json() + " needs a 'field' of stream '" + stream.name() + "'");
                fieldOk = false;
            } else {
                Optional<FieldDef> fd = stream.field(a.field());
                if (fd.isEmpty()) {
                    error(a.pointer() + "/field", "unknown_field", "unknown field '" + a.field() + "' for stream '" + stream.name() + "'");
                    fieldOk = false;
                } else {
                    field = fd.get();
                    FieldType t = field.type();
                    boolean numericOnly = a.fn() == RuleNode.AggregateFn.SUM || a.fn() == RuleNode.AggregateFn.AVG;
                    boolean ok = t == null || (numericOnly ? t.isNumeric() : (t.isNumeric() || t.isTime()));
                    if (!ok) {
                        error(a.pointer() + "/field", "aggregate_field_not_allowed", a.fn().json() + " needs a "
                                + (numericOnly ? "numeric" : "numeric or time") + " field; '" + field.name() + "' is " + t.json());
                        fieldOk = false;
                    }
                }
            }
            if (a.where() != null) node(a.where(), stream);
            within(a);
            if (fieldOk) {
                FieldType rt = Typing.aggregateType(a.fn(), field, a.value());
                comparison(a.pointer(), rt, a.fn().json(), "the result of " + a.fn().json() + " (" + rt.json() + ")",
                        a.op(), a.value());
            }
        }

        void within(RuleNode.Aggregate a) {
            if (a.within() == null) return;
            switch (a.within()) {
                case Value.Literal l -> {
                    if (!(l.value() instanceof String s) || Values.duration(s).isEmpty()) {
                        error(l.pointer(), "invalid_duration",
                                "'within' needs an ISO-8601 duration such as \"P90D\", \"PT12H\" or \"P1Y\", or {\"from\", \"to\"}");
                    }
                }
                case Value.Window w -> {
                    Values.TimeValue from = bound(w.from()), to = bound(w.to());
                    if (from != null && to != null && from.start().isAfter(to.last())) {
                        error(w.pointer(), "invalid_window", "window 'from' is after 'to'");
                    }
                }
                case Value.ListValue lv -> error(lv.pointer(), "invalid_window", "'within' must be a duration or {from, to}");
                case Value.Ref r -> error(r.pointer(), "invalid_window", "'within' must be a duration or {from, to}");
            }
        }

        Values.TimeValue bound(Value.Literal l) {
            if (l == null) return null;
            Optional<Values.TimeValue> t = l.value() instanceof String s ? Values.timeValue(s) : Optional.empty();
            if (t.isEmpty()) {
                error(l.pointer(), "invalid_window", "window bounds must be ISO-8601 timestamps with offset or dates YYYY-MM-DD");
                return null;
            }
            return t.get();
        }

        void segment(RuleNode.SegmentRef s) {
            if (s.key().equals(selfKey)) {
                error(s.pointer(), "segment_cycle", "segment '" + s.key() + "' cannot reference itself");
                return;
            }
            Optional<RuleError> result = segmentResults.get(s.key());
            if (result == null) {
                LinkedHashSet<String> path = new LinkedHashSet<>();
                if (selfKey != null) path.add(selfKey);
                result = Optional.ofNullable(checkSegment(s.key(), path, s.pointer()));
                segmentResults.put(s.key(), result);
            }
            result.ifPresent(e -> errors.add(new RuleError(s.pointer(), e.code(), e.message())));
        }

        /** Checks the segment {@code key} and everything it references; path holds the keys being visited. */
        RuleError checkSegment(String key, LinkedHashSet<String> path, String ptr) {
            Optional<ResolvedSegment> rs = resolver.resolve(key);
            if (rs.isEmpty()) {
                return path.size() <= (selfKey == null ? 0 : 1)
                        ? new RuleError(ptr, "unknown_segment", "unknown segment '" + key + "'")
                        : new RuleError(ptr, "invalid_segment", "segment '" + key + "', referenced via "
                        + path + ", does not exist");
            }
            if (!(rs.get() instanceof ResolvedSegment.Dynamic d)) return null;
            path.add(key);
            try {
                // the referenced rule must still be valid against the current catalog
                Run inner = new Run(null);
                inner.segmentResults.put(key, Optional.empty()); // refs are followed below, not by the inner run
                List<RuleNode.SegmentRef> refs = new ArrayList<>();
                collectAndCheck(d.rule(), inner, refs);
                if (!inner.errors.isEmpty()) {
                    RuleError e = inner.errors.get(0);
                    return new RuleError(ptr, "invalid_segment", "referenced segment '" + key + "' is no longer valid: "
                            + e.pointer() + " " + e.code() + ": " + e.message());
                }
                for (RuleNode.SegmentRef r : refs) {
                    if (path.contains(r.key())) {
                        List<String> cycle = new ArrayList<>(path);
                        cycle.add(r.key());
                        return new RuleError(ptr, "segment_cycle", "segment reference cycle: " + String.join(" -> ", cycle));
                    }
                    RuleError e = checkSegment(r.key(), path, ptr);
                    if (e != null) return e;
                }
                return null;
            } finally {
                path.remove(key);
            }
        }

        /** Validates a referenced rule (fields etc.) without following its refs, collecting them. */
        void collectAndCheck(RuleNode n, Run inner, List<RuleNode.SegmentRef> refs) {
            switch (n) {
                case RuleNode.Group g -> g.children().forEach(ch -> collectAndCheck(ch, inner, refs));
                case RuleNode.Not not -> collectAndCheck(not.child(), inner, refs);
                case RuleNode.Condition c -> inner.condition(c, null);
                case RuleNode.Aggregate a -> inner.aggregate(a);
                case RuleNode.SegmentRef s -> refs.add(s);
            }
        }
    }

}
