package dev.segments.rule.format;

import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.rule.InvalidRuleException;
import dev.segments.rule.RuleError;

import java.util.List;
import java.util.Map;

/**
 * The result of translating a submitted rule to the native language: the native rule, and a way to turn
 * pointers into the native rule (as reported by RuleParser / RuleValidator) back into pointers into the
 * submitted document, so that every error a client sees points into what it sent.
 */
public final class NativeTranslation {

    private final RuleFormat format;
    private final JsonNode rule;
    private final Map<String, String> exact;
    private final Map<String, String> subtree;

    NativeTranslation(RuleFormat format, JsonNode rule, Map<String, String> exact, Map<String, String> subtree) {
        this.format = format;
        this.rule = rule;
        this.exact = Map.copyOf(exact);
        this.subtree = Map.copyOf(subtree);
    }

    /** The format the rule was submitted in. */
    public RuleFormat format() { return format; }

    /** The rule in the native language (to parse, validate and store). */
    public JsonNode rule() { return rule; }

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
