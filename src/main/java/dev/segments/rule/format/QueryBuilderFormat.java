package dev.segments.rule.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.rule.Operator;
import dev.segments.rule.format.TranslationBuilder.Cmp;
import dev.segments.rule.format.TranslationBuilder.Src;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static dev.segments.rule.RuleParser.kind;
import static dev.segments.rule.format.TranslationBuilder.F;
import static dev.segments.rule.format.TranslationBuilder.child;

/**
 * react-querybuilder (https://react-querybuilder.js.org) queries to and from the native language. The mapping
 * and its conventions are documented in docs/rule-semantics.md ("Other formats").
 */
final class QueryBuilderFormat {

    /** Reserved field: {"field": "$segment", "operator": "=", "value": "<segment key>"} is {"segment": key}. */
    static final String SEGMENT_FIELD = "$segment";
    /** Reserved field: {"field": "$aggregate", "operator": "=", "value": {native aggregate}} is that aggregate. */
    static final String AGGREGATE_FIELD = "$aggregate";

    private static final Set<String> GROUP_KEYS = Set.of("combinator", "rules", "not", "id", "path", "disabled");
    private static final Set<String> RULE_KEYS = Set.of("field", "operator", "value", "valueSource", "id", "path", "disabled");

    private enum Kind { NO_VALUE, LIST, PAIR, SCALAR, COMPARE }

    /** What an RQB operator means: a native operator (possibly negated) or a typed comparison. */
    private record Op(Operator nativeOp, Kind kind, boolean negate, Cmp cmp) {
        static Op of(Operator nativeOp, Kind kind) { return new Op(nativeOp, kind, false, null); }

        static Op not(Operator nativeOp, Kind kind) { return new Op(nativeOp, kind, true, null); }

        static Op cmp(Cmp cmp) { return new Op(null, Kind.COMPARE, false, cmp); }
    }

    /** Keys are lower case: operators are matched case-insensitively. */
    private static final Map<String, Op> OPS = new HashMap<>();

    static {
        // react-querybuilder's default operators
        OPS.put("=", Op.of(Operator.EQ, Kind.SCALAR));
        OPS.put("!=", Op.cmp(Cmp.NE));
        OPS.put("<", Op.cmp(Cmp.LT));
        OPS.put(">", Op.cmp(Cmp.GT));
        OPS.put("<=", Op.cmp(Cmp.LE));
        OPS.put(">=", Op.cmp(Cmp.GE));
        OPS.put("contains", Op.of(Operator.CONTAINS, Kind.SCALAR));
        OPS.put("beginswith", Op.of(Operator.STARTS_WITH, Kind.SCALAR));
        OPS.put("endswith", Op.of(Operator.ENDS_WITH, Kind.SCALAR));
        OPS.put("doesnotcontain", Op.of(Operator.NOT_CONTAINS, Kind.SCALAR));
        OPS.put("doesnotbeginwith", Op.not(Operator.STARTS_WITH, Kind.SCALAR));
        OPS.put("doesnotendwith", Op.not(Operator.ENDS_WITH, Kind.SCALAR));
        OPS.put("null", Op.of(Operator.IS_NOT_SET, Kind.NO_VALUE));
        OPS.put("notnull", Op.of(Operator.IS_SET, Kind.NO_VALUE));
        OPS.put("in", Op.of(Operator.IN, Kind.LIST));
        OPS.put("notin", Op.of(Operator.NOT_IN, Kind.LIST));
        OPS.put("between", Op.of(Operator.BETWEEN, Kind.PAIR));
        OPS.put("notbetween", Op.not(Operator.BETWEEN, Kind.PAIR));
        // every native operator by its own name (accepted for compatibility: the field list offered these before
        // it offered the standard names above; within, notWithin and the list operators have no other name)
        for (Operator o : Operator.values()) {
            Kind k = switch (o) {
                case IS_SET, IS_NOT_SET -> Kind.NO_VALUE;
                case IN, NOT_IN, HAS_ANY, HAS_ALL, HAS_NONE -> Kind.LIST;
                case BETWEEN -> Kind.PAIR;
                case EQ, NEQ, CONTAINS, NOT_CONTAINS, STARTS_WITH, ENDS_WITH, GT, GTE, LT, LTE, BEFORE, AFTER, WITHIN,
                     NOT_WITHIN -> Kind.SCALAR;
            };
            OPS.putIfAbsent(o.json().toLowerCase(Locale.ROOT), Op.of(o, k));
        }
    }

