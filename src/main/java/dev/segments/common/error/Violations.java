package dev.segments.common.error;

import jakarta.validation.ConstraintViolation;

import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/** Bean Validation results as problem errors with JSON Pointers. */
public final class Violations {

    private Violations() {
    }

    public static List<Problem.FieldError> toErrors(Collection<? extends ConstraintViolation<?>> violations, String prefix) {
        return violations.stream()
                .map(v -> new Problem.FieldError(prefix + ProblemMappers.pointer(v), ProblemMappers.code(v), v.getMessage()))
                .sorted(Comparator.comparing(Problem.FieldError::pointer))
                .toList();
    }
}
