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
        assertFalse(names(fields, "name").contains("leadScore"), "not available yet");
        assertFalse(names(fields, "name").contains("rfm.segment"), "not available yet");
    }

    @Test
    void fieldShapes() {
        ArrayNode fields = QueryBuilderFields.of(CATALOG);
        assertEquals(j("""
                {'name':'totalSpend','label':'Total spend','description':'sum of purchase amounts (rollup)','datatype':'number',
                 'operators':[{'name':'eq','label':'='},{'name':'neq','label':'!='},{'name':'in','label':'in'},
                   {'name':'notIn','label':'not in'},{'name':'gt','label':'>'},{'name':'gte','label':'>='},{'name':'lt','label':'<'},
                   {'name':'lte','label':'<='},{'name':'between','label':'between'},
                   {'name':'isSet','label':'is set'},{'name':'isNotSet','label':'is not set'}],
                 'defaultOperator':'eq','inputType':'number'}"""), byName(fields, "totalSpend"));
        assertEquals(j("""
                {'name':'priceTier','label':'Price tier','description':'price tier','datatype':'string',
                 'operators':[{'name':'eq','label':'='},{'name':'neq','label':'!='},{'name':'in','label':'in'},
                   {'name':'notIn','label':'not in'},{'name':'contains','label':'contains'},{'name':'notContains','label':'does not contain'},
                   {'name':'startsWith','label':'begins with'},{'name':'endsWith','label':'ends with'},
                   {'name':'isSet','label':'is set'},{'name':'isNotSet','label':'is not set'}],
                 'defaultOperator':'eq','valueEditorType':'select',
                 'values':[{'name':'low','label':'low'},{'name':'mid','label':'mid'},{'name':'vip','label':'vip'}]}"""),
                byName(fields, "priceTier"));
        JsonNode plan = byName(fields, "attributes.plan");
        assertEquals("Plan (attribute)", plan.get("label").asText());
        assertEquals("string", plan.get("datatype").asText());
        JsonNode vip = byName(fields, "attributes.vip");
        assertEquals("checkbox", vip.get("valueEditorType").asText());
        assertEquals(List.of("eq", "isSet", "isNotSet"), names(vip.get("operators"), "name"));
        JsonNode last = byName(fields, "lastPurchaseAt");
        assertEquals("timestamp", last.get("datatype").asText());
        assertFalse(last.has("inputType"), "date pickers cannot enter durations; pick per operator");
        assertEquals(List.of("eq", "between", "before", "after", "within", "notWithin", "isSet", "isNotSet"),
                names(last.get("operators"), "name"));
        assertEquals(List.of("hasAny", "hasAll", "hasNone", "isSet", "isNotSet"), names(byName(fields, "tags").get("operators"), "name"));
        assertEquals("Last purchase at", last.get("label").asText());
        assertEquals("External id", byName(fields, "externalId").get("label").asText());
        assertEquals("integer", byName(fields, "age").get("datatype").asText());
    }

    /** Operators offered for each field are exactly the native ones, and a rule built with them comes back unchanged. */
    @Test
    void everyOfferedOperatorComesBackUnchanged() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        int checked = 0;
        for (JsonNode field : QueryBuilderFields.of(CATALOG)) {
            String name = field.get("name").asText();
            FieldType type = FieldType.fromJson(field.get("datatype").asText()).orElseThrow();
            List<String> offered = names(field.get("operators"), "name");
            assertEquals(type.operators().stream().map(Operator::json).sorted().toList(), offered.stream().sorted().toList(), name);
            for (String op : offered) {
                Operator o = Operator.fromJson(op).orElseThrow();
                JsonNode value = sample(type, o);
                ObjectNode rule = f.objectNode().put("field", name).put("operator", op);
                rule.set("value", value == null ? f.textNode("") : value);
                ObjectNode query = f.objectNode().put("combinator", "and");
                query.putArray("rules").add(rule);
                JsonNode back = RuleFormats.toNative(RuleFormat.QUERY_BUILDER, query);
                ObjectNode expected = f.objectNode().put("field", name).put("op", op);
                if (value != null) expected.set("value", value);
                assertEquals(expected, back, name + " " + op);
                assertValidNative(back);
                checked++;
            }
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
