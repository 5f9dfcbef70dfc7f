package dev.segments.rule.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.rule.FieldDef;
import dev.segments.rule.FieldType;
import dev.segments.rule.Operator;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.List;

import static dev.segments.rule.format.Fixtures.CATALOG;
import static dev.segments.rule.format.Fixtures.assertValidNative;
import static dev.segments.rule.format.Fixtures.j;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QueryBuilderFieldsTest {

    static JsonNode byName(ArrayNode fields, String name) {
        for (JsonNode f : fields) if (f.get("name").asText().equals(name)) return f;
        return null;
    }

    static List<String> names(JsonNode arr, String key) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.get(key).asText()));
        return out;
    }

    @Test
    void everyAvailableCustomerFieldInCatalogOrder() {
        ArrayNode fields = QueryBuilderFields.of(CATALOG);
        List<String> expected = CATALOG.customerFields().stream().filter(FieldDef::available).map(FieldDef::name).toList();
        assertEquals(expected, names(fields, "name"));
        assertTrue(expected.contains("attributes.plan"));
        assertTrue(expected.contains("attributes.renewalDate"));
        assertTrue(names(fields, "name").containsAll(List.of("rfm.recency", "rfm.frequency", "rfm.monetary", "rfm.score",
                "rfm.segment", "activityStatus", "abcClass", "xyzClass", "abcXyz", "leadScore", "leadTemperature",
                "valueQuadrant")), "analytics fields (issue 15)");
        assertEquals(expected, CATALOG.customerFields().stream().map(FieldDef::name).toList(), "every field is available");
    }

    @Test
    void fieldShapes() {
        ArrayNode fields = QueryBuilderFields.of(CATALOG);
        assertEquals(j("""
                {'name':'totalSpend','label':'Total spend','description':'sum of purchase amounts (rollup)','datatype':'number',
                 'operators':[{'name':'=','label':'='},{'name':'!=','label':'!='},{'name':'in','label':'in'},
                   {'name':'notIn','label':'not in'},{'name':'>','label':'>'},{'name':'>=','label':'>='},{'name':'<','label':'<'},
                   {'name':'<=','label':'<='},{'name':'between','label':'between'},{'name':'notBetween','label':'not between'},
                   {'name':'notNull','label':'is set'},{'name':'null','label':'is not set'}],
                 'defaultOperator':'=','inputType':'number'}"""), byName(fields, "totalSpend"));
        assertEquals(j("""
                {'name':'priceTier','label':'Price tier','description':'price tier','datatype':'string',
                 'operators':[{'name':'=','label':'='},{'name':'!=','label':'!='},{'name':'in','label':'in'},
                   {'name':'notIn','label':'not in'},{'name':'contains','label':'contains'},{'name':'doesNotContain','label':'does not contain'},
                   {'name':'beginsWith','label':'begins with'},{'name':'doesNotBeginWith','label':'does not begin with'},
                   {'name':'endsWith','label':'ends with'},{'name':'doesNotEndWith','label':'does not end with'},
                   {'name':'notNull','label':'is set'},{'name':'null','label':'is not set'}],
                 'defaultOperator':'=','valueEditorType':'select',
                 'values':[{'name':'low','label':'low'},{'name':'mid','label':'mid'},{'name':'vip','label':'vip'}]}"""),
                byName(fields, "priceTier"));
        JsonNode plan = byName(fields, "attributes.plan");
        assertEquals("Plan (attribute)", plan.get("label").asText());
        assertEquals("string", plan.get("datatype").asText());
        JsonNode vip = byName(fields, "attributes.vip");
        assertEquals("checkbox", vip.get("valueEditorType").asText());
        assertEquals(List.of("=", "notNull", "null"), names(vip.get("operators"), "name"));
        JsonNode last = byName(fields, "lastPurchaseAt");
        assertEquals("timestamp", last.get("datatype").asText());
        assertFalse(last.has("inputType"), "date pickers cannot enter durations; pick per operator");
        assertEquals(List.of("=", "!=", "between", "notBetween", "<", "<=", ">", ">=", "within", "notWithin", "notNull", "null"),
                names(last.get("operators"), "name"));
        assertEquals(List.of("on (same day)", "not on", "between", "not between", "before", "on or before", "after",
                "on or after", "within the last", "not within the last", "is set", "is not set"), names(last.get("operators"), "label"));
        assertEquals(List.of("hasAny", "hasAll", "hasNone", "notNull", "null"), names(byName(fields, "tags").get("operators"), "name"));
        assertEquals("Last purchase at", last.get("label").asText());
        assertEquals("External id", byName(fields, "externalId").get("label").asText());
        assertEquals("integer", byName(fields, "age").get("datatype").asText());
    }

    /** react-querybuilder's default operator names (its defaultOperators, 8.x): what its exports and parsers know. */
    static final Set<String> RQB_STANDARD = Set.of("=", "!=", "<", ">", "<=", ">=", "contains", "beginsWith", "endsWith",
            "doesNotContain", "doesNotBeginWith", "doesNotEndWith", "null", "notNull", "in", "notIn", "between", "notBetween");

    /**
     * Every native operator of each field's type is offered, under react-querybuilder's standard name wherever one
     * means the same (only within, notWithin and the list operators keep theirs); every offered operator translates
     * to the native condition it stands for, valid, and the export writes that condition back under the same name.
     */
    @Test
    void everyOfferedOperatorTranslatesAndExportsUnderItsName() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        Set<String> nonStandard = Set.of("within", "notWithin", "hasAny", "hasAll", "hasNone");
        int checked = 0;
        for (JsonNode field : QueryBuilderFields.of(CATALOG)) {
            String name = field.get("name").asText();
            FieldType type = FieldType.fromJson(field.get("datatype").asText()).orElseThrow();
            List<QueryBuilderFields.Offered> offered = QueryBuilderFields.operators(type);
            assertEquals(names(field.get("operators"), "name"), offered.stream().map(QueryBuilderFields.Offered::name).toList());
            Set<Operator> covered = new HashSet<>();
            for (QueryBuilderFields.Offered op : offered) {
                assertTrue(RQB_STANDARD.contains(op.name()) || nonStandard.contains(op.name()), op.name());
                JsonNode value = sample(type, op.nativeOp());
                ObjectNode rule = f.objectNode().put("field", name).put("operator", op.name());
                rule.set("value", value == null ? f.textNode("") : value);
                ObjectNode query = f.objectNode().put("combinator", "and");
                query.putArray("rules").add(rule);
                JsonNode back = RuleFormats.toNative(RuleFormat.QUERY_BUILDER, query, CATALOG);
                ObjectNode condition = f.objectNode().put("field", name).put("op", op.nativeOp().json());
                if (value != null) condition.set("value", value);
                JsonNode expected = condition;
                if (op.negated() && (op.nativeOp() == Operator.AFTER || op.nativeOp() == Operator.BEFORE)) {
                    expected = j("{'and':[{'field':'" + name + "','op':'isSet'},{'not':" + condition + "}]}");
                } else if (op.negated()) {
                    expected = f.objectNode().set("not", condition);
                }
                assertEquals(expected, back, name + " " + op.name());
                assertValidNative(back);
                covered.add(op.nativeOp());
                JsonNode exported = RuleFormats.fromNative(RuleFormat.QUERY_BUILDER, back, CATALOG);
                assertEquals(op.name(), exported.at("/rules/0/operator").asText(), () -> name + " exported as " + exported);
                assertEquals(1, exported.get("rules").size());
                checked++;
            }
            assertEquals(type.operators(), covered, name);
        }
        assertTrue(checked > 200, "checked " + checked);
    }

    static JsonNode sample(FieldType t, Operator op) {
        if (!op.takesValue()) return null;
        String one = switch (t) {
            case STRING, STRING_LIST -> "'x'";
            case NUMBER -> "1.5";
            case INTEGER -> "3";
            case BOOLEAN -> "true";
            case DATE -> "'2024-01-01'";
            case TIMESTAMP -> "'2024-01-01T10:00:00Z'";
        };
        String two = switch (t) {
            case NUMBER -> "2.5";
            case INTEGER -> "4";
            case DATE -> "'2024-12-31'";
            case TIMESTAMP -> "'2024-12-31T10:00:00Z'";
            default -> "'y'";
        };
        return switch (op) {
            case IN, NOT_IN, HAS_ANY, HAS_ALL, HAS_NONE -> j("[" + one + "," + two + "]");
            case BETWEEN -> j("[" + one + "," + two + "]");
            case WITHIN, NOT_WITHIN -> j("'P30D'");
            default -> j(one);
        };
    }

    @Test
    void segmentPseudoField() {
        ArrayNode fields = QueryBuilderFields.of(CATALOG, List.of("vip", "churned"));
        JsonNode s = fields.get(fields.size() - 1);
        assertEquals(j("""
                {'name':'$segment','label':'Segment','description':'member of another segment','datatype':'segment',
                 'operators':[{'name':'=','label':'is a member of'},{'name':'!=','label':'is not a member of'}],
                 'defaultOperator':'=','valueEditorType':'select',
                 'values':[{'name':'vip','label':'vip'},{'name':'churned','label':'churned'}]}"""), s);
        assertEquals(QueryBuilderFields.of(CATALOG).size() + 1, fields.size());
    }

    @Test
    void streamFields() {
        ObjectNode streams = QueryBuilderFields.streams(CATALOG);
        assertEquals(List.of("purchases", "interactions", "events"), iterable(streams));
        assertEquals(List.of("occurredAt", "amount", "currency", "product", "category", "channel", "quantity", "attributes.coupon"),
                names(streams.get("purchases"), "name"));
        assertTrue(names(streams.get("interactions"), "name").contains("attributes.durationMin"));
    }

    private static List<String> iterable(ObjectNode o) {
        List<String> out = new ArrayList<>();
        o.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