    private final TranslationBuilder tb;

    private QueryBuilderFormat(TranslationBuilder tb) { this.tb = tb; }

    // ================================================================ react-querybuilder -> native

    static JsonNode toNative(TranslationBuilder tb, JsonNode query) {
        QueryBuilderFormat f = new QueryBuilderFormat(tb);
        if (query == null || query.isMissingNode() || query.isNull()) {
            tb.error("", "invalid_format", "the query is missing");
            return null;
        }
        if (!query.isObject() || !query.has("rules")) {
            tb.error("", "invalid_format", "a react-querybuilder query must be a rule group {\"combinator\", \"rules\": [...]}, got "
                    + (query.isObject() ? "an object without 'rules'" : kind(query)));
            return null;
        }
        return f.group(query, "", "", true, 1);
    }

    private JsonNode item(JsonNode e, String sp, String np, int depth) {
        if (e != null && e.isObject() && e.has("rules")) return group(e, sp, np, false, depth);
        if (e != null && e.isObject() && e.has("field")) return rule(e, sp, np);
        tb.error(sp, "invalid_format", "expected a rule {\"field\", \"operator\", \"value\"} or a group "
                + "{\"combinator\", \"rules\"}, got " + (e != null && e.isObject() ? "an object with neither 'field' nor 'rules'" : kind(e)));
        return null;
    }

    private void disabled(JsonNode n, String sp) {
        JsonNode d = n.get("disabled");
        if (d == null || d.isNull() || (d.isBoolean() && !d.booleanValue())) return;
        if (!d.isBoolean()) tb.error(child(sp, "disabled"), "invalid_format", "'disabled' must be a boolean");
        else tb.error(child(sp, "disabled"), "unsupported_feature",
                "disabled rules and groups are not supported: remove them (a rule is never partly applied)");
    }

    private JsonNode group(JsonNode g, String sp, String np, boolean root, int depth) {
        if (depth > TranslationBuilder.MAX_DEPTH) {
            tb.error(sp, "too_deep", "the query is nested deeper than " + TranslationBuilder.MAX_DEPTH + " levels");
            return null;
        }
        int errorsBefore = tb.errors.size();
        tb.unknownKeys(g, sp, GROUP_KEYS, "a rule group");
        disabled(g, sp);
        boolean not = false;
        JsonNode n = g.get("not");
        if (n != null && !n.isNull()) {
            if (n.isBoolean()) not = n.booleanValue();
            else tb.error(child(sp, "not"), "invalid_format", "'not' must be a boolean");
        }
        String rp = child(sp, "rules");
        JsonNode rules = g.get("rules");
        if (!rules.isArray()) {
            tb.error(rp, "invalid_format", "'rules' must be an array of rules and groups");
            return null;
        }
        if (rules.isEmpty()) {
            tb.error(rp, "empty_group", "a group needs at least one rule (an empty group has no meaning in the rule language)");
            return null;
        }
        boolean ic = false;
        for (JsonNode r : rules) if (r.isTextual()) ic = true;
        JsonNode comb = g.get("combinator");
        List<Integer> items = new ArrayList<>();
        List<String> combinators = new ArrayList<>(); // ic: the combinator before items[i+1]
        String combinator = "and";
        if (ic) {
            if (comb != null && !comb.isNull()) {
                tb.error(child(sp, "combinator"), "invalid_format",
                        "a group with independent combinators (strings between its rules) has no 'combinator'");
            }
            for (int i = 0; i < rules.size(); i++) {
                JsonNode r = rules.get(i);
                if (i % 2 == 0) {
                    if (r.isTextual()) tb.error(child(rp, i), "invalid_format", "expected a rule or group here, got combinator '" + r.asText() + "'");
                    else items.add(i);
                } else {
                    String c = r.isTextual() ? combinator(r.asText(), child(rp, i)) : null;
                    if (!r.isTextual()) tb.error(child(rp, i), "invalid_format",
                            "with independent combinators every second entry must be \"and\" or \"or\", got " + kind(r));
                    combinators.add(c);
                }
            }
            if (rules.size() % 2 == 0) tb.error(child(rp, rules.size() - 1), "invalid_format",
                    "a group with independent combinators must not end with a combinator");
        } else {
            if (comb == null || comb.isNull()) {
                if (rules.size() > 1) tb.error(sp, "missing_key", "missing key 'combinator' (\"and\" or \"or\")");
            } else if (!comb.isTextual()) {
                tb.error(child(sp, "combinator"), "invalid_format", "'combinator' must be \"and\" or \"or\"");
            } else {
                combinator = combinator(comb.asText(), child(sp, "combinator"));
            }
            for (int i = 0; i < rules.size(); i++) items.add(i);
        }
        if (tb.errors.size() != errorsBefore) {
            // the group cannot be built: still translate its children, each (if it translates) validated on its own
            for (int i : items) {
                String p = child(child(np, "and"), i);
                tb.fragment(p, item(rules.get(i), child(rp, i), p, depth + 1));
            }
            return null;
        }

        if (items.size() == 1) {
            int i = items.get(0);
            if (not) return tb.not(np, sp, p -> item(rules.get(i), child(rp, i), p, depth + 1));
            // RQB cannot put a bare rule at the root: a root group with one rule stands for that rule
            if (root) return item(rules.get(i), child(rp, i), np, depth + 1);
        }
        final String body = combinator;
        Function<String, JsonNode> build = ic
                ? p -> independent(rules, rp, items, combinators, sp, p, depth)
                : p -> tb.group(p, sp, body, parts(rules, rp, items, depth));
        return not ? tb.not(np, sp, build) : build.apply(np);
    }

