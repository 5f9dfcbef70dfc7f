package dev.segments.rule;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * JSON -> {@link RuleNode}. Checks structure only (shapes, keys, JSON types, operator and aggregate names,
 * limits); field/type checks are the {@link RuleValidator}'s job. Collects every problem and throws
 * {@link InvalidRuleException} if there is any.
 */
public final class RuleParser {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private static final List<String> SHAPE_KEYS = List.of("and", "or", "not", "field", "aggregate", "segment");
    private static final Set<String> CONDITION_KEYS = Set.of("field", "op", "value");
    private static final Set<String> AGGREGATE_KEYS = Set.of("aggregate", "of", "field", "where", "within", "op", "value");

    private final RuleLimits limits;

    public RuleParser() { this(RuleLimits.DEFAULTS); }

    public RuleParser(RuleLimits limits) { this.limits = limits; }

    public RuleLimits limits() { return limits; }

    /** Parses JSON text (numbers are read as exact decimals). */
    public RuleNode parse(String json) {
        if (json == null) throw new InvalidRuleException(List.of(new RuleError("", "invalid_shape", "rule is missing")));
        int bytes = json.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > limits.maxJsonBytes()) {
            throw new InvalidRuleException(List.of(tooLarge(bytes)));
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            throw new InvalidRuleException(List.of(new RuleError("", "invalid_json",
                    "rule is not valid JSON (line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr() + ")")));
        }
        return parseTree(node);
    }

    /**
     * Parses an already-read tree. Callers should read it with
     * {@code DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS} so that decimals stay exact.
     */
    public RuleNode parse(JsonNode json) {
        Parsed parsed = parseAll(json);
        if (!parsed.errors().isEmpty()) throw new InvalidRuleException(parsed.errors());
        return parsed.rule();
    }

    private RuleError tooLarge(int bytes) {
        return new RuleError("", "rule_too_large",
                "rule is " + bytes + " bytes of JSON; the limit is " + limits.maxJsonBytes());
    }

    private RuleNode parseTree(JsonNode json) {
        Parsed parsed = parseTreeAll(json);
        if (!parsed.errors().isEmpty()) throw new InvalidRuleException(parsed.errors());
        return parsed.rule();
    }

    /**
     * The outcome of parsing a tree that may be invalid: every structural error, and the well-formed part of the
     * tree (nodes that failed to parse are left out; null when nothing is left). The partial tree is only for
     * validating the rest of the rule so that one response lists every problem; it must never be compiled.
     */
    public record Parsed(RuleNode rule, List<RuleError> errors) {
        public Parsed {
            errors = List.copyOf(errors);
        }
    }

    /** Like {@link #parse(JsonNode)}, but returns the errors with the well-formed part instead of throwing. */
    public Parsed parseAll(JsonNode json) {
        if (json == null || json.isMissingNode()) {
            return new Parsed(null, List.of(new RuleError("", "invalid_shape", "rule is missing")));
        }
        int bytes;
        try {
            bytes = MAPPER.writeValueAsBytes(json).length;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        if (bytes > limits.maxJsonBytes()) return new Parsed(null, List.of(tooLarge(bytes)));
        return parseTreeAll(json);
    }

    private Parsed parseTreeAll(JsonNode json) {
        Ctx ctx = new Ctx();
        RuleNode node = parseRule(json, "", 1, false, ctx);
        if (node == null && ctx.errors.isEmpty()) ctx.error("", "invalid_shape", "rule is invalid");
        return new Parsed(node, ctx.errors);
    }

    private static final class Ctx {
        final List<RuleError> errors = new ArrayList<>();
        int nodes;
        boolean nodesReported;

        void error(String pointer, String code, String message) {
            errors.add(new RuleError(pointer, code, message));
        }
    }

    /** RFC 6901 escaping of one reference token. */
    public static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }

    static String child(String pointer, String key) { return pointer + "/" + escape(key); }

    static String child(String pointer, int index) { return pointer + "/" + index; }

    private RuleNode parseRule(JsonNode json, String ptr, int depth, boolean inStream, Ctx ctx) {
        if (depth > limits.maxDepth()) {
            ctx.error(ptr, "too_deep", "rule is nested deeper than " + limits.maxDepth() + " levels");
            return null;
        }
        ctx.nodes++;
        if (ctx.nodes > limits.maxNodes()) {
            if (!ctx.nodesReported) {
                ctx.nodesReported = true;
                ctx.error(ptr, "too_many_nodes", "rule has more than " + limits.maxNodes() + " nodes");
            }
            return null;
        }
        if (json == null || !json.isObject()) {
            ctx.error(ptr, "invalid_shape", "a rule must be a JSON object, got " + kind(json));
            return null;
        }
        List<String> shapes = new ArrayList<>();
        for (String k : SHAPE_KEYS) if (json.has(k)) shapes.add(k);
        // a condition and an aggregate both have "field"; "aggregate" decides
        if (shapes.contains("aggregate")) shapes.remove("field");
        if (shapes.isEmpty()) {
            ctx.error(ptr, "invalid_shape",
                    "a rule must have exactly one of 'and', 'or', 'not', 'field', 'aggregate', 'segment'");
            return null;
        }
        if (shapes.size() > 1) {
            ctx.error(ptr, "invalid_shape", "a rule must have exactly one shape, found keys " + shapes);
            return null;
        }
        return switch (shapes.get(0)) {
            case "and", "or" -> parseGroup(json, ptr, depth, inStream, ctx, shapes.get(0));
            case "not" -> parseNot(json, ptr, depth, inStream, ctx);
            case "field" -> parseCondition(json, ptr, ctx);
            case "aggregate" -> parseAggregate(json, ptr, depth, inStream, ctx);
            case "segment" -> parseSegment(json, ptr, inStream, ctx);
            default -> throw new IllegalStateException();
        };
    }

    private void unknownKeys(JsonNode json, String ptr, Set<String> allowed, Ctx ctx) {
        Iterator<String> it = json.fieldNames();
        while (it.hasNext()) {
            String k = it.next();
            if (!allowed.contains(k)) ctx.error(child(ptr, k), "unknown_key", "unknown key '" + k + "'");
        }
    }

    private RuleNode parseGroup(JsonNode json, String ptr, int depth, boolean inStream, Ctx ctx, String key) {
        unknownKeys(json, ptr, Set.of(key), ctx);
        String p = child(ptr, key);
        JsonNode arr = json.get(key);
        if (!arr.isArray()) {
            ctx.error(p, "invalid_shape", "'" + key + "' must be an array of rules");
            return null;
        }
        if (arr.isEmpty()) {
            ctx.error(p, "empty_group", "'" + key + "' needs at least one rule");
            return null;
        }
        int n = arr.size();
        if (n > limits.maxChildren()) {
            ctx.error(p, "too_many_children", "'" + key + "' has " + n + " rules; the limit is " + limits.maxChildren());
            n = limits.maxChildren();
        }
        List<RuleNode> children = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            RuleNode c = parseRule(arr.get(i), child(p, i), depth + 1, inStream, ctx);
            if (c != null) children.add(c);
        }
        // with errors, the group keeps its well-formed children (see Parsed); the caller throws anyway
        if (children.isEmpty()) return null;
        return new RuleNode.Group(ptr, key.equals("and") ? RuleNode.Combinator.AND : RuleNode.Combinator.OR, children);
    }

