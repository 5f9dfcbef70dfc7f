package dev.segments.rule.format;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.rule.FieldCatalog;
import dev.segments.rule.FieldDef;
import dev.segments.rule.FieldType;
import dev.segments.rule.Operator;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

import static dev.segments.rule.format.TranslationBuilder.F;

/**
 * A {@link FieldCatalog} as react-querybuilder's {@code fields} prop. Operators are react-querybuilder's standard
 * names wherever one means the same ({@code =}, {@code <}, {@code beginsWith}, {@code null}, ...; see
 * {@link #operators}), so the library's own exports ({@code formatQuery(query, "jsonlogic")}, ...) know them; the
 * few without a standard name (within, notWithin, hasAny, hasAll, hasNone) need docs/clients/querybuilder-segments.js
 * there. A query built with these fields translates through {@link RuleFormats#toNative}.
 *
 * <p>Each field: {@code {"name", "label", "description", "datatype", "operators": [{"name", "label"}],
 * "defaultOperator", "inputType"?, "valueEditorType"?, "values"?: [{"name", "label"}]}} where datatype is the
 * native type (string, number, integer, boolean, date, timestamp, stringList). inputType is "number" for numeric
 * fields; date and timestamp fields have none, because within / notWithin take an ISO-8601 duration ("P90D") and
 * the other operators a date: pick the editor per operator. Fields with known values use a select (the values are the
 * suggestions from the catalog).
 */
public final class QueryBuilderFields {

    private QueryBuilderFields() {
    }

    /** Every available customer field, including declared {@code attributes.<key>}, in catalog order. */
    public static ArrayNode of(FieldCatalog catalog) {
        return fields(catalog.customerFields());
    }

    /**
     * As {@link #of(FieldCatalog)}, followed by the reserved {@code $segment} field (segment membership) offering
     * the given segment keys.
     */
    public static ArrayNode of(FieldCatalog catalog, Collection<String> segmentKeys) {
        ArrayNode out = of(catalog);
        ObjectNode s = out.addObject();
        s.put("name", QueryBuilderFormat.SEGMENT_FIELD);
        s.put("label", "Segment");
        s.put("description", "member of another segment");
        s.put("datatype", "segment");
        ArrayNode ops = s.putArray("operators");
        ops.addObject().put("name", "=").put("label", "is a member of");
        ops.addObject().put("name", "!=").put("label", "is not a member of");
        s.put("defaultOperator", "=");
        s.put("valueEditorType", "select");
        ArrayNode values = s.putArray("values");
        for (String k : segmentKeys) values.addObject().put("name", k).put("label", k);
        return out;
    }

    /**
     * The fields of each activity stream ({@code {"purchases": [...], "interactions": [...], "events": [...]}}), in
     * the same shape, for editors of aggregates and their {@code where} (events also accept the open-ended
     * {@code properties.<key>}, which is not listed).
     */
    public static ObjectNode streams(FieldCatalog catalog) {
        ObjectNode out = F.objectNode();
        for (FieldCatalog.StreamDef s : catalog.streams()) out.set(s.name(), fields(s.fieldList()));
        return out;
    }

    private static ArrayNode fields(List<FieldDef> defs) {
        ArrayNode out = F.arrayNode();
        for (FieldDef f : defs) {
            if (!f.available() || f.type() == null) continue;
            out.add(field(f));
        }
        return out;
    }

    private static ObjectNode field(FieldDef f) {
        FieldType t = f.type();
        ObjectNode o = F.objectNode();
        o.put("name", f.name());
        o.put("label", label(f.name()));
        o.put("description", f.description());
        o.put("datatype", t.json());
        ArrayNode ops = o.putArray("operators");
        List<Offered> ordered = operators(t);
        for (Offered op : ordered) ops.addObject().put("name", op.name()).put("label", op.label());
        o.put("defaultOperator", ordered.get(0).name());
        if (t.isNumeric()) o.put("inputType", "number");
        if (t == FieldType.BOOLEAN) o.put("valueEditorType", "checkbox");
        if (!f.values().isEmpty()) {
            o.put("valueEditorType", t == FieldType.STRING_LIST ? "multiselect" : "select");
            ArrayNode values = o.putArray("values");
            for (String v : f.values()) values.addObject().put("name", v).put("label", v);
        }
        return o;
    }

