package dev.segments.rule;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

import static dev.segments.rule.Operator.*;

/** Value types of fields, with the operators each type allows (isSet / isNotSet are allowed for all). */
public enum FieldType {
    STRING("string", EnumSet.of(IS_SET, IS_NOT_SET, EQ, NEQ, IN, NOT_IN, CONTAINS, NOT_CONTAINS, STARTS_WITH, ENDS_WITH)),
    NUMBER("number", EnumSet.of(IS_SET, IS_NOT_SET, EQ, NEQ, GT, GTE, LT, LTE, BETWEEN, IN, NOT_IN)),
    INTEGER("integer", EnumSet.of(IS_SET, IS_NOT_SET, EQ, NEQ, GT, GTE, LT, LTE, BETWEEN, IN, NOT_IN)),
    BOOLEAN("boolean", EnumSet.of(IS_SET, IS_NOT_SET, EQ)),
    DATE("date", EnumSet.of(IS_SET, IS_NOT_SET, EQ, BEFORE, AFTER, BETWEEN, WITHIN, NOT_WITHIN)),
    TIMESTAMP("timestamp", EnumSet.of(IS_SET, IS_NOT_SET, EQ, BEFORE, AFTER, BETWEEN, WITHIN, NOT_WITHIN)),
    STRING_LIST("stringList", EnumSet.of(IS_SET, IS_NOT_SET, HAS_ANY, HAS_ALL, HAS_NONE));

    private final String json;
    private final Set<Operator> operators;

    FieldType(String json, Set<Operator> operators) {
        this.json = json;
        this.operators = operators;
    }

    public String json() { return json; }

    /** Operators allowed on fields of this type (unmodifiable, in declaration order). */
    public Set<Operator> operators() { return java.util.Collections.unmodifiableSet(operators); }

    public boolean isNumeric() { return this == NUMBER || this == INTEGER; }

    public boolean isTime() { return this == DATE || this == TIMESTAMP; }

    public static Optional<FieldType> fromJson(String s) {
        for (FieldType t : values()) if (t.json.equals(s)) return Optional.of(t);
        return Optional.empty();
    }
}
