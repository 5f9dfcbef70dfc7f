package dev.segments.customer.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.attribute.service.AttributeCatalog;
import dev.segments.attribute.service.AttributeType;
import dev.segments.common.error.JsonPointers;
import dev.segments.common.error.Problem.FieldError;
import dev.segments.customer.CustomerInput;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

/**
 * The checks that make a record's values storable and readable as sent, so that the database never rejects a
 * line of a chunk: text without NUL or unpaired surrogates (PostgreSQL text and jsonb refuse NUL; an unpaired
 * surrogate would be stored as '?'), dates and timestamps with years 1 to 9999 (PostgreSQL has no year 0, the
 * rule language reads four-digit years only), numbers that stay finite and non-zero as a 64-bit float (what
 * every JSON client reads), integers within 64 bits. Each problem points at the value.
 */
public final class ImportValues {

    private static final BigDecimal LONG_MIN = BigDecimal.valueOf(Long.MIN_VALUE);
    private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

    private ImportValues() {
    }

    /** NUL characters and unpaired surrogates anywhere in the tree, in member names as well as in strings. */
    public static void characters(JsonNode node, String pointer, List<FieldError> errors) {
        if (node.isTextual()) {
            String bad = badCharacter(node.textValue());
            if (bad != null) {
                errors.add(new FieldError(pointer, code(bad), "the string contains " + bad));
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                characters(node.get(i), JsonPointers.append(pointer, i), errors);
            }
        } else if (node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                String at = JsonPointers.append(pointer, e.getKey());
                String bad = badCharacter(e.getKey());
                if (bad != null) {
                    errors.add(new FieldError(at, code(bad), "the member name contains " + bad));
                } else {
                    characters(e.getValue(), at, errors);
                }
            }
        }
    }

    /** The same codes as every other JSON body (common/json/InputChecks). */
    private static String code(String bad) {
        return bad.contains("NUL") ? "nul_character" : "invalid_unicode";
    }

    private static String badCharacter(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == 0) {
                return "a NUL character (\\u0000), which cannot be stored";
            }
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return "an unpaired surrogate (\\u" + Integer.toHexString(c) + "), which is not a character";
            }
        }
        return null;
    }

    /** Values of the right type but outside what can be stored and read back unchanged. */
    static void ranges(CustomerInput input, AttributeCatalog catalog, List<FieldError> errors) {
        if (input.birthDate() != null && !yearInRange(input.birthDate().getYear())) {
            errors.add(outOfRange("/birthDate", "a date with a year from 1 to 9999"));
        }
        attributeRanges(input.attributes(), catalog, "", errors);
    }

    /** The range checks of {@link #ranges} for a record's declared attributes (at {@code prefix}/attributes). */
    public static void attributeRanges(JsonNode attributes, AttributeCatalog catalog, String prefix,
                                       List<FieldError> errors) {
        if (attributes == null || !attributes.isObject()) {
            return;
        }
        for (Map.Entry<String, JsonNode> e : attributes.properties()) {
            AttributeType type = catalog.types().get(e.getKey());
            JsonNode v = e.getValue();
            if (type == null || v.isNull() || !type.accepts(v)) {
                continue; // unknown or of the wrong type: the catalog reports it
            }
            String at = JsonPointers.append(prefix + "/attributes", e.getKey());
            switch (type) {
                case NUMBER -> {
                    double d = v.decimalValue().doubleValue();
                    if (Double.isInfinite(d) || (d == 0 && v.decimalValue().signum() != 0)) {
                        errors.add(outOfRange(at, "a number whose magnitude is between 4.9e-324 and 1.7e308 (or 0)"));
                    }
                }
                case INTEGER -> {
                    BigDecimal n = v.decimalValue();
                    if (n.compareTo(LONG_MIN) < 0 || n.compareTo(LONG_MAX) > 0) {
                        errors.add(outOfRange(at, "an integer from -9223372036854775808 to 9223372036854775807"));
                    }
                }
                case DATE -> {
                    if (!yearInRange(LocalDate.parse(v.textValue()).getYear())) {
                        errors.add(outOfRange(at, "a date with a year from 1 to 9999"));
                    }
                }
                case TIMESTAMP -> {
                    if (!timestampInRange(v.textValue())) {
                        errors.add(outOfRange(at, "a timestamp with a year from 1 to 9999"));
                    }
                }
                case STRING, BOOLEAN, STRING_LIST -> {
                }
            }
        }
    }

    private static boolean timestampInRange(String text) {
        try {
            return yearInRange(OffsetDateTime.parse(text).getYear());
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static boolean yearInRange(int year) {
        return year >= 1 && year <= 9999;
    }

    private static FieldError outOfRange(String pointer, String expected) {
        return new FieldError(pointer, "out_of_range", "out of range: must be " + expected);
    }
}