    /**
     * One operator offered for a field: its react-querybuilder name, its label and the native rule it stands for:
     * {@code nativeOp}, or with {@code negated} {"not": nativeOp}; on time values {@code <=} / {@code >=} are the
     * negated after / before, which translate to the inclusive {"and": [isSet, {"not": after|before}]}
     * (docs/rule-semantics.md, "Dates and comparisons").
     */
    record Offered(String name, String label, Operator nativeOp, boolean negated) {
    }

    /**
     * The operators offered for a type, comparisons first and notNull / null (isSet / isNotSet) last: for every
     * native operator of the type react-querybuilder's standard name where one means the same ({@code =},
     * {@code beginsWith}, {@code null}, ...), followed by the standard negation where the type has no native one
     * ({@code doesNotBeginWith}, {@code notBetween}, {@code !=} and the inclusive {@code <=} / {@code >=} on time
     * values); the native name where react-querybuilder has none (within, notWithin, hasAny, hasAll, hasNone).
     * Every one translates (RuleFormats.toNative), and the export writes each back under the same name.
     */
    static List<Offered> operators(FieldType t) {
        boolean time = t.isTime();
        List<Offered> ops = new ArrayList<>();
        for (Operator op : t.operators()) {
            switch (op) {
                case IS_SET, IS_NOT_SET -> { } // last
                case EQ -> {
                    ops.add(new Offered("=", time ? "on (same day)" : t == FieldType.BOOLEAN ? "is" : "=", op, false));
                    if (time) ops.add(new Offered("!=", "not on", op, true));
                }
                case NEQ -> ops.add(new Offered("!=", "!=", op, false));
                case IN -> ops.add(new Offered("in", "in", op, false));
                case NOT_IN -> ops.add(new Offered("notIn", "not in", op, false));
                case CONTAINS -> ops.add(new Offered("contains", "contains", op, false));
                case NOT_CONTAINS -> ops.add(new Offered("doesNotContain", "does not contain", op, false));
                case STARTS_WITH -> {
                    ops.add(new Offered("beginsWith", "begins with", op, false));
                    ops.add(new Offered("doesNotBeginWith", "does not begin with", op, true));
                }
                case ENDS_WITH -> {
                    ops.add(new Offered("endsWith", "ends with", op, false));
                    ops.add(new Offered("doesNotEndWith", "does not end with", op, true));
                }
                case GT -> ops.add(new Offered(">", ">", op, false));
                case GTE -> ops.add(new Offered(">=", ">=", op, false));
                case LT -> ops.add(new Offered("<", "<", op, false));
                case LTE -> ops.add(new Offered("<=", "<=", op, false));
                case BEFORE -> {
                    ops.add(new Offered("<", "before", op, false));
                    ops.add(new Offered("<=", "on or before", Operator.AFTER, true));
                }
                case AFTER -> {
                    ops.add(new Offered(">", "after", op, false));
                    ops.add(new Offered(">=", "on or after", Operator.BEFORE, true));
                }
                case BETWEEN -> {
                    ops.add(new Offered("between", "between", op, false));
                    ops.add(new Offered("notBetween", "not between", op, true));
                }
                case WITHIN -> ops.add(new Offered("within", "within the last", op, false));
                case NOT_WITHIN -> ops.add(new Offered("notWithin", "not within the last", op, false));
                case HAS_ANY -> ops.add(new Offered("hasAny", "has any of", op, false));
                case HAS_ALL -> ops.add(new Offered("hasAll", "has all of", op, false));
                case HAS_NONE -> ops.add(new Offered("hasNone", "has none of", op, false));
            }
        }
        ops.add(new Offered("notNull", "is set", Operator.IS_SET, false));
        ops.add(new Offered("null", "is not set", Operator.IS_NOT_SET, false));
        return ops;
    }

    /** "lastPurchaseAt" -> "Last purchase at", "attributes.plan" -> "Plan (attribute)". */
    static String label(String name) {
        if (name.startsWith("attributes.")) return words(name.substring("attributes.".length())) + " (attribute)";
        return words(name);
    }

    private static String words(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '_' || c == '.') {
                b.append(' ');
            } else if (Character.isUpperCase(c) && i > 0 && !Character.isUpperCase(s.charAt(i - 1))) {
                b.append(' ').append(Character.toLowerCase(c));
            } else {
                b.append(b.isEmpty() ? Character.toUpperCase(c) : c);
            }
        }
        String out = b.toString().replaceAll(" +", " ").strip();
        return out.isEmpty() ? s : out.substring(0, 1).toUpperCase(Locale.ROOT) + out.substring(1);
    }
}
