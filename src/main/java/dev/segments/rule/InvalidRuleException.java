package dev.segments.rule;

import java.util.List;

/** A rule was rejected; carries every problem found (never only the first). Maps to 422 problem+json. */
public class InvalidRuleException extends RuntimeException {
    private final List<RuleError> errors;

    public InvalidRuleException(List<RuleError> errors) {
        super(summary(errors));
        this.errors = List.copyOf(errors);
    }

    public List<RuleError> errors() { return errors; }

    private static String summary(List<RuleError> errors) {
        if (errors.isEmpty()) return "invalid rule";
        RuleError e = errors.get(0);
        return "invalid rule (" + errors.size() + " error(s)); first: " + e.pointer() + " " + e.code() + ": " + e.message();
    }
}
