package dev.segments.rule.format;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import static dev.segments.rule.RuleExamples.CANONICAL;
import static dev.segments.rule.format.Fixtures.CATALOG;
import static dev.segments.rule.format.Fixtures.assertValidNative;
import static dev.segments.rule.format.Fixtures.compact;
import static dev.segments.rule.format.Fixtures.j;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * native -> react-querybuilder -> native and native -> JsonLogic -> native give back an equal JsonNode, for a
 * corpus of valid rules covering every node type and every operator (with and without a catalog on import).
 */
class RoundTripTest {

    static final List<String> CORPUS = List.of(
            CANONICAL,
            // any type
            "{'field':'email','op':'isSet'}",
            "{'field':'phone','op':'isNotSet'}",
            // strings
            "{'and':[{'field':'name','op':'eq','value':'Ann'},{'field':'country','op':'neq','value':'DE'}]}",
            "{'or':[{'field':'city','op':'in','value':['Berlin','Paris']},{'field':'region','op':'notIn','value':['north']}]}",
            "{'and':[{'field':'email','op':'contains','value':'@example.'},{'field':'email','op':'notContains','value':'spam'},"
                    + "{'field':'name','op':'startsWith','value':'A'},{'field':'name','op':'endsWith','value':'son'}]}",
            "{'and':[{'field':'lifecycleStage','op':'in','value':['lead','trial']},{'field':'priceTier','op':'eq','value':'vip'}]}",
            // numbers: exact decimals, decimal strings, integers
            "{'and':[{'field':'totalSpend','op':'gt','value':1000.10},{'field':'totalSpend','op':'gte','value':'12.50'},"
                    + "{'field':'averageOrderValue','op':'lt','value':99.99},{'field':'averageOrderValue','op':'lte','value':100}]}",
            "{'and':[{'field':'totalSpend','op':'between','value':[10, 20.5]},{'field':'purchaseCount','op':'in','value':[1,2,3]},"
                    + "{'field':'purchaseCount','op':'notIn','value':[0]},{'field':'age','op':'eq','value':30},"
                    + "{'field':'age','op':'neq','value':31},{'field':'attributes.score','op':'eq','value':0.00000000000000000001}]}",
            "{'field':'purchaseCount','op':'between','value':['1','12']}",
            // boolean
            "{'field':'attributes.vip','op':'eq','value':true}",
            // dates
            "{'and':[{'field':'birthDate','op':'eq','value':'1990-05-17'},{'field':'birthDate','op':'before','value':'2000-01-01'},"
                    + "{'field':'birthDate','op':'after','value':'1950-01-01'},{'field':'birthDate','op':'between','value':['1980-01-01','1989-12-31']}]}",
            "{'or':[{'field':'attributes.renewalDate','op':'within','value':'P30D'},{'field':'attributes.renewalDate','op':'notWithin','value':'P1Y'}]}",
            // timestamps (with offsets and as dates)
            "{'and':[{'field':'lastPurchaseAt','op':'eq','value':'2025-01-15T10:00:00+02:00'},"
                    + "{'field':'createdAt','op':'before','value':'2025-01-01T00:00:00Z'},{'field':'createdAt','op':'after','value':'2024-01-01'},"
                    + "{'field':'updatedAt','op':'between','value':['2025-01-01','2025-01-31T23:59:59Z']},"
                    + "{'field':'lastSeenAt','op':'within','value':'PT12H'},{'field':'lastInteractionAt','op':'notWithin','value':'P6M'},"
                    + "{'field':'attributes.trialEndsAt','op':'after','value':'2025-06-01T08:30:00-05:00'}]}",
            // string lists
            "{'or':[{'field':'tags','op':'hasAny','value':['vip','beta']},{'field':'tags','op':'hasAll','value':['a','b']},"
                    + "{'field':'attributes.interests','op':'hasNone','value':['golf']}]}",
            // refs
            "{'and':[{'field':'totalSpend','op':'gt','value':{'ref':'averageOrderValue'}},"
                    + "{'field':'purchaseCount','op':'lte','value':{'ref':'attributes.seats'}},"
                    + "{'field':'email','op':'eq','value':{'ref':'attributes.plan'}},{'field':'name','op':'neq','value':{'ref':'city'}},"
                    + "{'field':'totalSpend','op':'lt','value':{'ref':'attributes.score'}},{'field':'totalSpend','op':'gte','value':{'ref':'attributes.score'}}]}",
            "{'or':[{'field':'lastInteractionAt','op':'before','value':{'ref':'lastPurchaseAt'}},"
                    + "{'field':'firstPurchaseAt','op':'after','value':{'ref':'createdAt'}},"
                    + "{'field':'lastSeenAt','op':'eq','value':{'ref':'lastPurchaseAt'}}]}",
            // date-looking strings on string fields stay what they are
            "{'and':[{'field':'externalId','op':'neq','value':'2024-01-01'},{'field':'externalId','op':'eq','value':'2024-01-01'},"
                    + "{'field':'attributes.plan','op':'in','value':['2024-01-01']},{'field':'externalId','op':'contains','value':'2024-01'}]}",
            // aggregates
            "{'aggregate':'count','of':'purchases','op':'eq','value':0}",
            "{'aggregate':'avg','of':'purchases','field':'amount','within':{'from':'2025-01-01','to':'2025-03-31T23:59:59Z'},'op':'between','value':[10,100]}",
            "{'aggregate':'max','of':'purchases','field':'occurredAt','within':{'from':'2024-06-01T00:00:00Z'},'op':'before','value':'2025-01-01'}",
            "{'aggregate':'min','of':'interactions','field':'occurredAt','where':{'not':{'field':'type','op':'in','value':['refusal','contact_attempt']}},'op':'isNotSet'}",
            "{'aggregate':'count','of':'events','where':{'and':[{'field':'name','op':'eq','value':'login'},"
                    + "{'field':'properties.plan','op':'eq','value':'pro'}]},'within':'P7D','op':'gte','value':3}",
            "{'or':[{'aggregate':'sum','of':'purchases','field':'quantity','where':{'field':'attributes.coupon','op':'isSet'},"
                    + "'op':'gt','value':{'ref':'purchaseCount'}},{'aggregate':'sum','of':'interactions','field':'attributes.durationMin','op':'gte','value':60}]}",
            // segment references
            "{'segment':'vip'}",
            "{'not':{'segment':'churned'}}",
            "{'and':[{'segment':'vip'},{'not':{'segment':'churned'}},{'field':'country','op':'eq','value':'DE'}]}",
            // negations
            "{'not':{'field':'email','op':'isSet'}}",
            "{'not':{'field':'email','op':'isNotSet'}}",
            "{'not':{'not':{'field':'email','op':'isSet'}}}",
            "{'not':{'and':[{'field':'country','op':'eq','value':'DE'}]}}",
            "{'not':{'or':[{'field':'country','op':'eq','value':'DE'},{'field':'country','op':'eq','value':'AT'}]}}",
            "{'not':{'and':[{'field':'country','op':'eq','value':'DE'},{'not':{'field':'city','op':'eq','value':'Berlin'}}]}}",
            "{'not':{'field':'birthDate','op':'eq','value':'1990-05-17'}}",
            "{'not':{'field':'createdAt','op':'after','value':'2024-01-01'}}",
            "{'not':{'field':'city','op':'in','value':['Berlin']}}",
            "{'not':{'field':'name','op':'contains','value':'x'}}",
            "{'not':{'aggregate':'count','of':'purchases','op':'gt','value':0}}",
            // single-child groups at the root and below
            "{'and':[{'field':'email','op':'isSet'}]}",
            "{'or':[{'and':[{'field':'email','op':'isSet'}]}]}",
            "{'or':[{'or':[{'field':'email','op':'isSet'}]},{'and':[{'segment':'vip'}]}]}",
            "{'and':[{'not':{'field':'email','op':'isSet'}},{'field':'email','op':'isSet'}]}",
            // deep nesting
            "{'or':[{'and':[{'or':[{'not':{'and':[{'field':'age','op':'gte','value':18},{'not':{'or':[{'segment':'a'},"
                    + "{'field':'tags','op':'hasAny','value':['x']}]}}]}},{'field':'city','op':'eq','value':'Rome'}]},"
                    + "{'field':'attributes.vip','op':'eq','value':false}]},{'aggregate':'count','of':'purchases','within':'P1Y','op':'lt','value':2}]}");