    private String combinator(String s, String ptr) {
        String c = s.toLowerCase(Locale.ROOT);
        if (c.equals("and") || c.equals("or")) return c;
        tb.error(ptr, "unsupported_combinator", "combinator '" + s + "' is not supported (\"and\" or \"or\")");
        return null;
    }

    private List<Function<String, JsonNode>> parts(JsonNode rules, String rp, List<Integer> indexes, int depth) {
        List<Function<String, JsonNode>> parts = new ArrayList<>();
        for (int i : indexes) parts.add(p -> item(rules.get(i), child(rp, i), p, depth + 1));
        return parts;
    }

    /** Independent combinators: "and" binds tighter than "or" (as in react-querybuilder's convertFromIC). */
    private JsonNode independent(JsonNode rules, String rp, List<Integer> items, List<String> combinators,
                                 String sp, String np, int depth) {
        List<List<Integer>> chains = new ArrayList<>();
        List<Integer> chain = new ArrayList<>();
        chain.add(items.get(0));
        for (int k = 1; k < items.size(); k++) {
            if (combinators.get(k - 1).equals("or")) {
                chains.add(chain);
                chain = new ArrayList<>();
            }
            chain.add(items.get(k));
        }
        chains.add(chain);
        if (chains.size() == 1) return tb.group(np, sp, "and", parts(rules, rp, chains.get(0), depth));
        List<Function<String, JsonNode>> ors = new ArrayList<>();
        for (List<Integer> c : chains) {
            if (c.size() == 1) {
                int i = c.get(0);
                ors.add(p -> item(rules.get(i), child(rp, i), p, depth + 1));
            } else {
                ors.add(p -> tb.group(p, sp, "and", parts(rules, rp, c, depth)));
            }
        }
        return tb.group(np, sp, "or", ors);
    }

    private String requiredText(JsonNode r, String sp, String key) {
        JsonNode v = r.get(key);
        if (v == null || v.isNull()) {
            tb.error(sp, "missing_key", "missing key '" + key + "'");
            return null;
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            tb.error(child(sp, key), "invalid_format", "'" + key + "' must be a non-empty string");
            return null;
        }
        return v.asText();
    }

