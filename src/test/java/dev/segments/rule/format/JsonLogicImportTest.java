package dev.segments.rule.format;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static dev.segments.rule.format.Fixtures.CATALOG;
import static dev.segments.rule.format.Fixtures.assertValidNative;
import static dev.segments.rule.format.Fixtures.compact;
import static dev.segments.rule.format.Fixtures.j;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Typical JsonLogic in, expected native rule out (which must parse and validate). */
class JsonLogicImportTest {

    static JsonNode logic(String json) { return RuleFormats.toNative(RuleFormat.JSON_LOGIC, j(json)); }

    static Arguments c(String logic, String expected) { return Arguments.of(logic, expected); }

    static Stream<Arguments> cases() {
        return Stream.of(
                // a typical rule from a JsonLogic builder
                c("""
                  {'and':[
                    {'==':[{'var':'lifecycleStage'},'customer']},
                    {'>':[{'var':'totalSpend'},1000.50]},
                    {'<=':[18,{'var':'age'},65]},
                    {'in':[{'var':'city'},['Berlin','Paris']]},
                    {'in':['@example.com',{'var':'email'}]},
                    {'!!':{'var':'phone'}},
                    {'!':{'var':'attributes.plan'}},
                    {'or':[{'startsWith':[{'var':'name'},'A']},{'endsWith':[{'var':'name'},'son']}]}]}""",
                  """
                  {'and':[
                    {'field':'lifecycleStage','op':'eq','value':'customer'},
                    {'field':'totalSpend','op':'gt','value':1000.50},
                    {'field':'age','op':'between','value':[18,65]},
                    {'field':'city','op':'in','value':['Berlin','Paris']},
                    {'field':'email','op':'contains','value':'@example.com'},
                    {'field':'phone','op':'isSet'},
                    {'field':'attributes.plan','op':'isNotSet'},
                    {'or':[{'field':'name','op':'startsWith','value':'A'},{'field':'name','op':'endsWith','value':'son'}]}]}"""),
                // the canonical example, written in JsonLogic
                c("""
                  {'and':[
                    {'within':[{'var':'lastPurchaseAt'},'P90D']},
                    {'aggregate':{'aggregate':'sum','of':'purchases','field':'amount','within':'P365D','op':'gt','value':1000}},
                    {'aggregate':{'aggregate':'count','of':'interactions','where':{'and':[
                        {'field':'type','op':'eq','value':'consultation'},
                        {'field':'occurredAt','op':'before','value':{'ref':'lastPurchaseAt'}}]},'op':'gte','value':2}}]}""",
                  """
                  {'and':[
                    {'field':'lastPurchaseAt','op':'within','value':'P90D'},
                    {'aggregate':'sum','of':'purchases','field':'amount','within':'P365D','op':'gt','value':1000},
                    {'aggregate':'count','of':'interactions','where':{'and':[
                        {'field':'type','op':'eq','value':'consultation'},
                        {'field':'occurredAt','op':'before','value':{'ref':'lastPurchaseAt'}}]},'op':'gte','value':2}]}"""),
                // null comparisons
                c("{'==':[{'var':'email'},null]}", "{'field':'email','op':'isNotSet'}"),
                c("{'!=':[{'var':'email'},null]}", "{'field':'email','op':'isSet'}"),
                c("{'===':[null,{'var':'email'}]}", "{'field':'email','op':'isNotSet'}"),
                // strict forms mean the same
                c("{'===':[{'var':'country'},'DE']}", "{'field':'country','op':'eq','value':'DE'}"),
                c("{'!==':[{'var':'country'},'DE']}", "{'field':'country','op':'neq','value':'DE'}"),
                // the field on the right: the comparison is flipped
                c("{'<':[5,{'var':'purchaseCount'}]}", "{'field':'purchaseCount','op':'gt','value':5}"),
                c("{'>=':[100,{'var':'totalSpend'}]}", "{'field':'totalSpend','op':'lte','value':100}"),
                // var on both sides: a ref
                c("{'<':[{'var':'totalSpend'},{'var':'averageOrderValue'}]}", "{'field':'totalSpend','op':'lt','value':{'ref':'averageOrderValue'}}"),
                c("{'==':[{'var':'email'},{'var':'attributes.plan'}]}", "{'field':'email','op':'eq','value':{'ref':'attributes.plan'}}"),
                // {'var': ['name']} is the same as {'var': 'name'}
                c("{'==':[{'var':['country']},'DE']}", "{'field':'country','op':'eq','value':'DE'}"),
                // dates: ISO-8601 strings, compared with the native semantics
                c("{'<':[{'var':'createdAt'},'2024-01-01']}", "{'field':'createdAt','op':'before','value':'2024-01-01'}"),
                c("{'>':[{'var':'createdAt'},'2024-01-01T10:00:00+02:00']}", "{'field':'createdAt','op':'after','value':'2024-01-01T10:00:00+02:00'}"),
                c("{'==':[{'var':'birthDate'},'1990-05-17']}", "{'field':'birthDate','op':'eq','value':'1990-05-17'}"),
                c("{'!=':[{'var':'birthDate'},'1990-05-17']}", "{'not':{'field':'birthDate','op':'eq','value':'1990-05-17'}}"),
                c("{'>=':[{'var':'lastPurchaseAt'},'2025-01-01T00:00:00Z']}",
                        "{'and':[{'field':'lastPurchaseAt','op':'isSet'},{'not':{'field':'lastPurchaseAt','op':'before','value':'2025-01-01T00:00:00Z'}}]}"),
                c("{'<=':[{'var':'birthDate'},'2000-12-31']}",
                        "{'and':[{'field':'birthDate','op':'isSet'},{'not':{'field':'birthDate','op':'after','value':'2000-12-31'}}]}"),
                c("{'<=':['2024-01-01',{'var':'createdAt'},'2024-12-31']}", "{'field':'createdAt','op':'between','value':['2024-01-01','2024-12-31']}"),
                c("{'<':['2024-01-01',{'var':'createdAt'},'2024-12-31']}",
                        "{'and':[{'field':'createdAt','op':'after','value':'2024-01-01'},{'field':'createdAt','op':'before','value':'2024-12-31'}]}"),
                c("{'<':[0,{'var':'totalSpend'},100]}", "{'and':[{'field':'totalSpend','op':'gt','value':0},{'field':'totalSpend','op':'lt','value':100}]}"),
                c("{'within':[{'var':'lastSeenAt'},'PT12H']}", "{'field':'lastSeenAt','op':'within','value':'PT12H'}"),
                c("{'notWithin':[{'var':'lastSeenAt'},'P1M']}", "{'field':'lastSeenAt','op':'notWithin','value':'P1M'}"),
                c("{'before':[{'var':'lastInteractionAt'},{'var':'lastPurchaseAt'}]}",
                        "{'field':'lastInteractionAt','op':'before','value':{'ref':'lastPurchaseAt'}}"),
                c("{'after':[{'var':'createdAt'},'2024-01-01']}", "{'field':'createdAt','op':'after','value':'2024-01-01'}"),
                // negation
                c("{'!':{'in':[{'var':'country'},['DE','AT']]}}", "{'not':{'field':'country','op':'in','value':['DE','AT']}}"),
                c("{'!':[{'in':['spam',{'var':'email'}]}]}", "{'not':{'field':'email','op':'contains','value':'spam'}}"),
                c("{'!':[{'var':'email'}]}", "{'field':'email','op':'isNotSet'}"),
                c("{'!!':[{'var':'email'}]}", "{'field':'email','op':'isSet'}"),
                c("{'!':{'!':{'==':[{'var':'country'},'DE']}}}", "{'not':{'not':{'field':'country','op':'eq','value':'DE'}}}"),
                // string lists
                c("{'hasAny':[{'var':'tags'},['a','b']]}", "{'field':'tags','op':'hasAny','value':['a','b']}"),
                c("{'hasAll':[{'var':'tags'},['a','b']]}", "{'field':'tags','op':'hasAll','value':['a','b']}"),
                c("{'hasNone':[{'var':'tags'},['spam']]}", "{'field':'tags','op':'hasNone','value':['spam']}"),
                c("{'some':[{'var':'tags'},{'in':[{'var':''},['a','b']]}]}", "{'field':'tags','op':'hasAny','value':['a','b']}"),
                c("{'none':[{'var':'tags'},{'in':[{'var':''},['spam']]}]}", "{'field':'tags','op':'hasNone','value':['spam']}"),
                // segment references, every native operator as a custom operation
                c("{'segment':'vip'}", "{'segment':'vip'}"),
                c("{'segment':['vip']}", "{'segment':'vip'}"),
                c("{'or':[{'notIn':[{'var':'city'},['Rome']]},{'notContains':[{'var':'name'},'x']},{'neq':[{'var':'externalId'},'2024-01-01']},"
                                + "{'isSet':{'var':'email'}},{'isNotSet':[{'var':'phone'}]},{'between':[{'var':'totalSpend'},[1,2]]},"
                                + "{'gte':[{'var':'age'},18]},{'eq':[{'var':'attributes.vip'},true]}]}",
                        "{'or':[{'field':'city','op':'notIn','value':['Rome']},{'field':'name','op':'notContains','value':'x'},"
                                + "{'field':'externalId','op':'neq','value':'2024-01-01'},{'field':'email','op':'isSet'},"
                                + "{'field':'phone','op':'isNotSet'},{'field':'totalSpend','op':'between','value':[1,2]},"
                                + "{'field':'age','op':'gte','value':18},{'field':'attributes.vip','op':'eq','value':true}]}"));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void translates(String in, String expected) {
        JsonNode out = logic(in);
        assertEquals(j(expected), out, () -> compact(out));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void resultIsValidNative(String in, String expected) {
        assertValidNative(logic(in));
    }

    @Test
    void numbersStayExact() {
        assertEquals("{\"field\":\"totalSpend\",\"op\":\"eq\",\"value\":0.10}", compact(logic("{'==':[{'var':'totalSpend'},0.10]}")));
        assertEquals("{\"field\":\"totalSpend\",\"op\":\"between\",\"value\":[99999999999999999999.99999999999999999999,100000000000000000000]}",
                compact(logic("{'<=':[99999999999999999999.99999999999999999999,{'var':'totalSpend'},100000000000000000000]}")));
        // a tree read with doubles (no USE_BIG_DECIMAL_FOR_FLOATS) gets the shortest decimal of each double
        JsonNode doubles;
        try {
            doubles = new com.fasterxml.jackson.databind.ObjectMapper().readTree("{\"==\":[{\"var\":\"totalSpend\"},0.1]}");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        JsonNode out = RuleFormats.toNative(RuleFormat.JSON_LOGIC, doubles);
        assertEquals(new java.math.BigDecimal("0.1"), out.get("value").decimalValue());
        assertEquals(true, out.get("value").isBigDecimal());
    }

    @Test
    void catalogDecidesWhereValuesDoNot() {
        String in = "{'<':[{'var':'lastInteractionAt'},{'var':'lastPurchaseAt'}]}";
        assertEquals(j("{'field':'lastInteractionAt','op':'lt','value':{'ref':'lastPurchaseAt'}}"), logic(in));
        JsonNode typed = RuleFormats.toNative(RuleFormat.JSON_LOGIC, j(in), CATALOG);
        assertEquals(j("{'field':'lastInteractionAt','op':'before','value':{'ref':'lastPurchaseAt'}}"), typed);
        assertValidNative(typed);
        // a date-looking value on a known string field is a string
        assertEquals(j("{'field':'externalId','op':'neq','value':'2024-01-01'}"),
                RuleFormats.toNative(RuleFormat.JSON_LOGIC, j("{'!=':[{'var':'externalId'},'2024-01-01']}"), CATALOG));
    }
}