    private RuleNode parseNot(JsonNode json, String ptr, int depth, boolean inStream, Ctx ctx) {
        unknownKeys(json, ptr, Set.of("not"), ctx);
        RuleNode c = parseRule(json.get("not"), child(ptr, "not"), depth + 1, inStream, ctx);
        return c == null ? null : new RuleNode.Not(ptr, c);
    }

    private RuleNode parseSegment(JsonNode json, String ptr, boolean inStream, Ctx ctx) {
        unknownKeys(json, ptr, Set.of("segment"), ctx);
        if (inStream) {
            ctx.error(ptr, "invalid_shape", "a segment reference is not allowed inside an aggregate's 'where'");
            return null;
        }
        JsonNode k = json.get("segment");
        if (!k.isTextual() || k.asText().isEmpty()) {
            ctx.error(child(ptr, "segment"), "invalid_shape", "'segment' must be a non-empty string (a segment key)");
            return null;
        }
        return new RuleNode.SegmentRef(ptr, k.asText());
    }

    private String requiredString(JsonNode json, String ptr, String key, Ctx ctx) {
        JsonNode v = json.get(key);
        if (v == null) {
            ctx.error(ptr, "missing_key", "missing key '" + key + "'");
            return null;
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            ctx.error(child(ptr, key), "invalid_shape", "'" + key + "' must be a non-empty string");
            return null;
        }
        return v.asText();
    }

