package dev.segments.attribute.service;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** The types a custom attribute may be declared with, and how a JSON value is checked against each. */
public enum AttributeType {
    STRING("string"), NUMBER("number"), INTEGER("integer"), BOOLEAN("boolean"), DATE("date"),
    TIMESTAMP("timestamp"), STRING_LIST("stringList");

    private final String name;

    AttributeType(String name) {
        this.name = name;
    }

    @JsonValue
    public String wireName() {
        return name;
    }

    public static AttributeType of(String name) {
        for (AttributeType t : values()) {
            if (t.name.equals(name)) {
                return t;
            }
        }
        return null;
    }

    /** Whether a (non-null) JSON value is of this type. */
    public boolean accepts(JsonNode v) {
        return switch (this) {
            case STRING -> v.isTextual();
            case NUMBER -> v.isNumber();
            case INTEGER -> v.isIntegralNumber()
                    || (v.isBigDecimal() && v.decimalValue().stripTrailingZeros().scale() <= 0);
            case BOOLEAN -> v.isBoolean();
            case DATE -> v.isTextual() && parses(() -> LocalDate.parse(v.textValue()));
            case TIMESTAMP -> v.isTextual() && parses(() -> OffsetDateTime.parse(v.textValue()));
            case STRING_LIST -> v.isArray() && allText(v);
        };
    }

    public String describe() {
        return switch (this) {
            case STRING -> "a string";
            case NUMBER -> "a number";
            case INTEGER -> "an integer";
            case BOOLEAN -> "true or false";
            case DATE -> "a date (YYYY-MM-DD)";
            case TIMESTAMP -> "an ISO-8601 timestamp with offset";
            case STRING_LIST -> "an array of strings";
        };
    }

    private static boolean allText(JsonNode array) {
        for (JsonNode e : array) {
            if (!e.isTextual()) {
                return false;
            }
        }
        return true;
    }

    private static boolean parses(Runnable parse) {
        try {
            parse.run();
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }
}
