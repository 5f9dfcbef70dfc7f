package dev.segments.rule.format;

import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.rule.InvalidRuleException;
import dev.segments.rule.RuleError;
import dev.segments.rule.RuleParser;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The result of translating a submitted rule to the native language: the native rule (when the translation is
 * {@link #complete()}), the translation errors (when it is not), and a way to turn pointers into the native rule (as
 * reported by RuleParser / RuleValidator) back into pointers into the submitted document, so that every error a
 * client sees points into what it sent. {@link #allErrors} combines both kinds of error.
 */
public final class NativeTranslation {

    /**
     * A native subtree that translated whole although an ancestor did not: it is parsed and validated on its own.
     *
     * @param nativePointer where it stands in the native tree the translation would have built
     * @param rule          the native subtree
     */
    public record Fragment(String nativePointer, JsonNode rule) {
    }

    private final RuleFormat format;
    private final JsonNode source;
    private final JsonNode rule;
    private final Map<String, String> exact;
    private final Map<String, String> subtree;
    private final List<RuleError> errors;
    private final List<Fragment> fragments;

    NativeTranslation(RuleFormat format, JsonNode source, JsonNode rule, Map<String, String> exact,
                      Map<String, String> subtree, List<RuleError> errors, List<Fragment> fragments) {
        this.format = format;
        this.source = source;
        this.rule = rule;
        this.exact = Map.copyOf(exact);
        this.subtree = Map.copyOf(subtree);
        this.errors = List.copyOf(errors);
        this.fragments = List.copyOf(fragments);
    }

    /** The translation of a native rule: itself. */
    static NativeTranslation ofNative(JsonNode rule) {
        return new NativeTranslation(RuleFormat.NATIVE, rule, rule, Map.of(), Map.of(), List.of(),
                List.of(new Fragment("", rule)));
    }

    /** The format the rule was submitted in. */
    public RuleFormat format() { return format; }

    /** The rule in the native language (to parse, validate and store); null unless {@link #complete()}. */
    public JsonNode rule() { return rule; }

    /** Whether the whole document translated (no translation error): {@link #rule()} is the native rule. */
    public boolean complete() { return rule != null; }

    /** The translation errors, every one, pointers into the submitted document (empty when complete). */
    public List<RuleError> errors() { return errors; }

    /**
     * What is checked when the translation is not complete: the largest native subtrees that did translate (the
     * whole rule when it is complete, or when it was built despite an error such as an unknown key).
     */
    public List<Fragment> fragments() { return fragments; }

    /**
     * Every error of the submitted document, pointers into it: the translation errors, plus the errors
     * {@code nativeCheck} (parse and validate a native rule, return its errors) finds in every part that did
     * translate ({@link #fragments()}), in document order (a translation error first where both point at the
     * same place). When the translation is complete this is {@code nativeCheck(rule())} mapped. Empty: valid.
     */
    public List<RuleError> allErrors(Function<JsonNode, List<RuleError>> nativeCheck) {
        if (complete()) return toSource(nativeCheck.apply(rule));
        List<RuleError> all = new ArrayList<>(errors);
        for (Fragment f : fragments) {
            for (RuleError e : nativeCheck.apply(f.rule())) {
                all.add(new RuleError(sourcePointer(f.nativePointer() + e.pointer()), e.code(), e.message()));
            }
        }
        Map<String, Integer> order = documentOrder(source);
        all.sort(Comparator.comparingInt(e -> position(order, e.pointer())));
        return List.copyOf(all);
    }

    /** Pre-order position of every pointer in {@code doc} (object keys in the order they were written). */
    private static Map<String, Integer> documentOrder(JsonNode doc) {
        Map<String, Integer> order = new HashMap<>();
        if (doc != null) walk(doc, "", order);
        return order;
    }

    private static void walk(JsonNode n, String ptr, Map<String, Integer> order) {
        order.put(ptr, order.size());
        if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) walk(n.get(i), ptr + "/" + i, order);
        } else if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                walk(e.getValue(), ptr + "/" + RuleParser.escape(e.getKey()), order);
            }
        }
    }

    /** The position of {@code ptr}, or of its nearest ancestor in the document (a missing key, say). */
    private static int position(Map<String, Integer> order, String ptr) {
        String p = ptr == null ? "" : ptr;
        while (true) {
            Integer i = order.get(p);
            if (i != null) return i;
            if (p.isEmpty()) return 0;
            p = p.substring(0, p.lastIndexOf('/'));
        }
    }

    /**
     * The pointer into the submitted document that a pointer into {@link #rule()} corresponds to: where that
     * node was written, else where its nearest mapped ancestor was (a value or aggregate copied verbatim keeps
     * the rest of the path); "" when nothing matches. Identity for {@link RuleFormat#NATIVE}.
     */
    public String sourcePointer(String nativePointer) {
        if (format == RuleFormat.NATIVE || nativePointer == null) return nativePointer;
        String p = nativePointer;
        String suffix = "";
        while (true) {
            // the node itself: its exact origin first; an ancestor: a verbatim subtree keeps the rest of the path
            String e = exact.get(p);
            String s = subtree.get(p);
            if (suffix.isEmpty() && e != null) return e;
            if (s != null) return s + suffix;
            if (e != null) return e;
            if (p.isEmpty()) return "";
            int slash = p.lastIndexOf('/');
            suffix = p.substring(slash) + suffix;
            p = p.substring(0, slash);
        }
    }

    /** The error with its pointer moved into the submitted document (same code and message). */
    public RuleError toSource(RuleError error) {
        return new RuleError(sourcePointer(error.pointer()), error.code(), error.message());
    }

    /** Every error with its pointer moved into the submitted document. */
    public List<RuleError> toSource(List<RuleError> errors) {
        return errors.stream().map(this::toSource).toList();
    }

    /** The same exception with every pointer moved into the submitted document. */
    public InvalidRuleException toSource(InvalidRuleException e) {
        return format == RuleFormat.NATIVE ? e : new InvalidRuleException(toSource(e.errors()));
    }
}
