package dev.segments.customer.service;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import dev.segments.attribute.service.AttributeType;
import dev.segments.common.error.JsonPointers;
import dev.segments.common.error.Problem.FieldError;
import dev.segments.common.error.Problems;
import dev.segments.common.json.InvalidTextException;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The line-level reading every bulk import shares (customers here, the activity streams in
 * {@code activity.service.ActivityImporter}): a record's defect, its JSON or CSV cells, and the problem a binding
 * failure stands for, each as a {@link FieldError} with the pointer and code the customer import has always used.
 */
public final class ImportLines {

    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'", Pattern.DOTALL);
    private static final ObjectReader CSV_CELLS = new CsvMapper().readerFor(String[].class)
            .with(CsvParser.Feature.TRIM_SPACES);

    private ImportLines() {
    }

    /** A JSON line read as a tree, or the one problem that stops it. */
    public record Parsed(JsonNode node, FieldError error) {
    }

    /** The code of a record that could not be framed. */
    public static String code(ImportRecords.Defect defect) {
        return switch (defect) {
            case TOO_LONG -> "line_too_long";
            case INVALID_UTF8 -> "invalid_utf8";
            case UNCLOSED_QUOTE -> "unclosed_quote";
        };
    }

    /** One NDJSON line as a tree ({@code reader} detects duplicate members), or why it is not JSON. */
    public static Parsed json(ObjectReader reader, String text) {
        try {
            return new Parsed(reader.readTree(text), null);
        } catch (JsonProcessingException e) {
            Matcher dup = DUPLICATE.matcher(String.valueOf(e.getOriginalMessage()));
            if (e instanceof InvalidTextException t) {
                return new Parsed(null, new FieldError(Problems.pointer(t), t.code(), clean(t.getOriginalMessage())));
            } else if (e instanceof JsonParseException p && dup.matches()) {
                return new Parsed(null, new FieldError(duplicatePointer(p, dup.group(1)), "duplicate_key",
                        "member '" + dup.group(1) + "' appears twice in the same object"));
            }
            return new Parsed(null, new FieldError("", "malformed_json", "not valid JSON: " + clean(e.getOriginalMessage())));
        }
    }

    /** The cells of one CSV record, or null when it is not valid CSV. */
    public static String[] cells(String text) {
        try {
            String[] cells = CSV_CELLS.readValue(text);
            return cells == null ? new String[0] : cells;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /** The problem a failed binding of a line's tree to its input record stands for. */
    public static FieldError bindingProblem(Exception e) {
        if (e instanceof UnrecognizedPropertyException u) {
            return new FieldError(JsonPointers.of(u), "unknown_property", "unknown property '" + u.getPropertyName() + "'");
        }
        if (e instanceof InvalidTextException t) {
            return new FieldError(Problems.pointer(t), t.code(), clean(t.getOriginalMessage()));
        }
        if (e instanceof InvalidFormatException f) {
            boolean format = f.getValue() instanceof String
                    && (f.getTargetType() == LocalDate.class || f.getTargetType() == OffsetDateTime.class);
            return new FieldError(JsonPointers.of(f), format ? "invalid_value" : "invalid_type",
                    "must be " + expected(f.getTargetType()));
        }
        if (e instanceof MismatchedInputException m) {
            return new FieldError(JsonPointers.of(m), "invalid_type", "must be " + expected(m.getTargetType()));
        }
        return new FieldError(e instanceof JsonMappingException m ? JsonPointers.of(m) : "", "invalid_value",
                e instanceof JsonProcessingException j ? clean(j.getOriginalMessage()) : "invalid value");
    }

    /** Where the second occurrence of a member is: the object being read when the parser stopped, plus the name. */
    static String duplicatePointer(JsonParseException e, String name) {
        if (e.getProcessor() instanceof JsonParser p) {
            JsonStreamContext object = p.getParsingContext();
            String at = object == null || object.getParent() == null ? "" : object.getParent().pathAsPointer().toString();
            return JsonPointers.append(at, name);
        }
        return JsonPointers.append("", name);
    }

    /** Jackson's message without the Java names it sometimes carries (features, types, constraint getters). */
    public static String clean(String message) {
        if (message == null) {
            return "invalid value";
        }
        return message.replaceAll(",? from `[^`]*`", "")
                .replaceAll(":? *enable `[^`]*` to allow", "")
                .replaceAll("`[^`]*`", "a value")
                .replaceAll("\\s+", " ").trim();
    }

    /** A cell as the JSON value of its declared type; a cell that does not parse stays text and fails validation. */
    public static JsonNode typedCell(String cell, AttributeType type, JsonNodeFactory f) {
        try {
            return switch (type) {
                case NUMBER, INTEGER -> f.numberNode(new BigDecimal(cell));
                case BOOLEAN -> cell.equalsIgnoreCase("true") || cell.equalsIgnoreCase("false")
                        ? f.booleanNode(Boolean.parseBoolean(cell.toLowerCase())) : f.textNode(cell);
                case STRING_LIST -> {
                    ArrayNode list = f.arrayNode();
                    for (String part : cell.split("\\|")) {
                        if (!part.isBlank()) {
                            list.add(part.trim());
                        }
                    }
                    yield list;
                }
                case STRING, DATE, TIMESTAMP -> f.textNode(cell);
            };
        } catch (NumberFormatException e) {
            return f.textNode(cell);
        }
    }

    /** A cell for a number field: the number when it reads as one, else the text (which then fails as a wrong type). */
    public static JsonNode numberCell(String cell, JsonNodeFactory f) {
        try {
            return f.numberNode(new BigDecimal(cell));
        } catch (NumberFormatException e) {
            return f.textNode(cell);
        }
    }

    /** What a value of a Java type is called in a message for clients. */
    public static String expected(Class<?> type) {
        if (type == null) {
            return "a value of another type";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == LocalDate.class) {
            return "a date (YYYY-MM-DD)";
        }
        if (type == OffsetDateTime.class) {
            return "a timestamp with an offset (ISO 8601, e.g. 2026-01-31T12:00:00Z)";
        }
        if (List.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        if (Number.class.isAssignableFrom(type) || type == long.class || type == int.class) {
            return "a number";
        }
        return "an object";
    }
}
