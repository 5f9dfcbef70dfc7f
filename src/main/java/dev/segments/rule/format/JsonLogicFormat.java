package dev.segments.rule.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.rule.FieldCatalog;
import dev.segments.rule.FieldDef;
import dev.segments.rule.FieldType;
import dev.segments.rule.Operator;
import dev.segments.rule.format.TranslationBuilder.Cmp;
import dev.segments.rule.format.TranslationBuilder.Src;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import static dev.segments.rule.RuleParser.kind;
import static dev.segments.rule.format.TranslationBuilder.F;
import static dev.segments.rule.format.TranslationBuilder.child;

/**
 * JsonLogic (https://jsonlogic.com) to and from the native language, with custom operations for what JsonLogic
 * has no builtin for. The mapping and its conventions are documented in docs/rule-semantics.md ("Other formats").
 */
final class JsonLogicFormat {

    private static final Map<String, Cmp> COMPARISONS = Map.of(
            "==", Cmp.EQ, "===", Cmp.EQ, "!=", Cmp.NE, "!==", Cmp.NE,
            "<", Cmp.LT, "<=", Cmp.LE, ">", Cmp.GT, ">=", Cmp.GE);

    /** JsonLogic operations that exist but mean nothing in the rule language. */
    private static final Set<String> UNSUPPORTED = Set.of("if", "?:", "xor", "+", "-", "*", "/", "%", "min", "max",
            "cat", "substr", "map", "filter", "reduce", "all", "merge", "missing", "missing_some", "log", "var");

    private final TranslationBuilder tb;

    private JsonLogicFormat(TranslationBuilder tb) { this.tb = tb; }

    // ================================================================ JsonLogic -> native

    static JsonNode toNative(TranslationBuilder tb, JsonNode logic) {
        if (logic == null || logic.isMissingNode() || logic.isNull()) {
            tb.error("", "invalid_format", "the rule is missing");
            return null;
        }
        return new JsonLogicFormat(tb).rule(logic, "", "", 1);
    }

    private JsonNode rule(JsonNode j, String sp, String np, int depth) {
        if (depth > TranslationBuilder.MAX_DEPTH) {
            tb.error(sp, "too_deep", "the rule is nested deeper than " + TranslationBuilder.MAX_DEPTH + " levels");
            return null;
        }
        if (!j.isObject()) {
            tb.error(sp, "invalid_format", "expected a JsonLogic operation such as {\"and\": [...]} or "
                    + "{\"==\": [{\"var\": \"field\"}, value]}, got " + kind(j)
                    + (j.isBoolean() ? " (constant rules have no meaning in the rule language)" : ""));
            return null;
        }
        if (j.size() != 1) {
            tb.error(sp, "invalid_format", "a JsonLogic operation is an object with exactly one key (the operator), got "
                    + (j.isEmpty() ? "an empty object" : "keys " + names(j)));
            return null;
        }
        String op = j.fieldNames().next();
        JsonNode args = j.get(op);
        String ap = child(sp, op);
        if (op.equals("and") || op.equals("or")) return group(op, args, sp, ap, np, depth);
        if (op.equals("!")) return negation(args, sp, ap, np, depth);
        if (op.equals("!!")) return isSet(args, sp, ap, np);
        if (COMPARISONS.containsKey(op)) return comparison(op, args, sp, ap, np);
        if (op.equals("in")) return in(args, sp, ap, np);
        if (op.equals("some") || op.equals("none")) return someNone(op, args, sp, ap, np);
        if (op.equals("segment")) return segment(args, sp, ap, np);
        if (op.equals("aggregate")) return aggregate(args, sp, ap, np);
        var nativeOp = Operator.fromJson(op);
        if (nativeOp.isPresent()) return custom(nativeOp.get(), args, sp, ap, np);
        if (UNSUPPORTED.contains(op)) {
            String hint = switch (op) {
                case "var" -> "; a bare {\"var\": ...} is not a condition: use {\"!!\": {\"var\": f}} (isSet) or "
                        + "{\"==\": [{\"var\": f}, true]}";
                case "all" -> "; for stringList fields use {\"hasAll\": [{\"var\": f}, [values]]}";
                default -> "";
            };
            tb.error(ap, "unsupported_operator", "JsonLogic operation '" + op + "' has no equivalent in the rule language" + hint);
        } else {
            tb.error(ap, "unsupported_operator", "unknown operation '" + op + "'");
        }
        return null;
    }

