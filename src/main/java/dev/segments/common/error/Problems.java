package dev.segments.common.error;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DatabindException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.InvalidNullException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.common.json.InvalidTextException;
import io.vertx.pgclient.PgException;

import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one translation from a failure a client caused to its problem, shared by the REST mapper
 * ({@link ProblemMappers}) and the GraphQL error handling, so that both answer the same type, status, code and
 * pointer for the same input. Messages are in the client's words: no Java or Jackson type names.
 */
public final class Problems {

    /** What a message must never contain: Java packages, Jackson feature names, {@code $}-qualified classes. */
    public static final Pattern JAVA_NAMES = Pattern.compile(
            "java\\.|javax\\.|jakarta\\.|com\\.fasterxml|dev\\.segments|io\\.vertx|io\\.smallrye|org\\.jboss|graphql\\."
                    + "|Exception|[A-Za-z0-9_]\\$[A-Za-z0-9_]|`|StreamRead|JsonRead|JsonToken|DeserializationFeature"
                    + "|MapperFeature|CoercionConfig");

    private static final Pattern ENUM_VALUES = Pattern.compile("accepted for Enum class: \\[([^\\]]*)]");

    private Problems() {
    }

    /**
     * The problem behind a failure a client caused (anywhere in its cause chain), or null when the failure is
     * the service's own.
     */
    public static ProblemException clientProblem(Throwable e) {
        Throwable t = e;
        for (int i = 0; t != null && i < 32; i++) {
            if (t instanceof ProblemException p) {
                return p;
            }
            if (t instanceof JacksonException j) {
                return fromJackson(j);
            }
            if (t instanceof PgException pg) {
                ProblemException p = fromDatabase(pg.getSqlState());
                if (p != null) {
                    return p;
                }
            }
            if (t instanceof java.sql.SQLException sql) {
                // Hibernate Reactive reports the pool's error as an SQLException carrying the SQLSTATE
                ProblemException p = fromDatabase(sql.getSQLState());
                if (p != null) {
                    return p;
                }
            }
            t = t.getCause() == t ? null : t.getCause();
        }
        return null;
    }

    /** Database errors a client can provoke with a value; anything else is ours (null). */
    public static ProblemException fromDatabase(String state) {
        if (state == null) {
            return null;
        }
        return switch (state) {
            case "57014" -> new ProblemException(ProblemType.QUERY_TIMEOUT,
                    "The query ran past the statement timeout; narrow the rule or retry later");
            case "23505" -> new ProblemException(ProblemType.CONFLICT, "A resource with the same unique key already exists");
            // character_not_in_repertoire (NUL in text), untranslatable_character (\u0000 in jsonb)
            case "22021", "22P05" -> ProblemException.validation("", "nul_character",
                    "A text value contains a character the database cannot store (NUL or invalid Unicode)");
            case "54000", "54001" -> ProblemException.validation("", "too_large",
                    "A value or rule is too large for the database");
            default -> state.startsWith("22")
                    ? ProblemException.validation("", "invalid_value", "A value is out of range for its type")
                    : null;
        };
    }

    /** Where a refused JSON value is: Jackson's path to the value, then the pointer inside it (for a tree). */
    public static String pointer(InvalidTextException t) {
        return JsonPointers.of(t) + (t.innerPointer() == null ? "" : t.innerPointer());
    }

    /** A body Jackson could not read: 400 when it is not JSON at all, 422 with a pointer when a value is wrong. */
    public static ProblemException fromJackson(JacksonException e) {
        if (e instanceof InvalidTextException t) {
            return ProblemException.validation(pointer(t), t.code(), t.getOriginalMessage());
        }
        if (e instanceof InputCoercionException c) {
            return ProblemException.validation(pointerOf(c.getProcessor()), "out_of_range",
                    "must be " + words(c.getTargetType()) + " within its range");
        }
        if (!(e instanceof DatabindException)) {
            // syntax errors, duplicate keys, nesting/length limits (StreamReadException, StreamConstraintsException)
            return syntax(e, pointerOf(e.getProcessor()));
        }
        String pointer = e instanceof JsonMappingException m ? JsonPointers.of(m) : "";
        if (e instanceof UnrecognizedPropertyException u) {
            return ProblemException.validation(pointer, "unknown_property", "unknown property '" + u.getPropertyName() + "'");
        }
        if (e.getCause() instanceof JacksonException inner && !(inner instanceof DatabindException)) {
            // a read error met while reading a value: at that value's pointer
            if (inner instanceof InputCoercionException c) {
                return ProblemException.validation(pointer, "out_of_range", "must be " + words(c.getTargetType()) + " within its range");
            }
            String at = pointerOf(inner.getProcessor());
            return syntax(inner, at == null || at.isEmpty() ? pointer : at);
        }
        if (e instanceof InvalidNullException) {
            return ProblemException.validation(pointer, "required", "must not be null");
        }
        if (e instanceof ValueInstantiationException v) {
            Throwable cause = v.getCause();
            if (cause instanceof ProblemException p) {
                return p;
            }
            String message = cause != null && cause.getMessage() != null && !JAVA_NAMES.matcher(cause.getMessage()).find()
                    ? cause.getMessage() : "invalid value";
            return ProblemException.validation(pointer, "invalid_value", message);
        }
        if (e instanceof MismatchedInputException m) {
            String original = m.getOriginalMessage() == null ? "" : m.getOriginalMessage();
            if (original.startsWith("No content to map")) {
                return new ProblemException(ProblemType.MALFORMED_REQUEST, "The body is empty; send a JSON document");
            }
            if (original.startsWith("Trailing token")) {
                return new ProblemException(ProblemType.MALFORMED_REQUEST, "The body has content after its JSON value");
            }
            Matcher enumValues = ENUM_VALUES.matcher(original);
            String message = enumValues.find() ? "must be one of: " + enumValues.group(1)
                    : "must be " + words(m.getTargetType());
            return ProblemException.validation(pointer, "invalid_value", message);
        }
        return ProblemException.validation(pointer, "invalid_value", "invalid value");
    }