    private JsonNode rule(JsonNode r, String sp, String np) {
        tb.unknownKeys(r, sp, RULE_KEYS, "a rule");
        disabled(r, sp);
        String field = requiredText(r, sp, "field");
        String opName = requiredText(r, sp, "operator");
        boolean fromField = false;
        JsonNode vs = r.get("valueSource");
        if (vs != null && !vs.isNull()) {
            if (vs.isTextual() && vs.asText().equals("field")) fromField = true;
            else if (!vs.isTextual() || !vs.asText().equals("value")) {
                tb.error(child(sp, "valueSource"), "invalid_format", "'valueSource' must be \"value\" or \"field\"");
                return null;
            }
        }
        if (field == null || opName == null) return null;
        Op op = OPS.get(opName.toLowerCase(Locale.ROOT));
        String opPtr = child(sp, "operator");
        String vp = child(sp, "value");
        JsonNode value = r.get("value");
        if (field.equals(SEGMENT_FIELD)) return segment(sp, np, opName, value, fromField);
        if (field.equals(AGGREGATE_FIELD)) return aggregate(sp, np, opName, value, fromField);
        if (op == null) {
            tb.error(opPtr, "unsupported_operator", "operator '" + opName + "' has no equivalent in the rule language");
            return null;
        }
        Src src = new Src(sp, child(sp, "field"), opPtr, vp);

        JsonNode nv = null;          // native value; null: omitted
        boolean split = false;       // the value was a comma-separated string
        if (op.kind() != Kind.NO_VALUE && value != null) {
            if (fromField) {
                if (op.kind() == Kind.LIST || op.kind() == Kind.PAIR) {
                    tb.error(child(sp, "valueSource"), "unsupported_value",
                            "valueSource \"field\" is only supported with single-value operators");
                    return null;
                }
                if (!value.isTextual() || value.asText().isEmpty()) {
                    tb.error(vp, "invalid_value", "with valueSource \"field\" the value must be a field name");
                    return null;
                }
                nv = TranslationBuilder.ref(value.asText());
            } else if ((op.kind() == Kind.LIST || op.kind() == Kind.PAIR) && value.isTextual()) {
                nv = splitList(value.asText());
                split = true;
            } else if (op.kind() == Kind.LIST && (value.isNumber() || value.isBoolean())) {
                nv = F.arrayNode().add(TranslationBuilder.copy(value));
                split = true;
            } else {
                nv = TranslationBuilder.copy(value);
            }
        }
        final JsonNode v = nv;
        JsonNode out;
        if (op.kind() == Kind.COMPARE) out = tb.compare(np, src, field, op.cmp(), v);
        else if (op.negate()) out = tb.not(np, sp, p -> tb.condition(p, src, field, op.nativeOp(), v));
        else out = tb.condition(np, src, field, op.nativeOp(), v);
        if (split) remapSplit(np, vp);
        return out;
    }

    /** A comma-split value cannot be pointed into: every pointer under a native "value" points at the string. */
    private void remapSplit(String np, String vp) {
        for (Map.Entry<String, String> e : new ArrayList<>(tb.subtree.entrySet())) {
            if (e.getValue().equals(vp) && (e.getKey().equals(np) || e.getKey().startsWith(np + "/"))) {
                tb.subtree.remove(e.getKey());
                tb.map(e.getKey(), vp);
            }
        }
    }

