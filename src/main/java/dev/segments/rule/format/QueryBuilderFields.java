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
 * A {@link FieldCatalog} as react-querybuilder's {@code fields} prop. Operators are the native operator names, so a
 * query built with these fields comes back through {@link RuleFormats#toNative} unchanged.
 *
 * <p>Each field: {@code {"name", "label", "description", "datatype", "operators": [{"name", "label"}],
 * "defaultOperator", "inputType"?, "valueEditorType"?, "values"?: [{"name", "label"}]}} where datatype is the
 * native type (string, number, integer, boolean, date, timestamp, stringList). inputType is "number" for numeric
 * fields; date and timestamp fields have none, because within/notWithin take an ISO-8601 duration ("P90D") and the
 * other operators a date: pick the editor per operator. Fields with known values use a select (the values are the
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
        List<Operator> ordered = operators(t);
        for (Operator op : ordered) ops.addObject().put("name", op.json()).put("label", operatorLabel(t, op));
        o.put("defaultOperator", ordered.get(0).json());
        if (t.isNumeric()) o.put("inputType", "number");
        if (t == FieldType.BOOLEAN) o.put("valueEditorType", "checkbox");
        if (!f.values().isEmpty()) {
            o.put("valueEditorType", t == FieldType.STRING_LIST ? "multiselect" : "select");
            ArrayNode values = o.putArray("values");
            for (String v : f.values()) values.addObject().put("name", v).put("label", v);
        }
        return o;
    }

    /** The type's operators, comparisons first and isSet / isNotSet last. */
    static List<Operator> operators(FieldType t) {
        List<Operator> ops = new ArrayList<>();
        for (Operator op : t.operators()) if (op.takesValue()) ops.add(op);
        for (Operator op : t.operators()) if (!op.takesValue()) ops.add(op);
        return ops;
    }

    static String operatorLabel(FieldType t, Operator op) {
        boolean time = t.isTime();
        return switch (op) {
            case IS_SET -> "is set";
            case IS_NOT_SET -> "is not set";
            case EQ -> time ? "on (same day)" : t == FieldType.BOOLEAN ? "is" : "=";
            case NEQ -> "!=";
            case IN -> "in";
            case NOT_IN -> "not in";
            case CONTAINS -> "contains";
            case NOT_CONTAINS -> "does not contain";
            case STARTS_WITH -> "begins with";
            case ENDS_WITH -> "ends with";
            case GT -> ">";
            case GTE -> ">=";
            case LT -> "<";
            case LTE -> "<=";
            case BETWEEN -> "between";
            case BEFORE -> "before";
            case AFTER -> "after";
            case WITHIN -> "within the last";
            case NOT_WITHIN -> "not within the last";
            case HAS_ANY -> "has any of";
            case HAS_ALL -> "has all of";
            case HAS_NONE -> "has none of";
        };
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