    private Operator parseOp(JsonNode json, String ptr, Ctx ctx) {
        String op = requiredString(json, ptr, "op", ctx);
        if (op == null) return null;
        var o = Operator.fromJson(op);
        if (o.isEmpty()) ctx.error(child(ptr, "op"), "unknown_operator", "unknown operator '" + op + "'");
        return o.orElse(null);
    }

    /** Parses "value" according to the operator: absent for isSet/isNotSet, required otherwise. */
    private Value parseOpValue(JsonNode json, String ptr, Operator op, Ctx ctx, boolean[] ok) {
        JsonNode v = json.get("value");
        if (op == null) {
            if (v != null) parseValue(v, child(ptr, "value"), ctx, ok); // still report value problems
            return null;
        }
        if (!op.takesValue()) {
            if (v != null) {
                ctx.error(child(ptr, "value"), "invalid_value", "operator '" + op.json() + "' takes no value");
                ok[0] = false;
            }
            return null;
        }
        if (v == null) {
            ctx.error(ptr, "missing_key", "missing key 'value' (operator '" + op.json() + "' needs a value)");
            ok[0] = false;
            return null;
        }
        return parseValue(v, child(ptr, "value"), ctx, ok);
    }

    private RuleNode parseCondition(JsonNode json, String ptr, Ctx ctx) {
        unknownKeys(json, ptr, CONDITION_KEYS, ctx);
        boolean[] ok = {true};
        String field = requiredString(json, ptr, "field", ctx);
        Operator op = parseOp(json, ptr, ctx);
        Value value = parseOpValue(json, ptr, op, ctx, ok);
        if (field == null || op == null || !ok[0]) return null;
        return new RuleNode.Condition(ptr, field, op, value);
    }

    private RuleNode parseAggregate(JsonNode json, String ptr, int depth, boolean inStream, Ctx ctx) {
        unknownKeys(json, ptr, AGGREGATE_KEYS, ctx);
        if (inStream) {
            ctx.error(ptr, "invalid_shape", "an aggregate is not allowed inside an aggregate's 'where'");
            return null;
        }
        boolean[] ok = {true};
        String fnName = requiredString(json, ptr, "aggregate", ctx);
        RuleNode.AggregateFn fn = null;
        if (fnName != null) {
            fn = RuleNode.AggregateFn.fromJson(fnName).orElse(null);
            if (fn == null) ctx.error(child(ptr, "aggregate"), "unknown_aggregate",
                    "unknown aggregate function '" + fnName + "' (count, sum, avg, min, max)");
        }
        String stream = requiredString(json, ptr, "of", ctx);
        String field = null;
        JsonNode f = json.get("field");
        if (f != null) {
            if (!f.isTextual() || f.asText().isEmpty()) {
                ctx.error(child(ptr, "field"), "invalid_shape", "'field' must be a non-empty string");
                ok[0] = false;
            } else field = f.asText();
        }
        RuleNode where = null;
        JsonNode w = json.get("where");
        if (w != null) {
            // a broken 'where' is reported by itself; the rest of the aggregate is still returned for validation
            where = parseRule(w, child(ptr, "where"), depth + 1, true, ctx);
        }
        Value within = null;
        JsonNode wi = json.get("within");
        if (wi != null) {
            String wp = child(ptr, "within");
            if (wi.isTextual()) within = new Value.Literal(wp, wi.asText());
            else if (wi.isObject()) within = parseWindow(wi, wp, ctx, ok);
            else {
                ctx.error(wp, "invalid_window", "'within' must be an ISO-8601 duration or {\"from\", \"to\"}");
                ok[0] = false;
            }
        }
        Operator op = parseOp(json, ptr, ctx);
        Value value = parseOpValue(json, ptr, op, ctx, ok);
        if (fn == null || stream == null || op == null || !ok[0]) return null;
        return new RuleNode.Aggregate(ptr, fn, stream, field, where, within, op, value);
    }

