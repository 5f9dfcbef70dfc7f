package dev.segments.common.error;

import graphql.ErrorClassification;
import graphql.ErrorType;
import graphql.GraphQLError;
import graphql.language.SourceLocation;
import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObjectBuilder;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Thrown by services for any outcome a client caused. REST maps it to a problem+json response
 * ({@link ProblemMappers}); GraphQL puts the same details in the error's {@code extensions}: the problem
 * {@code type} and {@code status}, the {@code code} and {@code pointer} of the first field error (else the last
 * segment of the type in snake_case like every other code, e.g. not_found), and every field error in {@code errors}.
 */
public class ProblemException extends RuntimeException implements GraphQLError {

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

    @Override
    public List<SourceLocation> getLocations() {
        return null;
    }

    @Override
    public ErrorClassification getErrorType() {
        return ErrorType.DataFetchingException;
    }

    /** The GraphQL error extensions; JSON-P values so that SmallRye GraphQL writes them as JSON, not strings. */
    @Override
    public Map<String, Object> getExtensions() {
        Map<String, Object> extensions = new LinkedHashMap<>();
        extensions.put("type", Json.createValue(type.uri()));
        extensions.put("status", Json.createValue(type.status()));
        boolean fieldErrors = errors != null && !errors.isEmpty();
        extensions.put("code", Json.createValue(fieldErrors ? errors.get(0).code()
                : type.uri().substring(type.uri().lastIndexOf('/') + 1).replace('-', '_')));
        if (fieldErrors) {
            if (errors.get(0).pointer() != null) {
                extensions.put("pointer", Json.createValue(errors.get(0).pointer()));
            }
            JsonArrayBuilder list = Json.createArrayBuilder();
            for (Problem.FieldError e : errors) {
                JsonObjectBuilder o = Json.createObjectBuilder();
                if (e.pointer() != null) {
                    o.add("pointer", e.pointer());
                }
                list.add(o.add("code", e.code()).add("message", e.message()));
            }
            extensions.put("errors", list.build());
        }
        return extensions;
    }
}
