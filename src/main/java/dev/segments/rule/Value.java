package dev.segments.rule;

import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;

/** A value in a rule, as written. Interpretation (date, duration, ...) depends on the field and operator. */
public sealed interface Value permits Value.Literal, Value.ListValue, Value.Ref, Value.Window {

    String pointer();

    /** A JSON scalar: {@link String}, {@link BigDecimal} (every JSON number) or {@link Boolean}. */
    record Literal(String pointer, Object value) implements Value {
        public Literal {
            Objects.requireNonNull(pointer);
            if (!(value instanceof String || value instanceof BigDecimal || value instanceof Boolean)) {
                throw new IllegalArgumentException("literal must be String, BigDecimal or Boolean");
            }
        }

        public boolean isString() { return value instanceof String; }

        public boolean isNumber() { return value instanceof BigDecimal; }

        public boolean isBoolean() { return value instanceof Boolean; }
    }

    /** A JSON array of scalars. */
    record ListValue(String pointer, List<Literal> items) implements Value {
        public ListValue {
            Objects.requireNonNull(pointer);
            items = List.copyOf(items);
        }
    }

    /** {"ref": "customerField"}: the same customer's own field. */
    record Ref(String pointer, String field) implements Value {
        public Ref {
            Objects.requireNonNull(pointer);
            Objects.requireNonNull(field);
        }
    }

    /** {"from": ..., "to": ...}: a time window; either bound may be null (open), not both. */
    record Window(String pointer, Literal from, Literal to) implements Value {
        public Window {
            Objects.requireNonNull(pointer);
        }
    }
}
