package dev.segments.rule;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One field usable in rules: public name, type, where its value lives in SQL, and metadata for field pickers.
 *
 * @param name        public field name, e.g. "totalSpend", "attributes.plan", "properties.plan"
 * @param type        value type; null for event properties, which are compared as the type of the rule's value
 * @param description human description
 * @param words       how the field reads in a sentence ({@link Words}; rule/format/RuleText)
 * @param values      known or suggested values (enums), may be empty
 * @param available   false for fields announced by the contract but not computed yet (marked (A)); such fields
 *                    are rejected with {@code field_not_available}
 * @param access      how to reach the value in SQL (constant text; JSON keys are bound as parameters)
 * @param changedBy   the writes that can change the value (never empty): a rule reading the field is re-evaluated
 *                    for the written customers after each of them
 */
public record FieldDef(String name, FieldType type, String description, Words words, List<String> values,
                       boolean available, Access access, Set<Source> changedBy) {

    public FieldDef {
        Objects.requireNonNull(name);
        Objects.requireNonNull(description);
        Objects.requireNonNull(words);
        Objects.requireNonNull(access);
        values = List.copyOf(values);
        if (changedBy.isEmpty()) throw new IllegalArgumentException("field '" + name + "' names no write that changes it");
        changedBy = Collections.unmodifiableSet(EnumSet.copyOf(changedBy));
    }

    /** The field's label, a noun phrase ("last purchase", "price tier"): how rules in words and reports name it. */
    public String label() { return words.label(); }

    /**
     * How a field reads in a sentence (rule/format/RuleText, reports).
     *
     * @param label  a lower-case noun phrase naming the field: "last purchase", "total spend", "price tier"
     * @param did    optional verb phrase, past tense, that states the field's fact: for a time field what
     *               {@code within} says ("bought" for lastPurchaseAt: "bought in the last 90 days"); for a numeric
     *               stream field what its {@code sum} says ("spent" for a purchase's amount: "spent more than 1,000")
     * @param didNot its exact negation ("did not buy", "did not spend"); present exactly when {@code did} is
     */
    public record Words(String label, String did, String didNot) {
        public Words {
            Objects.requireNonNull(label);
            if ((did == null) != (didNot == null)) throw new IllegalArgumentException("did and didNot go together");
        }

        /** A label alone, no verb. */
        public static Words of(String label) { return new Words(label, null, null); }

        public boolean hasVerb() { return did != null; }
    }

    /** True for event properties: typed by the value they are compared with. */
    public boolean typedByValue() { return type == null; }

    /** Operators allowed for this field. */
    public Set<Operator> operators() {
        return type == null ? Set.of(Operator.values()) : type.operators();
    }

    /** Where a field's value lives. All SQL text here is constant, chosen by the catalog, never by a client. */
    public sealed interface Access permits Column, Json, Age, Quotient {
    }

    /** A column (or constant expression) such as {@code c.total_spend}. */
    public record Column(String sql) implements Access {
    }

    /** A key inside a jsonb column such as {@code c.attributes}; the key is bound as a parameter. */
    public record Json(String column, String key) implements Access {
    }

    /**
     * The exact quotient {@code numerator / denominator} of two columns (averageOrderValue = total_spend /
     * purchase_count), missing where the denominator is not positive. Compared by cross-multiplying
     * ({@code n / d > v} as {@code d > 0 and n > v * d}), never through a rounded division.
     */
    public record Quotient(String numerator, String denominator) implements Access {
    }

    /** Age in whole years derived from a date column and now; compiled to ranges over the date column. */
    public record Age(String birthDateColumn) implements Access {
    }
}
