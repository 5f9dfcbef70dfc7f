package dev.segments.rule.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.rule.FieldCatalog;
import dev.segments.rule.FieldDef;
import dev.segments.rule.Operator;
import dev.segments.rule.RuleError;
import dev.segments.rule.RuleParser;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Builds one {@link NativeTranslation}: collects the translation errors (pointers into the submitted document,
 * every one: a failed node never stops its siblings), the map from native pointers back to submitted ones, the
 * native subtrees that translated below a node that did not (validated on their own, see
 * {@link NativeTranslation#allErrors}), builders for native nodes, and the typed comparisons shared by both formats
 * ({@code <} means {@code before} on time values, ...). Not thread-safe; one per call.
 */
final class TranslationBuilder {

    /** Keeps BigDecimal scale as written (the default factory strips trailing zeros). */
    static final JsonNodeFactory F = JsonNodeFactory.withExactBigDecimals(true);

    /** Recursion guard for hostile input; far above the native depth limit, which reports its own error. */
    static final int MAX_DEPTH = 64;

    /** A string that starts like an ISO-8601 date: compared as a time value. */
    private static final Pattern DATE_LIKE = Pattern.compile("^\\d{4}-\\d{2}-\\d{2}(?:[Tt ].*)?$");

    /** Comparison symbols whose native operator depends on whether the compared values are times. */
    enum Cmp { EQ, NE, LT, LE, GT, GE }

    /**
     * Where the parts of one native condition came from in the submitted document.
     *
     * @param node  the submitted node (rule / operation)
     * @param field where the field name was written
     * @param op    where the operator was written
     * @param value where the value was written
     */
    record Src(String node, String field, String op, String value) {
    }

    final FieldCatalog catalog;
    final List<RuleError> errors = new ArrayList<>();
    final Map<String, String> exact = new HashMap<>();
    final Map<String, String> subtree = new HashMap<>();
    /** Native subtrees that translated whole while an ancestor did not, by native pointer. */
    final List<NativeTranslation.Fragment> fragments = new ArrayList<>();

    TranslationBuilder(FieldCatalog catalog) { this.catalog = catalog; }

    void error(String pointer, String code, String message) {
        errors.add(new RuleError(pointer, code, message));
    }

    /** The native node at {@code nativePtr} came from {@code srcPtr} (its children are not mapped by this). */
    void map(String nativePtr, String srcPtr) { exact.put(nativePtr, srcPtr); }

    /** The native subtree at {@code nativePtr} is a verbatim copy of the submitted subtree at {@code srcPtr}. */
    void mapSubtree(String nativePtr, String srcPtr) { subtree.put(nativePtr, srcPtr); }

    /**
     * The native subtree {@code node} (built at {@code nativePtr}) translated, but its parent did not: it is
     * validated on its own. Null (a part that did not translate) is ignored.
     */
    void fragment(String nativePtr, JsonNode node) {
        if (node != null) fragments.add(new NativeTranslation.Fragment(nativePtr, node));
    }

    /**
     * The translation of {@code source}: complete when nothing was reported and {@code rule} (the native root) was
     * built. A root that was built despite errors (an unknown key is reported, the rule is still built) is the
     * one fragment to validate.
     */
    NativeTranslation finish(RuleFormat format, JsonNode source, JsonNode rule) {
        if (rule == null && errors.isEmpty()) error("", "invalid_format", "the rule could not be translated");
        List<NativeTranslation.Fragment> parts = rule != null ? List.of(new NativeTranslation.Fragment("", rule))
                : fragments;
        return new NativeTranslation(format, source, errors.isEmpty() ? rule : null, exact, subtree, errors, parts);
    }

    static String child(String pointer, String key) { return pointer + "/" + RuleParser.escape(key); }

    static String child(String pointer, int index) { return pointer + "/" + index; }

    /** Reports keys of {@code node} outside {@code allowed} as {@code unknown_key}. */
    void unknownKeys(JsonNode node, String ptr, Set<String> allowed, String what) {
        Iterator<String> it = node.fieldNames();
        while (it.hasNext()) {
            String k = it.next();
            if (!allowed.contains(k)) error(child(ptr, k), "unknown_key", "unknown key '" + k + "' in " + what);
        }
    }


    /**
     * Deep copy of a submitted value. Numbers stay exact: decimals already read as BigDecimal are kept as they
     * are, a double read by a caller without USE_BIG_DECIMAL_FOR_FLOATS becomes the BigDecimal of its shortest
     * text form (as RuleParser does); integers keep their node type.
     */
    static JsonNode copy(JsonNode v) {
        if (v.isFloatingPointNumber() && !v.isBigDecimal()) {
            return Double.isFinite(v.doubleValue()) ? F.numberNode(new BigDecimal(v.asText())) : v.deepCopy();
        }
        if (v.isArray()) {
            ArrayNode a = F.arrayNode(v.size());
            for (JsonNode e : v) a.add(copy(e));
            return a;
        }
        if (v.isObject()) {
            ObjectNode o = F.objectNode();
            v.fields().forEachRemaining(e -> o.set(e.getKey(), copy(e.getValue())));
            return o;
        }
        return v.deepCopy();
    }

    static ObjectNode ref(String field) {
        ObjectNode r = F.objectNode();
        r.put("ref", field);
        return r;
    }

    static boolean isRef(JsonNode v) { return v != null && v.isObject() && v.size() == 1 && v.path("ref").isTextual(); }

    // ---------------------------------------------------------------- native builders

    /**
     * {"field", "op", "value"?} at native pointer np. The value (may be null: omitted) is mapped as a verbatim
     * subtree of src.value, except refs (mapped to src.value as a whole).
     */
    ObjectNode condition(String np, Src src, String field, Operator op, JsonNode value) {
        ObjectNode c = F.objectNode();
        c.put("field", field);
        c.put("op", op.json());
        if (value != null) c.set("value", value);
        map(np, src.node());
        map(child(np, "field"), src.field());
        map(child(np, "op"), src.op());
        String vp = child(np, "value");
        if (isRef(value)) map(vp, src.value());
        else mapSubtree(vp, src.value());
        return c;
    }

    /** {"not": inner} at np; inner is built at np/not. */
    ObjectNode not(String np, String srcNode, Function<String, JsonNode> inner) {
        map(np, srcNode);
        JsonNode in = inner.apply(child(np, "not"));
        if (in == null) return null;
        ObjectNode n = F.objectNode();
        n.set("not", in);
        return n;
    }

    /** {"and"|"or": [parts...]} at np; part i is built at np/key/i. */
    ObjectNode group(String np, String srcNode, String key, List<Function<String, JsonNode>> parts) {
        map(np, srcNode);
        map(child(np, key), srcNode);
        ArrayNode arr = F.arrayNode(parts.size());
        boolean ok = true;
        List<JsonNode> built = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            JsonNode p = parts.get(i).apply(child(child(np, key), i));
            built.add(p);
            if (p == null) ok = false;
            else arr.add(p);
        }
        if (!ok) {
            // the parts that did translate are validated on their own
            for (int i = 0; i < parts.size(); i++) fragment(child(child(np, key), i), built.get(i));
            return null;
        }
        ObjectNode g = F.objectNode();
        g.set(key, arr);
        return g;
    }

    // ---------------------------------------------------------------- typed comparisons

    /**
     * Whether a comparison of {@code field} with {@code value} (a native value: literal or {"ref"}) is a time
     * comparison. With a catalog, a known customer field decides by its type; otherwise (no catalog, unknown
     * field, event property) a string value that starts like an ISO-8601 date does, or a ref to a known time field.
     */
    boolean isTime(String field, JsonNode value) {
        if (catalog != null) {
            Optional<FieldDef> f = catalog.customerField(field);
            if (f.isPresent() && f.get().type() != null) return f.get().type().isTime();
        }
        if (value == null) return false;
        if (value.isTextual()) return DATE_LIKE.matcher(value.asText()).matches();
        if (isRef(value) && catalog != null) {
            Optional<FieldDef> r = catalog.customerField(value.get("ref").asText());
            return r.isPresent() && r.get().type() != null && r.get().type().isTime();
        }
        return false;
    }

    /**
     * The native form of {@code field <cmp> value}: on numbers (and everything else) eq, neq, lt, lte, gt, gte; on
     * time values eq, not(eq), before, after, and the inclusive forms, which the language has no operator for,
     * as {@code and(isSet, not(after))} / {@code and(isSet, not(before))} (plus isSet of a ref'd field), which is
     * exactly "at or before" / "at or after" and false where a value is missing.
     */
    JsonNode compare(String np, Src src, String field, Cmp cmp, JsonNode value) {
        boolean time = isTime(field, value);
        return switch (cmp) {
            case EQ -> condition(np, src, field, Operator.EQ, value);
            case NE -> time
                    ? not(np, src.node(), p -> condition(p, src, field, Operator.EQ, value))
                    : condition(np, src, field, Operator.NEQ, value);
            case LT -> condition(np, src, field, time ? Operator.BEFORE : Operator.LT, value);
            case GT -> condition(np, src, field, time ? Operator.AFTER : Operator.GT, value);
            case LE -> time ? inclusive(np, src, field, Operator.AFTER, value) : condition(np, src, field, Operator.LTE, value);
            case GE -> time ? inclusive(np, src, field, Operator.BEFORE, value) : condition(np, src, field, Operator.GTE, value);
        };
    }

    private JsonNode inclusive(String np, Src src, String field, Operator excluded, JsonNode value) {
        List<Function<String, JsonNode>> parts = new ArrayList<>();
        parts.add(p -> condition(p, src, field, Operator.IS_SET, null));
        if (isRef(value)) {
            String other = value.get("ref").asText();
            parts.add(p -> condition(p, new Src(src.value(), src.value(), src.op(), src.value()), other, Operator.IS_SET, null));
        }
        parts.add(p -> not(p, src.node(), q -> condition(q, src, field, excluded, value)));
        return group(np, src.node(), "and", parts);
    }

    /** Flips a comparison whose field is on the right: 5 < x is x > 5. */
    static Cmp flip(Cmp c) {
        return switch (c) {
            case EQ, NE -> c;
            case LT -> Cmp.GT;
            case LE -> Cmp.GE;
            case GT -> Cmp.LT;
            case GE -> Cmp.LE;
        };
    }
}