    static Stream<String> corpus() { return CORPUS.stream(); }

    @ParameterizedTest
    @MethodSource("corpus")
    void corpusIsValidNative(String json) {
        assertValidNative(j(json));
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void queryBuilderRoundTrip(String json) {
        JsonNode nativeRule = j(json);
        JsonNode rqb = RuleFormats.fromNative(RuleFormat.QUERY_BUILDER, nativeRule);
        assertEquals(nativeRule, RuleFormats.toNative(RuleFormat.QUERY_BUILDER, rqb), () -> "via " + compact(rqb));
        assertEquals(nativeRule, RuleFormats.toNative(RuleFormat.QUERY_BUILDER, rqb, CATALOG), () -> "via " + compact(rqb));
        // and through text, as a client would send it back
        assertEquals(nativeRule, RuleFormats.toNative(RuleFormat.QUERY_BUILDER, j(compact(rqb))));
        // exported with the catalog, as the service does, and read back with it, as the service does
        JsonNode typed = RuleFormats.fromNative(RuleFormat.QUERY_BUILDER, nativeRule, CATALOG);
        assertEquals(nativeRule, RuleFormats.toNative(RuleFormat.QUERY_BUILDER, typed, CATALOG), () -> "via " + compact(typed));
        assertEquals(nativeRule, RuleFormats.toNative(RuleFormat.QUERY_BUILDER, j(compact(typed)), CATALOG));
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void jsonLogicRoundTrip(String json) {
        JsonNode nativeRule = j(json);
        JsonNode logic = RuleFormats.fromNative(RuleFormat.JSON_LOGIC, nativeRule);
        assertEquals(nativeRule, RuleFormats.toNative(RuleFormat.JSON_LOGIC, logic), () -> "via " + compact(logic));
        assertEquals(nativeRule, RuleFormats.toNative(RuleFormat.JSON_LOGIC, logic, CATALOG), () -> "via " + compact(logic));
        assertEquals(nativeRule, RuleFormats.toNative(RuleFormat.JSON_LOGIC, j(compact(logic))));
        // exported with the catalog, as the service does (builtins only where json-logic-js agrees)
        JsonNode typed = RuleFormats.fromNative(RuleFormat.JSON_LOGIC, nativeRule, CATALOG);
        assertEquals(nativeRule, RuleFormats.toNative(RuleFormat.JSON_LOGIC, typed), () -> "via " + compact(typed));
        assertEquals(nativeRule, RuleFormats.toNative(RuleFormat.JSON_LOGIC, typed, CATALOG), () -> "via " + compact(typed));
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void nativeRoundTrip(String json) {
        JsonNode nativeRule = j(json);
        assertEquals(nativeRule, RuleFormats.toNative(RuleFormat.NATIVE, RuleFormats.fromNative(RuleFormat.NATIVE, nativeRule)));
    }

    @Test
    void corpusCoversEveryOperatorAndNodeType() {
        Set<String> ops = new HashSet<>();
        Set<String> shapes = new HashSet<>();
        for (String s : CORPUS) collect(j(s), ops, shapes);
        for (dev.segments.rule.Operator o : EnumSet.allOf(dev.segments.rule.Operator.class)) {
            assertTrue(ops.contains(o.json()), "corpus lacks operator " + o.json());
        }
        assertEquals(Set.of("and", "or", "not", "condition", "aggregate", "segment", "ref", "window", "duration"), shapes);
    }

    private static void collect(JsonNode n, Set<String> ops, Set<String> shapes) {
        if (n.isArray()) {
            n.forEach(c -> collect(c, ops, shapes));
            return;
        }
        if (!n.isObject()) return;
        if (n.has("op")) ops.add(n.get("op").asText());
        if (n.has("and")) shapes.add("and");
        if (n.has("or")) shapes.add("or");
        if (n.has("not")) shapes.add("not");
        if (n.has("segment")) shapes.add("segment");
        if (n.has("ref")) shapes.add("ref");
        if (n.has("aggregate")) {
            shapes.add("aggregate");
            if (n.path("within").isObject()) shapes.add("window");
            if (n.path("within").isTextual()) shapes.add("duration");
        } else if (n.has("field")) shapes.add("condition");
        n.forEach(c -> collect(c, ops, shapes));
    }

    @Test
    void canonicalExampleAsQueryBuilder() {
        assertEquals(j("""
                {'combinator':'and','rules':[
                  {'field':'lastPurchaseAt','operator':'within','value':'P90D'},
                  {'field':'$aggregate','operator':'=','value':
                    {'aggregate':'sum','of':'purchases','field':'amount','within':'P365D','op':'gt','value':1000}},
                  {'field':'$aggregate','operator':'=','value':
                    {'aggregate':'count','of':'interactions','where':{'and':[
                      {'field':'type','op':'eq','value':'consultation'},
                      {'field':'occurredAt','op':'before','value':{'ref':'lastPurchaseAt'}}]},'op':'gte','value':2}}]}"""),
                RuleFormats.fromNative(RuleFormat.QUERY_BUILDER, j(CANONICAL)));
    }

    @Test
    void canonicalExampleAsJsonLogic() {
        assertEquals(j("""
                {'and':[
                  {'within':[{'var':'lastPurchaseAt'},'P90D']},
                  {'aggregate':{'aggregate':'sum','of':'purchases','field':'amount','within':'P365D','op':'gt','value':1000}},
                  {'aggregate':{'aggregate':'count','of':'interactions','where':{'and':[
                      {'field':'type','op':'eq','value':'consultation'},
                      {'field':'occurredAt','op':'before','value':{'ref':'lastPurchaseAt'}}]},'op':'gte','value':2}}]}"""),
                RuleFormats.fromNative(RuleFormat.JSON_LOGIC, j(CANONICAL)));
    }

    @Test
    void exportShapes() {
        // bare condition at the root: react-querybuilder needs a group; react-querybuilder's standard names
        assertEquals(j("{'combinator':'and','rules':[{'field':'email','operator':'notNull','value':''}]}"),
                RuleFormats.fromNative(RuleFormat.QUERY_BUILDER, j("{'field':'email','op':'isSet'}")));
        // refs: valueSource field
        assertEquals(j("{'combinator':'and','rules':[{'field':'totalSpend','operator':'>','value':'averageOrderValue','valueSource':'field'}]}"),
                RuleFormats.fromNative(RuleFormat.QUERY_BUILDER, j("{'field':'totalSpend','op':'gt','value':{'ref':'averageOrderValue'}}")));
        // not of a condition: a negated group with one rule
        assertEquals(j("{'combinator':'and','not':true,'rules':[{'field':'$segment','operator':'=','value':'churned'}]}"),
                RuleFormats.fromNative(RuleFormat.QUERY_BUILDER, j("{'not':{'segment':'churned'}}")));
        // standard names, negations folded into one rule where react-querybuilder has an operator for them; native
        // names where it has none, or where the standard one would read back differently (< with a ref is lt)
        assertEquals(j("""
                {'combinator':'and','rules':[{'field':'name','operator':'=','value':'Ann'},{'field':'country','operator':'!=','value':'DE'},
                 {'field':'createdAt','operator':'<','value':'2025-01-01'},{'field':'createdAt','operator':'>=','value':'2024-01-01'},
                 {'field':'birthDate','operator':'!=','value':'1990-05-17'},{'field':'name','operator':'doesNotBeginWith','value':'A'},
                 {'field':'totalSpend','operator':'notBetween','value':[1,2]},{'field':'email','operator':'doesNotContain','value':'x'},
                 {'field':'phone','operator':'null','value':''},{'field':'tags','operator':'hasAny','value':['a']},
                 {'field':'lastSeenAt','operator':'within','value':'P7D'},
                 {'field':'lastInteractionAt','operator':'before','value':'lastPurchaseAt','valueSource':'field'},
                 {'field':'externalId','operator':'neq','value':'2024-01-01'}]}"""),
                RuleFormats.fromNative(RuleFormat.QUERY_BUILDER, j("""
                {'and':[{'field':'name','op':'eq','value':'Ann'},{'field':'country','op':'neq','value':'DE'},
                 {'field':'createdAt','op':'before','value':'2025-01-01'},
                 {'and':[{'field':'createdAt','op':'isSet'},{'not':{'field':'createdAt','op':'before','value':'2024-01-01'}}]},
                 {'not':{'field':'birthDate','op':'eq','value':'1990-05-17'}},{'not':{'field':'name','op':'startsWith','value':'A'}},
                 {'not':{'field':'totalSpend','op':'between','value':[1,2]}},{'field':'email','op':'notContains','value':'x'},
                 {'field':'phone','op':'isNotSet'},{'field':'tags','op':'hasAny','value':['a']},
                 {'field':'lastSeenAt','op':'within','value':'P7D'},
                 {'field':'lastInteractionAt','op':'before','value':{'ref':'lastPurchaseAt'}},
                 {'field':'externalId','op':'neq','value':'2024-01-01'}]}""")));
        // exported with the catalog (as the service does), whose import reads < with a ref to a time field as before
        assertEquals(j("{'combinator':'and','rules':[{'field':'lastInteractionAt','operator':'<','value':'lastPurchaseAt','valueSource':'field'}]}"),
                RuleFormats.fromNative(RuleFormat.QUERY_BUILDER, j("{'field':'lastInteractionAt','op':'before','value':{'ref':'lastPurchaseAt'}}"), CATALOG));
        // JsonLogic builtins only where json-logic-js evaluates them like the service and they read back exactly
        assertEquals(compact(j("{'and':[{'==':[{'var':'name'},'Ann']},{'!=':[{'var':'country'},'DE']},{'in':[{'var':'city'},['Rome']]},"
                        + "{'==':[{'var':'attributes.vip'},false]},{'!!':{'var':'email'}},{'!':{'var':'phone'}},{'!!':{'var':'tags'}},"
                        + "{'in':[{'var':'purchaseCount'},[1,2]]},{'in':[{'var':'totalSpend'},[12.50]]}]}")),
                compact(RuleFormats.fromNative(RuleFormat.JSON_LOGIC, j("{'and':[{'field':'name','op':'eq','value':'Ann'},"
                        + "{'field':'country','op':'neq','value':'DE'},{'field':'city','op':'in','value':['Rome']},"
                        + "{'field':'attributes.vip','op':'eq','value':false},"
                        + "{'field':'email','op':'isSet'},{'field':'phone','op':'isNotSet'},{'field':'tags','op':'isSet'},"
                        + "{'field':'purchaseCount','op':'in','value':['1','2']},{'field':'totalSpend','op':'in','value':['12.50']}]}"), CATALOG)));
        // custom operations otherwise: comparisons (null < 5 is true in JavaScript), time values (days, not text),
        // contains (case-insensitive), isSet on numbers and booleans (0 and false are set), refs, the negations
        assertEquals(j("{'or':[{'gt':[{'var':'totalSpend'},{'var':'averageOrderValue'}]},{'lt':[{'var':'age'},30]},"
                        + "{'between':[{'var':'totalSpend'},[10,20]]},{'after':[{'var':'lastPurchaseAt'},'2026-09-01']},"
                        + "{'eq':[{'var':'birthDate'},'1990-05-17']},{'before':[{'var':'lastInteractionAt'},{'var':'lastPurchaseAt'}]},"
                        + "{'contains':[{'var':'name'},'x']},{'isSet':[{'var':'totalSpend'}]},{'isNotSet':[{'var':'attributes.vip'}]},"
                        + "{'eq':[{'var':'email'},{'var':'attributes.plan'}]},{'neq':[{'var':'externalId'},'2024-01-01']},"
                        + "{'notIn':[{'var':'city'},['Rome']]},{'hasAny':[{'var':'tags'},['a']]},{'segment':'vip'}]}"),
                RuleFormats.fromNative(RuleFormat.JSON_LOGIC, j("{'or':[{'field':'totalSpend','op':'gt','value':{'ref':'averageOrderValue'}},"
                        + "{'field':'age','op':'lt','value':30},{'field':'totalSpend','op':'between','value':[10,20]},"
                        + "{'field':'lastPurchaseAt','op':'after','value':'2026-09-01'},{'field':'birthDate','op':'eq','value':'1990-05-17'},"
                        + "{'field':'lastInteractionAt','op':'before','value':{'ref':'lastPurchaseAt'}},"
                        + "{'field':'name','op':'contains','value':'x'},{'field':'totalSpend','op':'isSet'},{'field':'attributes.vip','op':'isNotSet'},"
                        + "{'field':'email','op':'eq','value':{'ref':'attributes.plan'}},"
                        + "{'field':'externalId','op':'neq','value':'2024-01-01'},{'field':'city','op':'notIn','value':['Rome']},"
                        + "{'field':'tags','op':'hasAny','value':['a']},{'segment':'vip'}]}"), CATALOG));
    }

    @Test
    void exportKeepsDecimalsExact() {
        JsonNode n = j("{'field':'totalSpend','op':'between','value':[1000.10, 12345678901234567890.123456789]}");
        assertEquals("{\"between\":[{\"var\":\"totalSpend\"},[1000.10,12345678901234567890.123456789]]}",
                compact(RuleFormats.fromNative(RuleFormat.JSON_LOGIC, n)));
        assertEquals("{\"combinator\":\"and\",\"rules\":[{\"field\":\"totalSpend\",\"operator\":\"between\",\"value\":[1000.10,12345678901234567890.123456789]}]}",
                compact(RuleFormats.fromNative(RuleFormat.QUERY_BUILDER, n)));
    }

    @Test
    void exportRejectsInvalidNative() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.segments.rule.InvalidRuleException.class,
                () -> RuleFormats.fromNative(RuleFormat.JSON_LOGIC, j("{'and':[]}")));
        assertEquals("/and", e.errors().get(0).pointer());
    }
}
