package dev.segments.common.error;

import java.util.List;

/** Thrown by services for any outcome a client caused; mapped to a problem+json response. */
public class ProblemException extends RuntimeException {

    private final ProblemType type;
    private final transient List<Problem.FieldError> errors;

    public ProblemException(ProblemType type, String detail) {
        this(type, detail, null);
    }

    public ProblemException(ProblemType type, String detail, List<Problem.FieldError> errors) {
        super(detail, null, false, false);
        this.type = type;
        this.errors = errors == null ? null : List.copyOf(errors);
    }

    public static ProblemException notFound(String what) {
        return new ProblemException(ProblemType.NOT_FOUND, what + " not found");
    }

    public static ProblemException validation(List<Problem.FieldError> errors) {
        return new ProblemException(ProblemType.VALIDATION, errors.size() == 1
                ? errors.get(0).message() : errors.size() + " problems in the request", errors);
    }

    public static ProblemException validation(String pointer, String code, String message) {
        return validation(List.of(new Problem.FieldError(pointer, code, message)));
    }

    public ProblemType type() {
        return type;
    }

    public Problem problem() {
        return new Problem(type.uri(), type.title(), type.status(), getMessage(), errors);
    }
}
