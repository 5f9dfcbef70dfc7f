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

/** Typical react-querybuilder output in, expected native rule out (which must parse and validate). */
class QueryBuilderImportTest {

    static JsonNode rqb(String json) { return RuleFormats.toNative(RuleFormat.QUERY_BUILDER, j(json)); }

    static Arguments c(String rqb, String expected) { return Arguments.of(rqb, expected); }

    /** A root group with one rule stands for the rule; q(r) wraps a rule like that. */
    static String q(String rule) { return "{'combinator':'and','not':false,'rules':[" + rule + "]}"; }

    static Stream<Arguments> cases() {
        return Stream.of(
                // what the QueryBuilder component emits: ids, valueSource, not: false, string values
                c("""
                  {'id':'g-root','combinator':'and','not':false,'rules':[
                    {'id':'r-1','field':'lifecycleStage','operator':'=','valueSource':'value','value':'customer'},
                    {'id':'r-2','field':'totalSpend','operator':'>=','valueSource':'value','value':'1000.50'},
                    {'id':'r-3','field':'city','operator':'in','valueSource':'value','value':'Berlin, Paris,Hamburg'},
                    {'id':'g-1','combinator':'or','not':true,'rules':[
                      {'id':'r-4','field':'email','operator':'endsWith','valueSource':'value','value':'@test.com'},
                      {'id':'r-5','field':'email','operator':'null','valueSource':'value','value':''}]},
                    {'id':'r-6','field':'age','operator':'between','valueSource':'value','value':'18,65'},
                    {'id':'r-7','field':'totalSpend','operator':'>','valueSource':'field','value':'averageOrderValue'}]}""",
                  """
                  {'and':[
                    {'field':'lifecycleStage','op':'eq','value':'customer'},
                    {'field':'totalSpend','op':'gte','value':'1000.50'},
                    {'field':'city','op':'in','value':['Berlin','Paris','Hamburg']},
                    {'not':{'or':[{'field':'email','op':'endsWith','value':'@test.com'},{'field':'email','op':'isNotSet'}]}},
                    {'field':'age','op':'between','value':['18','65']},
                    {'field':'totalSpend','op':'gt','value':{'ref':'averageOrderValue'}}]}"""),
                // every react-querybuilder default operator
                c(q("{'field':'name','operator':'=','value':'Ann'}"), "{'field':'name','op':'eq','value':'Ann'}"),
                c(q("{'field':'name','operator':'!=','value':'Ann'}"), "{'field':'name','op':'neq','value':'Ann'}"),
                c(q("{'field':'totalSpend','operator':'<','value':10}"), "{'field':'totalSpend','op':'lt','value':10}"),
                c(q("{'field':'totalSpend','operator':'>','value':10}"), "{'field':'totalSpend','op':'gt','value':10}"),
                c(q("{'field':'totalSpend','operator':'<=','value':'10'}"), "{'field':'totalSpend','op':'lte','value':'10'}"),
                c(q("{'field':'totalSpend','operator':'>=','value':10.5}"), "{'field':'totalSpend','op':'gte','value':10.5}"),
                c(q("{'field':'name','operator':'contains','value':'an'}"), "{'field':'name','op':'contains','value':'an'}"),
                c(q("{'field':'name','operator':'beginsWith','value':'A'}"), "{'field':'name','op':'startsWith','value':'A'}"),
                c(q("{'field':'name','operator':'endsWith','value':'n'}"), "{'field':'name','op':'endsWith','value':'n'}"),
                c(q("{'field':'name','operator':'doesNotContain','value':'x'}"), "{'field':'name','op':'notContains','value':'x'}"),
                c(q("{'field':'name','operator':'doesNotBeginWith','value':'A'}"), "{'not':{'field':'name','op':'startsWith','value':'A'}}"),
                c(q("{'field':'name','operator':'doesNotEndWith','value':'n'}"), "{'not':{'field':'name','op':'endsWith','value':'n'}}"),
                c(q("{'field':'phone','operator':'null','value':''}"), "{'field':'phone','op':'isNotSet'}"),
                c(q("{'field':'phone','operator':'notNull','value':null}"), "{'field':'phone','op':'isSet'}"),
                c(q("{'field':'country','operator':'in','value':['DE','AT']}"), "{'field':'country','op':'in','value':['DE','AT']}"),
                c(q("{'field':'country','operator':'notIn','value':'DE,AT'}"), "{'field':'country','op':'notIn','value':['DE','AT']}"),
                c(q("{'field':'totalSpend','operator':'between','value':[10,20]}"), "{'field':'totalSpend','op':'between','value':[10,20]}"),
                c(q("{'field':'totalSpend','operator':'notBetween','value':'10, 20'}"),
                        "{'not':{'field':'totalSpend','op':'between','value':['10','20']}}"),
                // operators are matched case-insensitively
                c(q("{'field':'name','operator':'BEGINSWITH','value':'A'}"), "{'field':'name','op':'startsWith','value':'A'}"),
                c(q("{'field':'phone','operator':'NotNull','value':''}"), "{'field':'phone','op':'isSet'}"),
                // comparison symbols on time values mean before / after (same as JsonLogic)
                c(q("{'field':'createdAt','operator':'<','value':'2024-01-01'}"), "{'field':'createdAt','op':'before','value':'2024-01-01'}"),
                c(q("{'field':'createdAt','operator':'>','value':'2024-01-01T10:00:00Z'}"),
                        "{'field':'createdAt','op':'after','value':'2024-01-01T10:00:00Z'}"),
                c(q("{'field':'birthDate','operator':'!=','value':'1990-01-01'}"),
                        "{'not':{'field':'birthDate','op':'eq','value':'1990-01-01'}}"),
                c(q("{'field':'birthDate','operator':'>=','value':'1990-01-01'}"),
                        "{'and':[{'field':'birthDate','op':'isSet'},{'not':{'field':'birthDate','op':'before','value':'1990-01-01'}}]}"),
                c(q("{'field':'birthDate','operator':'<=','value':'1990-01-01'}"),
                        "{'and':[{'field':'birthDate','op':'isSet'},{'not':{'field':'birthDate','op':'after','value':'1990-01-01'}}]}"),
                c(q("{'field':'birthDate','operator':'between','value':'1990-01-01,1999-12-31'}"),
                        "{'field':'birthDate','op':'between','value':['1990-01-01','1999-12-31']}"),
                // native operator names (what QueryBuilderFields offers)
                c(q("{'field':'lastPurchaseAt','operator':'within','value':'P90D'}"), "{'field':'lastPurchaseAt','op':'within','value':'P90D'}"),
                c(q("{'field':'lastPurchaseAt','operator':'notWithin','value':'P1Y'}"), "{'field':'lastPurchaseAt','op':'notWithin','value':'P1Y'}"),
                c(q("{'field':'createdAt','operator':'before','value':'2024-01-01'}"), "{'field':'createdAt','op':'before','value':'2024-01-01'}"),
                c(q("{'field':'tags','operator':'hasAny','value':'vip, beta'}"), "{'field':'tags','op':'hasAny','value':['vip','beta']}"),
                c(q("{'field':'tags','operator':'hasAll','value':['vip','beta']}"), "{'field':'tags','op':'hasAll','value':['vip','beta']}"),
                c(q("{'field':'tags','operator':'hasNone','value':'spam'}"), "{'field':'tags','op':'hasNone','value':['spam']}"),
                c(q("{'field':'email','operator':'isSet','value':''}"), "{'field':'email','op':'isSet'}"),
                c(q("{'field':'totalSpend','operator':'lte','value':5}"), "{'field':'totalSpend','op':'lte','value':5}"),
                c(q("{'field':'purchaseCount','operator':'in','value':3}"), "{'field':'purchaseCount','op':'in','value':[3]}"),
                // comma-separated lists: "\\," is a literal comma, items are trimmed, empty items dropped, numbers stay strings
                c(q("{'field':'city','operator':'in','value':'a\\\\,b, c ,,'}"), "{'field':'city','op':'in','value':['a,b','c']}"),
                c(q("{'field':'purchaseCount','operator':'in','value':'1, 2,3'}"), "{'field':'purchaseCount','op':'in','value':['1','2','3']}"),
                // reserved fields: segment references and aggregates
                c(q("{'field':'$segment','operator':'=','value':'vip'}"), "{'segment':'vip'}"),
                c(q("{'field':'$segment','operator':'!=','value':'vip'}"), "{'not':{'segment':'vip'}}"),
                c(q("{'field':'$aggregate','operator':'=','value':{'aggregate':'count','of':'purchases','within':'P30D','op':'gte','value':2}}"),
                        "{'aggregate':'count','of':'purchases','within':'P30D','op':'gte','value':2}"),
                // group shapes
                c("{'combinator':'or','not':true,'rules':[{'field':'email','operator':'notNull','value':''}]}",
                        "{'not':{'field':'email','op':'isSet'}}"),
                c("{'combinator':'or','rules':[{'combinator':'and','rules':[{'field':'email','operator':'notNull','value':''}]},"
                                + "{'field':'phone','operator':'notNull','value':''}]}",
                        "{'or':[{'and':[{'field':'email','op':'isSet'}]},{'field':'phone','op':'isSet'}]}"),
                c("{'combinator':'AND','rules':[{'field':'email','operator':'notNull'},{'field':'phone','operator':'notNull'}]}",
                        "{'and':[{'field':'email','op':'isSet'},{'field':'phone','op':'isSet'}]}"),
                c("{'combinator':'and','path':[],'disabled':false,'rules':[{'field':'email','operator':'notNull','value':'','path':[0]},"
                                + "{'field':'phone','operator':'notNull','value':'','disabled':false}]}",
                        "{'and':[{'field':'email','op':'isSet'},{'field':'phone','op':'isSet'}]}"),
                // independent combinators: "and" binds tighter than "or"
                c("{'rules':[{'field':'a','operator':'=','value':1},'and',{'field':'b','operator':'=','value':2},'or',"
                                + "{'field':'c','operator':'=','value':3}]}",
                        "{'or':[{'and':[{'field':'a','op':'eq','value':1},{'field':'b','op':'eq','value':2}]},{'field':'c','op':'eq','value':3}]}"),
                c("{'rules':[{'field':'a','operator':'=','value':1},'OR',{'field':'b','operator':'=','value':2},'or',"
                                + "{'field':'c','operator':'=','value':3}]}",
                        "{'or':[{'field':'a','op':'eq','value':1},{'field':'b','op':'eq','value':2},{'field':'c','op':'eq','value':3}]}"),
                c("{'not':true,'rules':[{'field':'a','operator':'=','value':1},'and',{'field':'b','operator':'=','value':2}]}",
                        "{'not':{'and':[{'field':'a','op':'eq','value':1},{'field':'b','op':'eq','value':2}]}}"),
                c("{'rules':[{'field':'a','operator':'=','value':1}]}", "{'field':'a','op':'eq','value':1}"));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void translates(String in, String expected) {
        JsonNode out = rqb(in);
        assertEquals(j(expected), out, () -> compact(out));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void resultIsValidNative(String in, String expected) {
        JsonNode out = rqb(in);
        // the cases with made-up fields a, b, c only need to parse
        if (compact(out).contains("\"field\":\"a\"")) Fixtures.PARSER.parse(out);
        else assertValidNative(out);
    }

    @Test
    void exactDecimalsAndTypesAreKept() {
        JsonNode out = rqb(q("{'field':'totalSpend','operator':'between','value':[1000.10, 12345678901234567890.12345678901234567890]}"));
        assertEquals("{\"field\":\"totalSpend\",\"op\":\"between\",\"value\":[1000.10,12345678901234567890.12345678901234567890]}", compact(out));
        assertEquals("{\"field\":\"age\",\"op\":\"eq\",\"value\":30}", compact(rqb(q("{'field':'age','operator':'=','value':30}"))));
    }

    @Test
    void refsUseTheCatalogToTellTimeFromNumbers() {
        String in = q("{'field':'lastInteractionAt','operator':'<','valueSource':'field','value':'lastPurchaseAt'}");
        // without a catalog nothing says these are times
        assertEquals(j("{'field':'lastInteractionAt','op':'lt','value':{'ref':'lastPurchaseAt'}}"), rqb(in));
        JsonNode typed = RuleFormats.toNative(RuleFormat.QUERY_BUILDER, j(in), CATALOG);
        assertEquals(j("{'field':'lastInteractionAt','op':'before','value':{'ref':'lastPurchaseAt'}}"), typed);
        assertValidNative(typed);
        // a ref'd inclusive time comparison is false where either side is missing
        JsonNode ge = RuleFormats.toNative(RuleFormat.QUERY_BUILDER,
                j(q("{'field':'lastInteractionAt','operator':'>=','valueSource':'field','value':'lastPurchaseAt'}")), CATALOG);
        assertEquals(j("{'and':[{'field':'lastInteractionAt','op':'isSet'},{'field':'lastPurchaseAt','op':'isSet'},"
                + "{'not':{'field':'lastInteractionAt','op':'before','value':{'ref':'lastPurchaseAt'}}}]}"), ge);
        assertValidNative(ge);
        // the catalog also wins over a date-looking value on a string field
        assertEquals(j("{'field':'externalId','op':'neq','value':'2024-01-01'}"), RuleFormats.toNative(RuleFormat.QUERY_BUILDER,
                j(q("{'field':'externalId','operator':'!=','value':'2024-01-01'}")), CATALOG));
    }
}
