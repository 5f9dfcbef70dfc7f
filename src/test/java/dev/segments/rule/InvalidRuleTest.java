package dev.segments.rule;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every error code, with its pointer; several errors at once. */
class InvalidRuleTest {

    static final FieldCatalog CATALOG = FieldCatalog.of(List.of(new AttributeDef("customer", "plan", "string")));
    static final RuleParser PARSER = new RuleParser();
    static final Map<String, ResolvedSegment> SEGMENTS = Map.of(
            "a", new ResolvedSegment.Dynamic(PARSER.parse("{\"segment\":\"b\"}")),
            "b", new ResolvedSegment.Dynamic(PARSER.parse("{\"segment\":\"a\"}")),
            "c", new ResolvedSegment.Dynamic(PARSER.parse("{\"segment\":\"self\"}")),
            "stale", new ResolvedSegment.Dynamic(PARSER.parse("{\"field\":\"attributes.gone\",\"op\":\"isSet\"}")),
            "fine", new ResolvedSegment.Static(3));

    static List<String> errors(String selfKey, String json) {
        try {
            RuleNode n = PARSER.parse(json);
            return new RuleValidator(CATALOG, k -> Optional.ofNullable(SEGMENTS.get(k))).validate(selfKey, n).stream()
                    .map(e -> e.pointer() + " " + e.code()).toList();
        } catch (InvalidRuleException e) {
            return e.errors().stream().map(x -> x.pointer() + " " + x.code()).toList();
        }
    }

    static Arguments e(String json, String... expected) {
        return Arguments.of(json.replace('\'', '"'), List.of(expected));
    }

    static String cond(String f, String op, String v) {
        return "{'field':'" + f + "','op':'" + op + "'" + (v == null ? "" : ",'value':" + v) + "}";
    }

