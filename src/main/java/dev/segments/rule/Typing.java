package dev.segments.rule;

import java.math.BigDecimal;
import java.util.Optional;

/** Effective types of conditions and aggregates, shared by the validator and the compiler. */
public final class Typing {
    private Typing() {
    }

    /**
     * The type a condition compares as. Declared fields use their type; event properties (typed by value) are
     * inferred from the operator and the value. Empty when it cannot be inferred (isSet/isNotSet on a property).
     */
    public static Optional<FieldType> conditionType(FieldDef f, Operator op, Value value) {
        if (!f.typedByValue()) return Optional.of(f.type());
        return Optional.ofNullable(inferFromValue(op, value));
    }

    public static FieldType inferFromValue(Operator op, Value value) {
        return switch (op) {
            case IS_SET, IS_NOT_SET -> null;
            case CONTAINS, NOT_CONTAINS, STARTS_WITH, ENDS_WITH -> FieldType.STRING;
            case GT, GTE, LT, LTE -> FieldType.NUMBER;
            case BEFORE, AFTER, WITHIN, NOT_WITHIN -> FieldType.TIMESTAMP;
            case HAS_ANY, HAS_ALL, HAS_NONE -> FieldType.STRING_LIST;
            case EQ, NEQ, IN, NOT_IN, BETWEEN -> {
                Object first = firstScalar(value);
                if (first instanceof BigDecimal) yield FieldType.NUMBER;
                if (first instanceof Boolean) yield FieldType.BOOLEAN;
                yield op == Operator.BETWEEN ? FieldType.TIMESTAMP : FieldType.STRING;
            }
        };
    }

    private static Object firstScalar(Value v) {
        if (v instanceof Value.Literal l) return l.value();
        if (v instanceof Value.ListValue lv && !lv.items().isEmpty()) return lv.items().get(0).value();
        return null;
    }

    /** Result type of an aggregate, given its (validated) field. */
    public static FieldType aggregateType(RuleNode.AggregateFn fn, FieldDef field, Value value) {
        return switch (fn) {
            case COUNT -> FieldType.INTEGER;
            case SUM -> field.type() == FieldType.INTEGER ? FieldType.INTEGER : FieldType.NUMBER;
            case AVG -> FieldType.NUMBER;
            case MIN, MAX -> {
                if (!field.typedByValue()) yield field.type();
                Object first = firstScalar(value);
                yield first instanceof BigDecimal ? FieldType.NUMBER : FieldType.TIMESTAMP;
            }
        };
    }
}
