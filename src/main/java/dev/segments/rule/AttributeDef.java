package dev.segments.rule;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A tenant-declared custom attribute (table attribute_definition).
 *
 * @param entity customer, purchase or interaction
 * @param key    attribute key, {@code ^[A-Za-z][A-Za-z0-9_]{0,62}$}
 * @param type   string, number, integer, boolean, date, timestamp or stringList
 */
public record AttributeDef(String entity, String key, String type, String description) {
    private static final Pattern KEY = Pattern.compile("^[A-Za-z][A-Za-z0-9_]{0,62}$");

    public AttributeDef(String entity, String key, String type) { this(entity, key, type, null); }

    public AttributeDef {
        Objects.requireNonNull(entity);
        Objects.requireNonNull(key);
        Objects.requireNonNull(type);
        if (!entity.equals("customer") && !entity.equals("purchase") && !entity.equals("interaction")) {
            throw new IllegalArgumentException("unknown attribute entity: " + entity);
        }
        if (!KEY.matcher(key).matches()) throw new IllegalArgumentException("invalid attribute key: " + key);
        if (FieldType.fromJson(type).isEmpty()) throw new IllegalArgumentException("unknown attribute type: " + type);
    }

    public FieldType fieldType() { return FieldType.fromJson(type).orElseThrow(); }
}