    /**
     * Not JSON: a 400 with the pointer where the parser stood; bad UTF-8 in a string is a 422 at that string,
     * since the document is otherwise well-formed and only that value cannot be read.
     */
    private static ProblemException syntax(JacksonException e, String pointer) {
        String message = syntaxMessage(e.getOriginalMessage());
        String at = pointer == null ? "" : pointer;
        if (message.contains("Invalid UTF-8")) {
            return ProblemException.validation(at, "invalid_utf8", "must be valid UTF-8 text");
        }
        String code = "invalid_json";
        if (message.startsWith("Duplicate field")) {
            code = "duplicate_key";
            message = "the key appears more than once in the object";
        }
        return new ProblemException(ProblemType.MALFORMED_REQUEST, "The body is not valid JSON: " + message,
                List.of(new Problem.FieldError(at, code, message)));
    }

    /** A JSON value type in a client's words. */
    static String words(Class<?> c) {
        if (c == null) {
            return "a valid value";
        }
        if (c.isArray() || Collection.class.isAssignableFrom(c) || ArrayNode.class.isAssignableFrom(c)) {
            return "an array";
        }
        if (CharSequence.class.isAssignableFrom(c) || c == char.class || c == Character.class) {
            return "a string";
        }
        if (c == Integer.class || c == int.class || c == Short.class || c == short.class || c == Byte.class
                || c == byte.class) {
            return "an integer (32-bit)";
        }
        if (c == Long.class || c == long.class || c == BigInteger.class) {
            return "an integer (64-bit)";
        }
        if (Number.class.isAssignableFrom(c) || c == double.class || c == float.class) {
            return "a number";
        }
        if (c == Boolean.class || c == boolean.class) {
            return "true or false";
        }
        if (c == OffsetDateTime.class || c == Instant.class || c == ZonedDateTime.class) {
            return "a date-time in ISO 8601 form with an offset, e.g. 2026-01-31T12:00:00Z";
        }
        if (c == LocalDate.class) {
            return "a date in ISO 8601 form (YYYY-MM-DD)";
        }
        if (c == Duration.class) {
            return "an ISO 8601 duration, e.g. PT5M";
        }
        if (c.isEnum()) {
            return "one of the allowed values";
        }
        if (ObjectNode.class.isAssignableFrom(c) || Map.class.isAssignableFrom(c) || c.isRecord()) {
            return "an object";
        }
        if (JsonNode.class.isAssignableFrom(c)) {
            return "a JSON value";
        }
        return "an object";
    }

    private static String words(JavaType t) {
        return t == null ? "a valid value" : words(t.getRawClass());
    }

    /** Where the parser stood when it failed, as a JSON Pointer (null when unknown). */
    private static String pointerOf(Object processor) {
        if (!(processor instanceof JsonParser p)) {
            return null;
        }
        JsonStreamContext ctx = p.getParsingContext();
        return ctx == null ? null : ctx.pathAsPointer().toString();
    }

    /** A Jackson syntax message without Java names, feature hints or source locations. */
    static String syntaxMessage(String message) {
        if (message == null || message.isBlank()) {
            return "syntax error";
        }
        String m = message
                .replaceAll("\\s*\\(start marker at \\[Source.*$", "")
                .replaceAll(",? from `[^`]*`", "")
                .replaceAll(":? ?enable `[^`]*` to allow", " is not a JSON value")
                .replaceAll("\\s*\\(?`[^`]*`\\)?", "")
                .trim();
        return m.isEmpty() || JAVA_NAMES.matcher(m).find() ? "syntax error" : m;
    }
}