    private static String names(JsonNode o) {
        List<String> n = new ArrayList<>();
        o.fieldNames().forEachRemaining(n::add);
        return n.toString();
    }

    private JsonNode group(String op, JsonNode args, String sp, String ap, String np, int depth) {
        if (!args.isArray()) {
            tb.error(ap, "invalid_format", "'" + op + "' takes an array of rules");
            return null;
        }
        if (args.isEmpty()) {
            tb.error(ap, "empty_group", "'" + op + "' needs at least one rule");
            return null;
        }
        List<Function<String, JsonNode>> parts = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            int k = i;
            parts.add(p -> rule(args.get(k), child(ap, k), p, depth + 1));
        }
        return tb.group(np, sp, op, parts);
    }

    /** The single argument of a unary operation: {"!": x} or {"!": [x]}. Null (reported) if there is not one. */
    private Arg unary(String op, JsonNode args, String ap) {
        if (!args.isArray()) return new Arg(args, ap);
        if (args.size() == 1) return new Arg(args.get(0), child(ap, 0));
        tb.error(ap, "invalid_format", "'" + op + "' takes one argument");
        return null;
    }

    private record Arg(JsonNode node, String ptr) {
    }

    private JsonNode negation(JsonNode args, String sp, String ap, String np, int depth) {
        Arg a = unary("!", args, ap);
        if (a == null) return null;
        if (isVar(a.node())) {
            String f = var(a.node(), a.ptr());
            return f == null ? null : tb.condition(np, new Src(sp, a.ptr(), ap, ap), f, Operator.IS_NOT_SET, null);
        }
        return tb.not(np, sp, p -> rule(a.node(), a.ptr(), p, depth + 1));
    }

    private JsonNode isSet(JsonNode args, String sp, String ap, String np) {
        Arg a = unary("!!", args, ap);
        if (a == null) return null;
        if (!isVar(a.node())) {
            tb.error(a.ptr(), "unsupported_value", "'!!' is supported on {\"var\": field} only (isSet)");
            return null;
        }
        String f = var(a.node(), a.ptr());
        return f == null ? null : tb.condition(np, new Src(sp, a.ptr(), ap, ap), f, Operator.IS_SET, null);
    }

    static boolean isVar(JsonNode n) { return n != null && n.isObject() && n.size() == 1 && n.has("var"); }

    /** The field name of {"var": "name"} or {"var": ["name"]}; defaults and non-field vars are rejected. */
    private String var(JsonNode v, String ptr) {
        JsonNode a = v.get("var");
        String vp = child(ptr, "var");
        if (a.isArray()) {
            if (a.size() == 2) {
                tb.error(child(vp, 1), "unsupported_value", "{\"var\": [name, default]} is not supported: a missing "
                        + "value is missing (conditions on it are false, isNotSet is true); write the default as an "
                        + "explicit condition, e.g. {\"or\": [{\"!\": {\"var\": f}}, ...]}");
                return null;
            }
            if (a.size() != 1) {
                tb.error(vp, "invalid_format", "'var' takes a field name");
                return null;
            }
            a = a.get(0);
            vp = child(vp, 0);
        }
        if (!a.isTextual()) {
            tb.error(vp, "unsupported_value", "'var' must name a field (a string), got " + kind(a));
            return null;
        }
        if (a.asText().isEmpty()) {
            tb.error(vp, "unsupported_value", "{\"var\": \"\"} (the whole data or the current element) is not a field");
            return null;
        }
        return a.asText();
    }

    /**
     * A value operand: {"var": g} is a ref to the customer field g; scalars and arrays of scalars are copied
     * exactly; null stays null (the caller decides); other objects are computed values, which are not supported.
     * Returns null (after reporting) when unusable.
     */
    private JsonNode value(JsonNode v, String vp) {
        if (isVar(v)) {
            String g = var(v, vp);
            return g == null ? null : TranslationBuilder.ref(g);
        }
        if (v.isObject()) {
            tb.error(vp, "unsupported_value", "computed values (JsonLogic operations as a value) are not supported");
            return null;
        }
        if (v.isArray()) {
            boolean ok = true;
            for (int i = 0; i < v.size(); i++) {
                if (v.get(i).isContainerNode()) {
                    tb.error(child(vp, i), "unsupported_value", "list values must be strings, numbers or booleans");
                    ok = false;
                }
            }
            if (!ok) return null;
        }
        return TranslationBuilder.copy(v);
    }

    private static boolean isScalar(JsonNode v) { return v.isTextual() || v.isNumber() || v.isBoolean(); }

    private JsonNode comparison(String op, JsonNode args, String sp, String ap, String np) {
        Cmp cmp = COMPARISONS.get(op);
        if (!args.isArray()) {
            tb.error(ap, "invalid_format", "'" + op + "' takes an array of two arguments");
            return null;
        }
        if (args.size() == 3 && (cmp == Cmp.LT || cmp == Cmp.LE)) return between(op, cmp, args, sp, ap, np);
        if (args.size() != 2) {
            tb.error(ap, "invalid_format", "'" + op + "' takes two arguments"
                    + (cmp == Cmp.LT || cmp == Cmp.LE ? " (or three: low, {\"var\": f}, high)" : ""));
            return null;
        }
        int fi;
        if (isVar(args.get(0))) fi = 0;
        else if (isVar(args.get(1))) {
            fi = 1;
            cmp = TranslationBuilder.flip(cmp);
        } else {
            tb.error(ap, "unsupported_value", "one side of '" + op + "' must be {\"var\": field}");
            return null;
        }
        String fp = child(ap, fi);
        String vp = child(ap, 1 - fi);
        String field = var(args.get(fi), fp);
        JsonNode raw = args.get(1 - fi);
        if (raw.isNull()) {
            if (field == null) return null;
            if (cmp == Cmp.EQ || cmp == Cmp.NE) {
                return tb.condition(np, new Src(sp, fp, ap, vp), field, cmp == Cmp.EQ ? Operator.IS_NOT_SET : Operator.IS_SET, null);
            }
            tb.error(vp, "invalid_value", "'" + op + "' cannot compare with null");
            return null;
        }
        JsonNode v = value(raw, vp);
        if (field == null || v == null) return null;
        return tb.compare(np, new Src(sp, fp, ap, vp), field, cmp, v);
    }

    /** {"<=": [lo, {"var": f}, hi]} is between [lo, hi]; {"<": [lo, {"var": f}, hi]} is gt/after lo and lt/before hi. */
    private JsonNode between(String op, Cmp cmp, JsonNode args, String sp, String ap, String np) {
        if (!isVar(args.get(1))) {
            tb.error(child(ap, 1), "unsupported_value", "the middle argument of a three-argument '" + op + "' must be {\"var\": field}");
            return null;
        }
        String fp = child(ap, 1);
        String field = var(args.get(1), fp);
        boolean ok = field != null;
        for (int i : new int[]{0, 2}) {
            if (!isScalar(args.get(i))) {
                tb.error(child(ap, i), "unsupported_value", "the bounds of a three-argument '" + op
                        + "' must be strings or numbers, got " + kind(args.get(i)));
                ok = false;
            }
        }
        if (!ok) return null;
        JsonNode lo = TranslationBuilder.copy(args.get(0));
        JsonNode hi = TranslationBuilder.copy(args.get(2));
        if (cmp == Cmp.LE) {
            ArrayNode range = F.arrayNode().add(lo).add(hi);
            JsonNode c = tb.condition(np, new Src(sp, fp, ap, ap), field, Operator.BETWEEN, range);
            String vp = child(np, "value");
            tb.subtree.remove(vp);
            tb.map(vp, ap);
            tb.map(child(vp, 0), child(ap, 0));
            tb.map(child(vp, 1), child(ap, 2));
            return c;
        }
        return tb.group(np, sp, "and", List.of(
                p -> tb.compare(p, new Src(sp, fp, ap, child(ap, 0)), field, Cmp.GT, lo),
                p -> tb.compare(p, new Src(sp, fp, ap, child(ap, 2)), field, Cmp.LT, hi)));
    }

    private JsonNode in(JsonNode args, String sp, String ap, String np) {
        if (!args.isArray() || args.size() != 2) {
            tb.error(ap, "invalid_format", "'in' takes two arguments");
            return null;
        }
        JsonNode a = args.get(0), b = args.get(1);
        if (isVar(a) && b.isArray()) {
            String field = var(a, child(ap, 0));
            JsonNode v = value(b, child(ap, 1));
            return field == null || v == null ? null
                    : tb.condition(np, new Src(sp, child(ap, 0), ap, child(ap, 1)), field, Operator.IN, v);
        }
        if (a.isTextual() && isVar(b)) {
            String field = var(b, child(ap, 1));
            return field == null ? null
                    : tb.condition(np, new Src(sp, child(ap, 1), ap, child(ap, 0)), field, Operator.CONTAINS, TranslationBuilder.copy(a));
        }
        tb.error(ap, "unsupported_value", "'in' is supported as {\"in\": [{\"var\": f}, [values]]} (in) and "
                + "{\"in\": [\"text\", {\"var\": f}]} (contains)");
        return null;
    }

    /** {"some"|"none": [{"var": f}, {"in": [{"var": ""}, [values]]}]} is hasAny / hasNone. */
    private JsonNode someNone(String op, JsonNode args, String sp, String ap, String np) {
        if (args.isArray() && args.size() == 2 && isVar(args.get(0))) {
            JsonNode test = args.get(1);
            JsonNode inArgs = test.isObject() && test.size() == 1 ? test.get("in") : null;
            if (inArgs != null && inArgs.isArray() && inArgs.size() == 2 && isVar(inArgs.get(0))
                    && inArgs.get(0).get("var").isTextual() && inArgs.get(0).get("var").asText().isEmpty()
                    && inArgs.get(1).isArray()) {
                String fp = child(ap, 0);
                String vp = child(child(child(ap, 1), "in"), 1);
                String field = var(args.get(0), fp);
                JsonNode v = value(inArgs.get(1), vp);
                return field == null || v == null ? null
                        : tb.condition(np, new Src(sp, fp, ap, vp), field, op.equals("some") ? Operator.HAS_ANY : Operator.HAS_NONE, v);
            }
        }
        tb.error(ap, "unsupported_value", "'" + op + "' is supported as {\"" + op + "\": [{\"var\": f}, {\"in\": "
                + "[{\"var\": \"\"}, [values]]}]} (" + (op.equals("some") ? Operator.HAS_ANY : Operator.HAS_NONE).json() + ")");
        return null;
    }

    private JsonNode segment(JsonNode args, String sp, String ap, String np) {
        JsonNode k = args;
        String kp = ap;
        if (args.isArray() && args.size() == 1) {
            k = args.get(0);
            kp = child(ap, 0);
        }
        if (!k.isTextual() || k.asText().isEmpty()) {
            tb.error(kp, "invalid_value", "'segment' takes a segment key (a non-empty string)");
            return null;
        }
        tb.map(np, sp);
        tb.map(child(np, "segment"), kp);
        ObjectNode s = F.objectNode();
        s.put("segment", k.asText());
        return s;
    }

    private JsonNode aggregate(JsonNode args, String sp, String ap, String np) {
        if (!args.isObject() || !args.has("aggregate")) {
            tb.error(ap, "invalid_value", "'aggregate' takes a native aggregate object, e.g. {\"aggregate\": "
                    + "{\"aggregate\": \"count\", \"of\": \"purchases\", \"op\": \"gte\", \"value\": 2}}");
            return null;
        }
        tb.map(np, sp);
        tb.mapSubtree(np, ap);
        return TranslationBuilder.copy(args);
    }

    /** A native operator as a custom operation: {"op": [{"var": f}, value]}, {"isSet": {"var": f}} / [{"var": f}]. */
    private JsonNode custom(Operator op, JsonNode args, String sp, String ap, String np) {
        String name = op.json();
        if (!op.takesValue()) {
            Arg a = unary(name, args, ap);
            if (a == null) return null;
            if (!isVar(a.node())) {
                tb.error(a.ptr(), "invalid_format", "'" + name + "' takes {\"var\": field}");
                return null;
            }
            String f = var(a.node(), a.ptr());
            return f == null ? null : tb.condition(np, new Src(sp, a.ptr(), ap, ap), f, op, null);
        }
        if (!args.isArray() || args.size() != 2 || !isVar(args.get(0))) {
            tb.error(ap, "invalid_format", "'" + name + "' takes [{\"var\": field}, value]");
            return null;
        }
        String fp = child(ap, 0), vp = child(ap, 1);
        String field = var(args.get(0), fp);
        if (args.get(1).isNull()) {
            tb.error(vp, "invalid_value", "'" + name + "' needs a value, got null");
            return null;
        }
        JsonNode v = value(args.get(1), vp);
        return field == null || v == null ? null : tb.condition(np, new Src(sp, fp, ap, vp), field, op, v);
    }

    // ================================================================ native -> JsonLogic

    /** JsonLogic for a structurally valid native rule (RuleParser has accepted it). */
    static JsonNode fromNative(JsonNode n) {
        return fromNative(n, null);
    }

    /**
     * JsonLogic for a structurally valid native rule; the catalog (may be null) is the one it was validated
     * against and tells the field types. Builtins are used only where json-logic-js evaluates them exactly like
     * the service ({@link #builtin}); everything else is the custom operation named after the native operator,
     * as implemented by docs/clients/jsonlogic-segments.js.
     */
    static JsonNode fromNative(JsonNode n, FieldCatalog catalog) {
        if (n.has("and") || n.has("or")) {
            String c = n.has("and") ? "and" : "or";
            ObjectNode g = F.objectNode();
            ArrayNode arr = g.putArray(c);
            for (JsonNode ch : n.get(c)) arr.add(fromNative(ch, catalog));
            return g;
        }
        if (n.has("not")) {
            ObjectNode o = F.objectNode();
            o.set("!", fromNative(n.get("not"), catalog));
            return o;
        }
        if (n.has("aggregate")) {
            ObjectNode o = F.objectNode();
            o.set("aggregate", TranslationBuilder.copy(n));
            return o;
        }
        if (n.has("segment")) {
            ObjectNode o = F.objectNode();
            o.put("segment", n.get("segment").asText());
            return o;
        }
        return condition(n, catalog);
    }

    /**
     * A condition as a JsonLogic builtin where json-logic-js evaluates that builtin exactly like the service and
     * it reads back as exactly this condition (with and without the catalog), else as the custom operation named
     * after the native operator, which always reads back.
     */
    private static JsonNode condition(JsonNode n, FieldCatalog catalog) {
        String field = n.get("field").asText();
        String op = n.get("op").asText();
        JsonNode value = n.get("value");
        Operator o = Operator.fromJson(op).orElse(null);
        if (o != null) {
            FieldType type = catalog == null ? null
                    : catalog.customerField(field).map(FieldDef::type).orElse(null);
            JsonNode exact = o == Operator.IN ? typedList(value, type) : value;
            JsonNode builtin = builtin(field, o, exact, type, catalog);
            if (builtin != null && readsBackAs(builtin, withValue(n, exact), catalog)) return builtin;
        }
        ObjectNode c = F.objectNode();
        if (value == null) {
            c.putArray(op).add(var(field));
        } else {
            c.putArray(op).add(var(field)).add(operand(value));
        }
        return c;
    }

    /**
     * The JsonLogic builtin for {@code op} where json-logic-js gives exactly the service's answer on the customer
     * data (docs/rule-semantics.md, "JsonLogic"); null where it does not, and the custom operation is used:
     * <ul>
     * <li>{@code ==} / {@code !=} with a literal that is not a time value: JavaScript's loose equality agrees with
     *     eq / neq on strings, numbers and booleans, also where the value is missing (null == v is false);
     *     on time values the service compares calendar days, and with a ref two missing values would be equal;</li>
     * <li>{@code in} with a list of the field's JSON type (number fields: numbers, see {@link #typedList});</li>
     * <li>{@code !!} / {@code !} of a var for isSet / isNotSet on strings, string lists and time values only
     *     (JavaScript truthiness makes 0 and false "not set");</li>
     * <li>never {@code <}, {@code >}, ... ({@code null < 5} is true in JavaScript, and strings compare as text,
     *     not as days), nor {@code in} on strings for contains (case-sensitive).</li>
     * </ul>
     */
    private static JsonNode builtin(String field, Operator op, JsonNode value, FieldType type, FieldCatalog catalog) {
        ObjectNode o = F.objectNode();
        switch (op) {
            case IS_SET, IS_NOT_SET -> {
                if (type == null || !(type == FieldType.STRING || type == FieldType.STRING_LIST || type.isTime())) {
                    return null;
                }
                o.set(op == Operator.IS_SET ? "!!" : "!", var(field));
            }
            case EQ, NEQ -> {
                if (TranslationBuilder.isRef(value) || new TranslationBuilder(catalog).isTime(field, value)) return null;
                o.putArray(op == Operator.EQ ? "==" : "!=").add(var(field)).add(TranslationBuilder.copy(value));
            }
            case IN -> {
                if (!value.isArray()) return null;
                o.putArray("in").add(var(field)).add(TranslationBuilder.copy(value));
            }
            default -> {
                return null;
            }
        }
        return o;
    }

    /**
     * json-logic-js's {@code in} compares with {@code ===}: on a number field (known from the catalog) the items
     * must be JSON numbers, so decimal strings ({@code "12.50"}, as react-querybuilder writes lists) become the
     * same decimals as numbers. Otherwise the value as it is.
     */
    private static JsonNode typedList(JsonNode value, FieldType type) {
        if (value == null || !value.isArray() || type == null || !type.isNumeric()) return value;
        ArrayNode out = F.arrayNode(value.size());
        for (JsonNode item : value) {
            if (item.isNumber()) {
                out.add(TranslationBuilder.copy(item));
            } else if (item.isTextual()) {
                JsonNode n = number(item.asText());
                if (n == null) return value;
                out.add(n);
            } else {
                return value;
            }
        }
        return out;
    }

    /** A decimal string as a JSON number as Jackson would read it (int, long, big integer or exact decimal). */
    private static JsonNode number(String text) {
        java.math.BigDecimal d;
        try {
            d = new java.math.BigDecimal(text);
        } catch (NumberFormatException e) {
            return null;
        }
        if (text.indexOf('.') >= 0 || text.indexOf('e') >= 0 || text.indexOf('E') >= 0) return F.numberNode(d);
        java.math.BigInteger i = d.toBigIntegerExact();
        if (i.bitLength() < 32) return F.numberNode(i.intValue());
        if (i.bitLength() < 64) return F.numberNode(i.longValue());
        return F.numberNode(i);
    }

    private static JsonNode withValue(JsonNode condition, JsonNode value) {
        if (value == condition.get("value")) return condition;
        ObjectNode c = condition.deepCopy();
        c.set("value", value);
        return c;
    }

    private static boolean readsBackAs(JsonNode logic, JsonNode nativeCondition, FieldCatalog catalog) {
        return readsBack(logic, nativeCondition, null)
                && (catalog == null || readsBack(logic, nativeCondition, catalog));
    }

    private static boolean readsBack(JsonNode logic, JsonNode nativeCondition, FieldCatalog catalog) {
        TranslationBuilder check = new TranslationBuilder(catalog);
        JsonNode back = new JsonLogicFormat(check).rule(logic, "", "", 1);
        return check.errors.isEmpty() && nativeCondition.equals(back);
    }

    private static ObjectNode var(String field) {
        ObjectNode v = F.objectNode();
        v.put("var", field);
        return v;
    }

    private static JsonNode operand(JsonNode value) {
        return TranslationBuilder.isRef(value) ? var(value.get("ref").asText()) : TranslationBuilder.copy(value);
    }
}
