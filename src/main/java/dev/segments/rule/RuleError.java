package dev.segments.rule;

import java.util.Objects;

/** One problem in a rule: JSON Pointer to the offending node, stable snake_case code, human message. */
public record RuleError(String pointer, String code, String message) {
    public RuleError {
        Objects.requireNonNull(pointer);
        Objects.requireNonNull(code);
        Objects.requireNonNull(message);
    }
}