    private Value parseValue(JsonNode v, String ptr, Ctx ctx, boolean[] ok) {
        if (v.isArray()) {
            if (v.size() > limits.maxListValues()) {
                ctx.error(ptr, "too_many_values", "list has " + v.size() + " values; the limit is " + limits.maxListValues());
                ok[0] = false;
                return null;
            }
            List<Value.Literal> items = new ArrayList<>(v.size());
            for (int i = 0; i < v.size(); i++) {
                Value.Literal l = literal(v.get(i), child(ptr, i), ctx);
                if (l == null) ok[0] = false;
                else items.add(l);
            }
            return ok[0] ? new Value.ListValue(ptr, items) : null;
        }
        if (v.isObject()) {
            if (v.has("ref")) {
                unknownKeys(v, ptr, Set.of("ref"), ctx);
                JsonNode r = v.get("ref");
                if (!r.isTextual() || r.asText().isEmpty() || v.size() != 1) {
                    if (!r.isTextual() || r.asText().isEmpty())
                        ctx.error(child(ptr, "ref"), "invalid_ref", "'ref' must be a customer field name");
                    ok[0] = false;
                    return null;
                }
                return new Value.Ref(ptr, r.asText());
            }
            if (v.has("from") || v.has("to")) return parseWindow(v, ptr, ctx, ok);
            ctx.error(ptr, "invalid_value", "an object value must be {\"ref\": field} or {\"from\", \"to\"}");
            ok[0] = false;
            return null;
        }
        Value.Literal l = literal(v, ptr, ctx);
        if (l == null) ok[0] = false;
        return l;
    }

    private Value.Window parseWindow(JsonNode v, String ptr, Ctx ctx, boolean[] ok) {
        int before = ctx.errors.size();
        unknownKeys(v, ptr, Set.of("from", "to"), ctx);
        Value.Literal from = null, to = null;
        if (v.has("from")) from = windowBound(v.get("from"), child(ptr, "from"), ctx);
        if (v.has("to")) to = windowBound(v.get("to"), child(ptr, "to"), ctx);
        if (!v.has("from") && !v.has("to")) ctx.error(ptr, "invalid_window", "a window needs 'from' and/or 'to'");
        if (ctx.errors.size() != before) {
            ok[0] = false;
            return null;
        }
        return new Value.Window(ptr, from, to);
    }

    private Value.Literal windowBound(JsonNode v, String ptr, Ctx ctx) {
        if (!v.isTextual()) {
            ctx.error(ptr, "invalid_window", "window bounds must be ISO-8601 timestamps with offset or dates");
            return null;
        }
        return new Value.Literal(ptr, v.asText());
    }

    private Value.Literal literal(JsonNode v, String ptr, Ctx ctx) {
        if (v.isTextual()) {
            if (v.asText().indexOf('\u0000') >= 0) {
                ctx.error(ptr, "invalid_value", "strings must not contain the NUL character");
                return null;
            }
            return new Value.Literal(ptr, v.asText());
        }
        if (v.isBoolean()) return new Value.Literal(ptr, v.booleanValue());
        if (v.isNumber()) {
            BigDecimal d;
            if (v.isFloatingPointNumber() && !v.isBigDecimal()) {
                // a double read by a caller without USE_BIG_DECIMAL_FOR_FLOATS: use its shortest text form
                if (!Double.isFinite(v.doubleValue())) {
                    ctx.error(ptr, "invalid_value", "numbers must be finite");
                    return null;
                }
                d = new BigDecimal(v.asText());
            } else d = v.decimalValue();
            return new Value.Literal(ptr, d);
        }
        ctx.error(ptr, "invalid_value", "expected a string, number or boolean, got " + kind(v));
        return null;
    }

    /** How a JSON value is named in error messages ("a string", "an array", "null", ...); shared with rule/format. */
    public static String kind(JsonNode n) {
        if (n == null || n.isMissingNode()) return "nothing";
        if (n.isNull()) return "null";
        if (n.isArray()) return "an array";
        if (n.isObject()) return "an object";
        if (n.isTextual()) return "a string";
        if (n.isNumber()) return "a number";
        if (n.isBoolean()) return "a boolean";
        return n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }

}
