package dev.segments.rule;

import java.util.Optional;

/** Comparison operators of the rule language, with their JSON names. */
public enum Operator {
    IS_SET("isSet"), IS_NOT_SET("isNotSet"),
    EQ("eq"), NEQ("neq"), IN("in"), NOT_IN("notIn"),
    CONTAINS("contains"), NOT_CONTAINS("notContains"), STARTS_WITH("startsWith"), ENDS_WITH("endsWith"),
    GT("gt"), GTE("gte"), LT("lt"), LTE("lte"), BETWEEN("between"),
    BEFORE("before"), AFTER("after"), WITHIN("within"), NOT_WITHIN("notWithin"),
    HAS_ANY("hasAny"), HAS_ALL("hasAll"), HAS_NONE("hasNone");

    private final String json;

    Operator(String json) { this.json = json; }

    public String json() { return json; }

    public boolean takesValue() { return this != IS_SET && this != IS_NOT_SET; }

    public static Optional<Operator> fromJson(String s) {
        for (Operator o : values()) if (o.json.equals(s)) return Optional.of(o);
        return Optional.empty();
    }
}