    /**
     * react-querybuilder's list convention: split at commas not preceded by a backslash ("\," is a literal comma),
     * trim every item, drop empty items. Items stay strings (the native validator accepts decimal strings).
     */
    static ArrayNode splitList(String s) {
        ArrayNode a = F.arrayNode();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length() && s.charAt(i + 1) == ',') {
                cur.append(',');
                i++;
            } else if (c == ',') {
                addItem(a, cur);
            } else {
                cur.append(c);
            }
        }
        addItem(a, cur);
        return a;
    }

    private static void addItem(ArrayNode a, StringBuilder cur) {
        String t = cur.toString().strip();
        if (!t.isEmpty()) a.add(t);
        cur.setLength(0);
    }

    private JsonNode segment(String sp, String np, String opName, JsonNode value, boolean fromField) {
        String o = opName.toLowerCase(Locale.ROOT);
        boolean negate;
        if (o.equals("=") || o.equals(Operator.EQ.json())) negate = false;
        else if (o.equals("!=") || o.equals(Operator.NEQ.json())) negate = true;
        else {
            tb.error(child(sp, "operator"), "unsupported_operator",
                    "a segment reference ('" + SEGMENT_FIELD + "') takes operator \"=\" (member) or \"!=\" (not a member)");
            return null;
        }
        String vp = child(sp, "value");
        if (fromField || value == null || !value.isTextual() || value.asText().isEmpty()) {
            tb.error(value == null ? sp : vp, value == null ? "missing_key" : "invalid_value",
                    "a segment reference ('" + SEGMENT_FIELD + "') needs the segment key as its value");
            return null;
        }
        Function<String, JsonNode> ref = p -> {
            tb.map(p, sp);
            tb.map(child(p, "segment"), vp);
            ObjectNode s = F.objectNode();
            s.put("segment", value.asText());
            return s;
        };
        return negate ? tb.not(np, sp, ref) : ref.apply(np);
    }

    private JsonNode aggregate(String sp, String np, String opName, JsonNode value, boolean fromField) {
        String o = opName.toLowerCase(Locale.ROOT);
        if (!o.equals("=") && !o.equals(Operator.EQ.json())) {
            tb.error(child(sp, "operator"), "unsupported_operator",
                    "an aggregate ('" + AGGREGATE_FIELD + "') takes operator \"=\"; the comparison is inside the aggregate");
            return null;
        }
        String vp = child(sp, "value");
        if (fromField || value == null || !value.isObject() || !value.has("aggregate")) {
            tb.error(value == null ? sp : vp, value == null ? "missing_key" : "invalid_value",
                    "an aggregate ('" + AGGREGATE_FIELD + "') needs a native aggregate object as its value, "
                            + "e.g. {\"aggregate\": \"count\", \"of\": \"purchases\", \"op\": \"gte\", \"value\": 2}");
            return null;
        }
        tb.map(np, sp);
        tb.mapSubtree(np, vp);
        return TranslationBuilder.copy(value);
    }

    // ================================================================ native -> react-querybuilder

    /**
     * react-querybuilder's standard operator for a native one, where it means the same (it is used when it reads
     * back as exactly that condition: {@code <} with a ref to a time field reads back as {@code lt} without a
     * catalog, so {@code before} keeps its own name in an export without one).
     */
    private static final Map<Operator, String> STANDARD = Map.ofEntries(
            Map.entry(Operator.EQ, "="), Map.entry(Operator.NEQ, "!="),
            Map.entry(Operator.LT, "<"), Map.entry(Operator.LTE, "<="),
            Map.entry(Operator.GT, ">"), Map.entry(Operator.GTE, ">="),
            Map.entry(Operator.BEFORE, "<"), Map.entry(Operator.AFTER, ">"),
            Map.entry(Operator.CONTAINS, "contains"), Map.entry(Operator.NOT_CONTAINS, "doesNotContain"),
            Map.entry(Operator.STARTS_WITH, "beginsWith"), Map.entry(Operator.ENDS_WITH, "endsWith"),
            Map.entry(Operator.IS_SET, "notNull"), Map.entry(Operator.IS_NOT_SET, "null"),
            Map.entry(Operator.IN, "in"), Map.entry(Operator.NOT_IN, "notIn"),
            Map.entry(Operator.BETWEEN, "between"));

    /** Standard operators for {"not": condition}: doesNotBeginWith, doesNotEndWith, notBetween, != on time values. */
    private static final Map<Operator, String> NEGATED = Map.of(
            Operator.STARTS_WITH, "doesNotBeginWith", Operator.ENDS_WITH, "doesNotEndWith",
            Operator.BETWEEN, "notBetween", Operator.EQ, "!=");

    /** The query for a structurally valid native rule (RuleParser has accepted it). */
    static ObjectNode fromNative(JsonNode rule) {
        return fromNative(rule, null);
    }

    /**
     * The query for a structurally valid native rule; the catalog (may be null) is the one the rule was validated
     * against: standard operator names are only written where they read back as the same rule with it (without a
     * catalog: where they read back without one, so {@code before} with a ref keeps its name there).
     */
    static ObjectNode fromNative(JsonNode rule, dev.segments.rule.FieldCatalog catalog) {
        ObjectNode e = new Exporter(catalog).node(rule);
        // react-querybuilder always has a group at the root, and a root group with one rule (no not) is that rule
        if (!e.has("rules")) return wrap(e);
        if (!e.path("not").asBoolean(false) && e.get("rules").size() == 1) return wrap(e);
        return e;
    }

    private static ObjectNode wrap(ObjectNode item) {
        ObjectNode g = F.objectNode();
        g.put("combinator", "and");
        g.putArray("rules").add(item);
        return g;
    }

    private record Exporter(dev.segments.rule.FieldCatalog catalog) {

        ObjectNode node(JsonNode n) {
            if (n.has("and") || n.has("or")) {
                ObjectNode inclusive = n.has("and") ? inclusive(n) : null;
                if (inclusive != null) return inclusive;
                String c = n.has("and") ? "and" : "or";
                ObjectNode g = F.objectNode();
                g.put("combinator", c);
                ArrayNode rules = g.putArray("rules");
                for (JsonNode ch : n.get(c)) rules.add(node(ch));
                return g;
            }
            if (n.has("not")) {
                JsonNode inner = n.get("not");
                ObjectNode folded = negated(n, inner);
                if (folded != null) return folded;
                boolean multiGroup = (inner.has("and") && inner.get("and").size() > 1)
                        || (inner.has("or") && inner.get("or").size() > 1);
                if (multiGroup) {
                    ObjectNode g = node(inner);
                    if (g.has("rules")) {
                        ObjectNode out = F.objectNode();
                        out.put("combinator", g.get("combinator").asText());
                        out.put("not", true);
                        out.set("rules", g.get("rules"));
                        return out;
                    }
                }
                ObjectNode out = F.objectNode();
                out.put("combinator", "and");
                out.put("not", true);
                out.putArray("rules").add(node(inner));
                return out;
            }
            if (n.has("aggregate")) {
                ObjectNode r = F.objectNode();
                r.put("field", AGGREGATE_FIELD);
                r.put("operator", "=");
                r.set("value", TranslationBuilder.copy(n));
                return r;
            }
            if (n.has("segment")) {
                ObjectNode r = F.objectNode();
                r.put("field", SEGMENT_FIELD);
                r.put("operator", "=");
                r.put("value", n.get("segment").asText());
                return r;
            }
            String op = n.get("op").asText();
            String standard = Operator.fromJson(op).map(STANDARD::get).orElse(null);
            if (standard != null) {
                ObjectNode candidate = rule(n, standard);
                if (readsBack(candidate, n)) return candidate;
            }
            return rule(n, op);
        }

        /** {"not": startsWith | endsWith | between | eq on a time value} as one rule, where that reads back. */
        private ObjectNode negated(JsonNode n, JsonNode inner) {
            if (!inner.has("op") || !inner.has("field")) return null;
            String name = Operator.fromJson(inner.get("op").asText()).map(NEGATED::get).orElse(null);
            if (name == null) return null;
            ObjectNode candidate = rule(inner, name);
            return readsBack(candidate, n) ? candidate : null;
        }

        /**
         * {"and": [isSet f, (isSet g,) {"not": after|before}]}, which is what {@code <=} / {@code >=} on time
         * values import as, back as that one rule.
         */
        private ObjectNode inclusive(JsonNode n) {
            JsonNode parts = n.get("and");
            if (parts.size() < 2 || parts.size() > 3) return null;
            JsonNode last = parts.get(parts.size() - 1).path("not");
            String op = last.path("op").asText("");
            String name = op.equals(Operator.AFTER.json()) ? "<=" : op.equals(Operator.BEFORE.json()) ? ">=" : null;
            if (name == null) return null;
            ObjectNode candidate = rule(last, name);
            return readsBack(candidate, n) ? candidate : null;
        }

        /** The rule {field, operator, value} of native condition n, written with operator {@code name}. */
        private static ObjectNode rule(JsonNode n, String name) {
            ObjectNode r = F.objectNode();
            r.put("field", n.get("field").asText());
            r.put("operator", name);
            JsonNode v = n.get("value");
            if (v == null) {
                r.put("value", ""); // react-querybuilder's empty value; ignored for null / notNull
            } else if (TranslationBuilder.isRef(v)) {
                r.put("value", v.get("ref").asText());
                r.put("valueSource", "field");
            } else {
                r.set("value", TranslationBuilder.copy(v));
            }
            return r;
        }

        /**
         * Whether importing {@code rule} gives exactly {@code expected} with the catalog the export is for (the
         * service imports with the tenant's), or without a catalog when there is none.
         */
        private boolean readsBack(ObjectNode rule, JsonNode expected) {
            return readsBack(rule, expected, catalog);
        }

        private static boolean readsBack(ObjectNode rule, JsonNode expected, dev.segments.rule.FieldCatalog catalog) {
            TranslationBuilder check = new TranslationBuilder(catalog);
            JsonNode back = new QueryBuilderFormat(check).item(rule, "", "", 1);
            return check.errors.isEmpty() && expected.equals(back);
        }
    }
}