    static Stream<Arguments> cases() {
        return Stream.of(
                e("{'and':[", " invalid_json"),
                e("[]", " invalid_shape"),
                e("{}", " invalid_shape"),
                e("{'and':[],'or':[]}", " invalid_shape"),
                e("{'and':{}}", "/and invalid_shape"),
                e("{'and':[]}", "/and empty_group"),
                e("{'and':[" + cond("name", "eq", "'x'") + ",1]}", "/and/1 invalid_shape"),
                e("{'not':" + cond("name", "eq", "'x'") + ",'x/y~z':1}", "/x~1y~0z unknown_key"),
                e("{'field':'name','op':'eq'}", " missing_key"),
                e("{'field':'name','value':'x'}", " missing_key"),
                e("{'field':'name','op':'like','value':'x'}", "/op unknown_operator"),
                e("{'field':'name','op':'isSet','value':'x'}", "/value invalid_value"),
                e("{'field':'name','op':'eq','value':null}", "/value invalid_value"),
                e("{'field':'name','op':'eq','value':'a\\u0000b'}", "/value invalid_value"),
                e("{'field':'name','op':'in','value':['a',{}]}", "/value/1 invalid_value"),
                e(cond("nope", "eq", "1"), "/field unknown_field"),
                e(cond("attributes.undeclared", "eq", "'x'"), "/field unknown_field"),
                e(cond("leadScore", "gt", "'high'"), "/value invalid_value"),
                e(cond("abcClass", "gt", "'A'"), "/op operator_not_allowed"),
                e(cond("xyzClass", "contains", "1"), "/value invalid_value"),
                e(cond("rfm.recency", "gt", "4.5"), "/value invalid_value"),
                e(cond("activityStatus", "gt", "'new'"), "/op operator_not_allowed"),
                e(cond("totalSpend", "contains", "'1'"), "/op operator_not_allowed"),
                e(cond("tags", "eq", "'x'"), "/op operator_not_allowed"),
                e(cond("totalSpend", "gt", "'abc'"), "/value invalid_value"),
                e(cond("totalSpend", "gt", "1e400"), "/value invalid_value"),
                e(cond("purchaseCount", "gt", "1.5"), "/value invalid_value"),
                e(cond("totalSpend", "between", "[5, 1]"), "/value invalid_value"),
                e(cond("totalSpend", "between", "[5]"), "/value invalid_value"),
                e(cond("name", "in", "[]"), "/value invalid_value"),
                e(cond("tags", "hasAny", "'vip'"), "/value invalid_value"),
                e(cond("tags", "hasAny", "['vip', 1]"), "/value/1 invalid_value"),
                e(cond("birthDate", "eq", "'1990-02-30'"), "/value invalid_value"),
                e(cond("birthDate", "eq", "'1990-1-3'"), "/value invalid_value"),
                e(cond("createdAt", "after", "'2024-01-01T10:00:00'"), "/value invalid_value"),
                e(cond("createdAt", "between", "['2024-02-01', '2024-01-01']"), "/value invalid_value"),
                e(cond("createdAt", "within", "'90 days'"), "/value invalid_duration"),
                e(cond("createdAt", "within", "'P'"), "/value invalid_duration"),
                e(cond("createdAt", "within", "'-P1D'"), "/value invalid_duration"),
                e(cond("createdAt", "before", "{'ref':'nope'}"), "/value/ref invalid_ref"),
                e(cond("createdAt", "before", "{'ref':'totalSpend'}"), "/value/ref invalid_ref"),
                e(cond("totalSpend", "between", "{'ref':'averageOrderValue'}"), "/value invalid_ref"),
                e(cond("totalSpend", "gt", "{'ref':''}"), "/value/ref invalid_ref"),
                e(cond("name", "eq", "{'from':'2024-01-01'}"), "/value invalid_value"),
                e("{'aggregate':'count','of':'orders','op':'gt','value':1}", "/of unknown_stream"),
                e("{'aggregate':'median','of':'purchases','field':'amount','op':'gt','value':1}", "/aggregate unknown_aggregate"),
                e("{'aggregate':'sum','of':'purchases','op':'gt','value':1}", " aggregate_field_required"),
                e("{'aggregate':'count','of':'purchases','field':'amount','op':'gt','value':1}", "/field aggregate_field_not_allowed"),
                e("{'aggregate':'sum','of':'purchases','field':'currency','op':'gt','value':1}", "/field aggregate_field_not_allowed"),
                e("{'aggregate':'avg','of':'purchases','field':'occurredAt','op':'gt','value':1}", "/field aggregate_field_not_allowed"),
                e("{'aggregate':'max','of':'purchases','field':'price','op':'gt','value':1}", "/field unknown_field"),
                e("{'aggregate':'count','of':'purchases','op':'within','value':'P1D'}", "/op operator_not_allowed"),
                e("{'aggregate':'count','of':'purchases','within':'P1X','op':'gt','value':1}", "/within invalid_duration"),
                e("{'aggregate':'count','of':'purchases','within':5,'op':'gt','value':1}", "/within invalid_window"),
                e("{'aggregate':'count','of':'purchases','within':{'from':'2025-02-01','to':'2025-01-01'},'op':'gt','value':1}", "/within invalid_window"),
                e("{'aggregate':'count','of':'purchases','within':{'from':'yesterday'},'op':'gt','value':1}", "/within/from invalid_window"),
                e("{'aggregate':'count','of':'purchases','within':{},'op':'gt','value':1}", "/within invalid_window"),
                e("{'aggregate':'count','of':'purchases','where':" + cond("lifecycleStage", "eq", "'lead'") + ",'op':'gt','value':1}",
                        "/where/field unknown_field"),
                e("{'aggregate':'count','of':'purchases','where':{'segment':'fine'},'op':'gt','value':1}", "/where invalid_shape"),
                e("{'aggregate':'count','of':'purchases','where':{'aggregate':'count','of':'purchases','op':'gt','value':1},'op':'gt','value':1}",
                        "/where invalid_shape"),
                e("{'aggregate':'count','of':'events','where':" + cond("properties.x", "gt", "{'ref':'totalSpend'}") + ",'op':'gt','value':1}",
                        "/where/value invalid_ref"),
                e("{'segment':'missing'}", " unknown_segment"),
                e("{'segment':''}", "/segment invalid_shape"),
                e("{'not':{'segment':'a'}}", "/not segment_cycle"),
                e("{'segment':'stale'}", " invalid_segment"),
                // several errors at once, in document order
                e("{'and':[" + cond("nope", "eq", "1") + "," + cond("totalSpend", "contains", "'x'") + ","
                                + "{'field':'name','op':'eq','value':'x','extra':true},{'or':[]},"
                                + cond("createdAt", "within", "'P1Q'") + "]}",
                        "/and/2/extra unknown_key", "/and/3/or empty_group"),
                e("{'and':[" + cond("nope", "eq", "1") + "," + cond("totalSpend", "contains", "'x'") + ","
                                + cond("createdAt", "within", "'P1Q'") + ",{'segment':'missing'}]}",
                        "/and/0/field unknown_field", "/and/1/op operator_not_allowed", "/and/2/value invalid_duration",
                        "/and/3 unknown_segment")
        );
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("cases")
    void reports(String json, List<String> expected) {
        assertEquals(expected, errors(null, json));
    }

    @Test
    void selfReferenceOnSave() {
        assertEquals(List.of(" segment_cycle"), errors("self", "{\"segment\":\"self\"}"));
        assertEquals(List.of("/or/1 segment_cycle"),
                errors("self", "{\"or\":[{\"segment\":\"fine\"},{\"segment\":\"c\"}]}"));
        assertEquals(List.of(), errors("other", "{\"segment\":\"fine\"}"));
    }

    @Test
    void limits() {
        RuleParser small = new RuleParser(new RuleLimits(3, 5, 3, 300, 2));
        assertCodes(small, "{\"not\":{\"not\":{\"not\":{\"field\":\"name\",\"op\":\"isSet\"}}}}", "/not/not/not too_deep");
        assertCodes(small, "{\"field\":\"name\",\"op\":\"in\",\"value\":[\"a\",\"b\",\"c\",\"d\"]}", "/value too_many_values");
        assertCodes(small, "{\"or\":[{\"field\":\"name\",\"op\":\"isSet\"},{\"field\":\"name\",\"op\":\"isSet\"},"
                + "{\"field\":\"name\",\"op\":\"isSet\"}]}", "/or too_many_children");
        assertCodes(small, "{\"or\":[{\"and\":[{\"field\":\"name\",\"op\":\"isSet\"},{\"field\":\"name\",\"op\":\"isSet\"}]},"
                + "{\"and\":[{\"field\":\"name\",\"op\":\"isSet\"},{\"field\":\"name\",\"op\":\"isSet\"}]}]}", "/or/1/and/0 too_many_nodes");
        assertCodes(small, "{\"field\":\"name\",\"op\":\"eq\",\"value\":\"" + "x".repeat(300) + "\"}", " rule_too_large");
        // defaults: 64 KiB
        assertCodes(PARSER, "{\"field\":\"name\",\"op\":\"eq\",\"value\":\"" + "x".repeat(70_000) + "\"}", " rule_too_large");
        // the JsonNode entry point measures the serialized size
        var big = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                .put("field", "name").put("op", "eq").put("value", "x".repeat(70_000));
        InvalidRuleException ex = org.junit.jupiter.api.Assertions.assertThrows(InvalidRuleException.class, () -> PARSER.parse(big));
        assertEquals("rule_too_large", ex.errors().get(0).code());
    }

    static void assertCodes(RuleParser p, String json, String... expected) {
        try {
            p.parse(json);
            throw new AssertionError("expected errors " + List.of(expected));
        } catch (InvalidRuleException e) {
            assertEquals(List.of(expected), e.errors().stream().map(x -> x.pointer() + " " + x.code()).toList());
        }
    }

    @Test
    void messagesAreHumanAndContractShaped() {
        RuleNode n = PARSER.parse("{\"and\":[{\"field\":\"name\",\"op\":\"isSet\"},{\"field\":\"totalSpend\",\"op\":\"contains\",\"value\":\"1\"}]}");
        List<RuleError> errs = new RuleValidator(CATALOG, SegmentResolver.NONE).validate(n);
        assertEquals(List.of(new RuleError("/and/1/op", "operator_not_allowed",
                "operator 'contains' is not defined for number field 'totalSpend'")), errs);
        InvalidRuleException ex = org.junit.jupiter.api.Assertions.assertThrows(InvalidRuleException.class,
                () -> new RuleValidator(CATALOG, SegmentResolver.NONE).check(n));
        assertTrue(ex.getMessage().contains("operator_not_allowed"));
    }
}
