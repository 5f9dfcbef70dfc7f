package dev.segments.rule.format;

import dev.segments.rule.AttributeDef;
import dev.segments.rule.FieldCatalog;
import dev.segments.rule.Operator;
import dev.segments.rule.ResolvedSegment;
import dev.segments.rule.RuleExamples;
import dev.segments.rule.RuleNode;
import dev.segments.rule.RuleParser;
import dev.segments.rule.RuleValidator;
import dev.segments.rule.SegmentResolver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Rules in words: every node type, operator, aggregate function, window, ref, segment reference and nesting of
 * and/or/not, each rendered to its exact sentence. Every rule here is valid (checked), so the sentences are those a
 * saved segment gets.
 */
class RuleTextTest {

    static final FieldCatalog CATALOG = FieldCatalog.of(List.of(new AttributeDef("customer", "plan", "string"),
            new AttributeDef("customer", "newsletter", "boolean"), new AttributeDef("customer", "loyalty_level", "integer"),
            new AttributeDef("customer", "anniversary", "date"),
            new AttributeDef("purchase", "discount", "number")));
    static final Map<String, ResolvedSegment> SEGMENTS = Map.of("vip", new ResolvedSegment.Static(1),
            "buyers", new ResolvedSegment.Static(2));
    static final SegmentResolver RESOLVER = k -> Optional.ofNullable(SEGMENTS.get(k));
    static final Map<String, String> NAMES = Map.of("vip", "VIP customers");

    static RuleNode parse(String rule) {
        return new RuleParser().parse(rule.replace('\'', '"'));
    }

    static String text(String rule) {
        RuleNode node = parse(rule);
        new RuleValidator(CATALOG, RESOLVER).check(node); // the examples are valid rules
        return RuleText.of(node, CATALOG, k -> Optional.ofNullable(NAMES.get(k)));
    }

    static Arguments t(String rule, String text) {
        return Arguments.of(rule, text);
    }

    static Stream<Arguments> sentences() {
        return Stream.of(
                // strings
                t("{'field':'region','op':'eq','value':'Moscow'}", "region is \"Moscow\""),
                t("{'field':'region','op':'neq','value':'Moscow'}", "region is not \"Moscow\""),
                t("{'field':'region','op':'in','value':['Moscow','Kazan','Omsk']}", "region is one of \"Moscow\", \"Kazan\" or \"Omsk\""),
                t("{'field':'region','op':'in','value':['Moscow']}", "region is \"Moscow\""),
                t("{'field':'region','op':'notIn','value':['Moscow','Kazan']}", "region is not one of \"Moscow\" or \"Kazan\""),
                t("{'field':'email','op':'contains','value':'gmail'}", "email contains \"gmail\""),
                t("{'field':'email','op':'notContains','value':'gmail'}", "email does not contain \"gmail\""),
                t("{'field':'name','op':'startsWith','value':'An'}", "name starts with \"An\""),
                t("{'field':'email','op':'endsWith','value':'.ru'}", "email ends with \".ru\""),
                t("{'field':'email','op':'isSet'}", "email is set"),
                t("{'field':'email','op':'isNotSet'}", "email is not set"),
                t("{'field':'lifecycleStage','op':'eq','value':'churned'}", "lifecycle stage is \"churned\""),
                t("{'field':'rfm.segment','op':'in','value':['champions','loyal']}", "RFM segment is one of \"champions\" or \"loyal\""),
                // numbers
                t("{'field':'totalSpend','op':'gt','value':1000}", "total spend is more than 1,000"),
                t("{'field':'totalSpend','op':'gte','value':1000.50}", "total spend is at least 1,000.5"),
                t("{'field':'totalSpend','op':'lt','value':'1234567.5'}", "total spend is less than 1,234,567.5"),
                t("{'field':'totalSpend','op':'lte','value':-20}", "total spend is at most -20"),
                t("{'field':'totalSpend','op':'between','value':[100,2500]}", "total spend is between 100 and 2,500"),
                t("{'field':'purchaseCount','op':'in','value':[1,2]}", "purchase count is one of 1 or 2"),
                t("{'field':'purchaseCount','op':'notIn','value':[0]}", "purchase count is not 0"),
                t("{'field':'averageOrderValue','op':'eq','value':50}", "average order value is 50"),
                t("{'field':'age','op':'gte','value':18}", "age is at least 18"),
                t("{'field':'rfm.recency','op':'eq','value':5}", "RFM recency score is 5"),
                t("{'field':'totalSpend','op':'gt','value':{'ref':'averageOrderValue'}}", "total spend is more than their average order value"),
                // time
                t("{'field':'birthDate','op':'before','value':'1990-01-01'}", "birth date was before 1 January 1990"),
                t("{'field':'birthDate','op':'eq','value':'1990-01-01'}", "birth date was on 1 January 1990"),
                t("{'field':'createdAt','op':'after','value':'2024-05-01T10:00:00+02:00'}", "creation time was after 1 May 2024 08:00 UTC"),
                t("{'field':'createdAt','op':'after','value':'2024-05-01T10:00:05.5Z'}", "creation time was after 1 May 2024 10:00:05.5 UTC"),
                t("{'field':'createdAt','op':'within','value':'P30D'}", "joined in the last 30 days"),
                t("{'field':'createdAt','op':'notWithin','value':'P30D'}", "did not join in the last 30 days"),
                t("{'field':'updatedAt','op':'within','value':'P1Y'}", "last update was in the last year"),
                t("{'field':'updatedAt','op':'notWithin','value':'PT12H'}", "last update was not in the last 12 hours"),
                t("{'field':'updatedAt','op':'within','value':'P1Y6M'}", "last update was in the last 1 year and 6 months"),
                t("{'field':'updatedAt','op':'within','value':'P2W'}", "last update was in the last 2 weeks"),
                t("{'field':'updatedAt','op':'within','value':'P1DT12H30M'}", "last update was in the last 1 day, 12 hours and 30 minutes"),
                t("{'field':'lastPurchaseAt','op':'eq','value':'2024-05-01'}", "last purchase was on 1 May 2024"),
                t("{'field':'lastPurchaseAt','op':'eq','value':'2024-05-01T23:30:00-02:00'}", "last purchase was on 2 May 2024"),
                t("{'field':'lastPurchaseAt','op':'between','value':['2024-05-01','2024-05-31']}", "last purchase was between 1 May 2024 and 31 May 2024"),
                t("{'field':'lastPurchaseAt','op':'isNotSet'}", "last purchase is not set"),
                t("{'field':'firstPurchaseAt','op':'within','value':'P7D'}", "made their first purchase in the last 7 days"),
                t("{'field':'lastInteractionAt','op':'notWithin','value':'P90D'}", "had no interaction in the last 90 days"),
                t("{'field':'lastSeenAt','op':'within','value':'PT1H'}", "showed activity in the last hour"),
                t("{'field':'createdAt','op':'before','value':{'ref':'lastPurchaseAt'}}", "creation time was before their last purchase"),
                t("{'not':{'field':'birthDate','op':'eq','value':{'ref':'attributes.anniversary'}}}", "birth date was not on their anniversary"),
                t("{'field':'lastPurchaseAt','op':'eq','value':{'ref':'firstPurchaseAt'}}", "last purchase was on the same day as their first purchase"),
                // lists, booleans, attributes
                t("{'field':'tags','op':'hasAny','value':['vip','gold']}", "tags include any of \"vip\" or \"gold\""),
                t("{'field':'tags','op':'hasAll','value':['vip','gold','new']}", "tags include all of \"vip\", \"gold\" and \"new\""),
                t("{'field':'tags','op':'hasAll','value':['vip']}", "tags include \"vip\""),
                t("{'field':'tags','op':'hasNone','value':['spam']}", "tags do not include \"spam\""),
                t("{'field':'tags','op':'hasNone','value':['a','b']}", "tags include none of \"a\" or \"b\""),
                t("{'field':'tags','op':'isSet'}", "tags are not empty"),
                t("{'field':'tags','op':'isNotSet'}", "tags are empty"),
                t("{'field':'attributes.newsletter','op':'eq','value':true}", "newsletter is true"),
                t("{'field':'attributes.plan','op':'eq','value':'pro'}", "plan is \"pro\""),
                t("{'field':'attributes.loyalty_level','op':'gte','value':3}", "loyalty level is at least 3"),
                // segments
                t("{'segment':'vip'}", "member of segment \"VIP customers\""),
                t("{'segment':'buyers'}", "member of segment \"buyers\""),
                t("{'not':{'segment':'vip'}}", "not a member of segment \"VIP customers\""),
                // not, and, or
                t("{'not':{'field':'region','op':'eq','value':'Moscow'}}", "region is not \"Moscow\""),
                t("{'not':{'not':{'field':'region','op':'eq','value':'Moscow'}}}", "region is \"Moscow\""),
                t("{'not':{'field':'region','op':'neq','value':'Moscow'}}", "region is \"Moscow\""),
                t("{'not':{'field':'totalSpend','op':'gt','value':1000}}", "total spend is not more than 1,000"),
                t("{'not':{'field':'lastPurchaseAt','op':'within','value':'P90D'}}", "did not buy in the last 90 days"),
                t("{'not':{'field':'email','op':'startsWith','value':'x'}}", "email does not start with \"x\""),
                t("{'not':{'field':'email','op':'endsWith','value':'x'}}", "email does not end with \"x\""),
                t("{'not':{'field':'tags','op':'hasAll','value':['a','b']}}", "tags do not include all of \"a\" and \"b\""),
                t("{'and':[{'field':'region','op':'eq','value':'Moscow'}]}", "region is \"Moscow\""),
                t("{'or':[{'field':'region','op':'eq','value':'Moscow'},{'and':[{'field':'totalSpend','op':'gt','value':1000},"
                        + "{'field':'tags','op':'hasAny','value':['vip']}]}]}",
                        "region is \"Moscow\" or (total spend is more than 1,000 and tags include \"vip\")"),
                t("{'and':[{'field':'region','op':'eq','value':'Moscow'},{'or':[{'segment':'vip'},{'field':'age','op':'lt','value':30}]}]}",
                        "region is \"Moscow\" and (member of segment \"VIP customers\" or age is less than 30)"),
                t("{'not':{'or':[{'field':'region','op':'eq','value':'Moscow'},{'field':'region','op':'eq','value':'Kazan'}]}}",
                        "not (region is \"Moscow\" or region is \"Kazan\")"),
                t("{'and':[{'field':'region','op':'eq','value':'Moscow'},{'not':{'and':[{'field':'age','op':'gte','value':18},"
                        + "{'not':{'field':'email','op':'isSet'}}]}}]}",
                        "region is \"Moscow\" and not (age is at least 18 and email is not set)"),
                t("{'and':[{'and':[{'field':'region','op':'eq','value':'A'},{'field':'city','op':'eq','value':'B'}]},"
                        + "{'field':'country','op':'eq','value':'C'}]}",
                        "(region is \"A\" and city is \"B\") and country is \"C\""),
                // count
                t(RuleExamples.CANONICAL, "bought in the last 90 days and spent more than 1,000 in the last 365 days "
                        + "and had at least 2 consultations before their last purchase"),
                t("{'aggregate':'count','of':'purchases','within':'P30D','op':'gte','value':1}", "made at least 1 purchase in the last 30 days"),
                t("{'aggregate':'count','of':'purchases','within':'P90D','op':'eq','value':0}", "made no purchases in the last 90 days"),
                t("{'not':{'aggregate':'count','of':'purchases','within':'P90D','op':'eq','value':0}}", "made at least 1 purchase in the last 90 days"),
                t("{'aggregate':'count','of':'purchases','op':'lt','value':3}", "made fewer than 3 purchases"),
                t("{'aggregate':'count','of':'purchases','op':'lte','value':1}", "made at most 1 purchase"),
                t("{'aggregate':'count','of':'purchases','op':'gt','value':1000}", "made more than 1,000 purchases"),
                t("{'aggregate':'count','of':'purchases','op':'eq','value':2}", "made exactly 2 purchases"),
                t("{'aggregate':'count','of':'purchases','op':'between','value':[2,5]}", "made between 2 and 5 purchases"),
                t("{'aggregate':'count','of':'purchases','op':'in','value':[1,3]}", "made 1 or 3 purchases"),
                t("{'aggregate':'count','of':'purchases','op':'neq','value':2}", "did not make exactly 2 purchases"),
                t("{'aggregate':'count','of':'purchases','op':'notIn','value':[1,3]}", "did not make 1 or 3 purchases"),
                t("{'aggregate':'count','of':'purchases','op':'isSet'}", "the number of their purchases is set"),
                t("{'aggregate':'count','of':'interactions','where':{'field':'type','op':'eq','value':'call'},'op':'gt','value':1}",
                        "had more than 1 call"),
                t("{'aggregate':'count','of':'interactions','where':{'field':'type','op':'eq','value':'contact_attempt'},"
                        + "'within':{'from':'2024-01-01','to':'2024-03-31'},'op':'gte','value':3}",
                        "had at least 3 contact attempts between 1 January 2024 and 31 March 2024"),
                t("{'aggregate':'count','of':'events','where':{'field':'name','op':'eq','value':'signup'},'op':'gte','value':1}",
                        "had at least 1 \"signup\" event"),
                t("{'aggregate':'count','of':'events','where':{'and':[{'field':'name','op':'eq','value':'page_view'},"
                        + "{'field':'properties.plan','op':'eq','value':'pro'}]},'within':{'from':'2024-01-01'},'op':'gte','value':5}",
                        "had at least 5 \"page_view\" events where property plan is \"pro\" since 1 January 2024"),
                t("{'aggregate':'count','of':'events','within':{'to':'2024-01-01T12:00:00Z'},'op':'gte','value':5}",
                        "had at least 5 events until 1 January 2024 12:00 UTC"),
                t("{'aggregate':'count','of':'interactions','where':{'or':[{'field':'type','op':'eq','value':'call'},"
                        + "{'field':'type','op':'eq','value':'email'}]},'op':'gte','value':2}",
                        "had at least 2 interactions where (type is \"call\" or type is \"email\")"),
                t("{'aggregate':'count','of':'interactions','where':{'and':[{'field':'type','op':'eq','value':'meeting'},"
                        + "{'field':'outcome','op':'eq','value':'won'},{'field':'occurredAt','op':'within','value':'P14D'}]},"
                        + "'op':'gte','value':1}",
                        "had at least 1 meeting where outcome is \"won\" in the last 14 days"),
                t("{'aggregate':'count','of':'purchases','where':{'field':'occurredAt','op':'notWithin','value':'P1Y'},'op':'gte','value':1}",
                        "made at least 1 purchase before the last year"),
                t("{'aggregate':'count','of':'interactions','where':{'field':'occurredAt','op':'after','value':{'ref':'createdAt'}},'op':'gte','value':1}",
                        "had at least 1 interaction after their creation time"),
                t("{'aggregate':'count','of':'purchases','where':{'and':[{'field':'occurredAt','op':'eq','value':'2024-05-01'},"
                        + "{'field':'occurredAt','op':'between','value':['2024-05-01T08:00:00Z','2024-05-01T18:00:00Z']}]},'op':'gte','value':1}",
                        "made at least 1 purchase on 1 May 2024 between 1 May 2024 08:00 UTC and 1 May 2024 18:00 UTC"),
                t("{'aggregate':'count','of':'purchases','where':{'not':{'field':'occurredAt','op':'eq','value':'2024-05-01'}},'op':'gte','value':1}",
                        "made at least 1 purchase where time was not on 1 May 2024"),
                t("{'aggregate':'count','of':'purchases','where':{'field':'occurredAt','op':'eq','value':{'ref':'createdAt'}},'op':'gte','value':1}",
                        "made at least 1 purchase on the same day as their creation time"),
                t("{'aggregate':'count','of':'purchases','where':{'not':{'field':'category','op':'in','value':['a','b']}},'op':'gte','value':1}",
                        "made at least 1 purchase where category is not one of \"a\" or \"b\""),
                // sum, avg, min, max
                t("{'aggregate':'sum','of':'purchases','field':'amount','where':{'field':'category','op':'eq','value':'shoes'},"
                        + "'within':'P365D','op':'gte','value':500}",
                        "spent at least 500 on purchases where category is \"shoes\" in the last 365 days"),
                t("{'not':{'aggregate':'sum','of':'purchases','field':'amount','op':'gt','value':1000}}", "did not spend more than 1,000"),
                t("{'aggregate':'sum','of':'purchases','field':'amount','op':'lt','value':10}", "spent less than 10"),
                t("{'aggregate':'sum','of':'purchases','field':'amount','within':'P30D','op':'gt','value':{'ref':'totalSpend'}}",
                        "spent more than their total spend in the last 30 days"),
                t("{'aggregate':'sum','of':'purchases','field':'quantity','op':'gt','value':10}", "the total quantity of their purchases is more than 10"),
                t("{'aggregate':'sum','of':'purchases','field':'attributes.discount','op':'gt','value':5}", "the total discount of their purchases is more than 5"),
                t("{'aggregate':'sum','of':'purchases','field':'amount','op':'isSet'}", "the total amount of their purchases is set"),
                t("{'aggregate':'avg','of':'purchases','field':'amount','within':'P90D','op':'gt','value':50}",
                        "the average amount of their purchases in the last 90 days is more than 50"),
                t("{'aggregate':'avg','of':'purchases','field':'amount','op':'isNotSet'}", "the average amount of their purchases is not set"),
                t("{'aggregate':'min','of':'purchases','field':'amount','op':'lt','value':10}", "the smallest amount of their purchases is less than 10"),
                t("{'aggregate':'max','of':'purchases','field':'amount','op':'gte','value':1000}", "the largest amount of their purchases is at least 1,000"),
                t("{'not':{'aggregate':'max','of':'purchases','field':'amount','op':'gte','value':1000}}", "the largest amount of their purchases is not at least 1,000"),
                t("{'aggregate':'max','of':'interactions','field':'occurredAt','where':{'field':'type','op':'eq','value':'consultation'},"
                        + "'op':'before','value':{'ref':'lastPurchaseAt'}}", "their last consultation was before their last purchase"),
                t("{'aggregate':'min','of':'purchases','field':'occurredAt','op':'after','value':'2024-01-01'}", "their first purchase was after 1 January 2024"),
                t("{'aggregate':'max','of':'purchases','field':'occurredAt','op':'within','value':'P30D'}", "their last purchase was in the last 30 days"),
                t("{'aggregate':'max','of':'events','field':'properties.score','op':'gt','value':5}", "the largest property score of their events is more than 5"),
                t("{'aggregate':'min','of':'events','field':'properties.ts','op':'before','value':'2024-01-01T00:00:00Z'}",
                        "the earliest property ts of their events was before 1 January 2024 00:00 UTC"));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("sentences")
    void sentence(String rule, String expected) {
        assertEquals(expected, text(rule));
    }

    /** Every operator and aggregate function appears in at least one sentence above. */
    @Test
    void everyOperatorAndFunctionIsCovered() {
        Set<Operator> ops = EnumSet.noneOf(Operator.class);
        Set<RuleNode.AggregateFn> fns = EnumSet.noneOf(RuleNode.AggregateFn.class);
        sentences().forEach(a -> collect(parse((String) a.get()[0]), ops, fns));
        assertEquals(EnumSet.allOf(Operator.class), ops);
        assertEquals(EnumSet.allOf(RuleNode.AggregateFn.class), fns);
    }

    private static void collect(RuleNode n, Set<Operator> ops, Set<RuleNode.AggregateFn> fns) {
        switch (n) {
            case RuleNode.Group g -> g.children().forEach(c -> collect(c, ops, fns));
            case RuleNode.Not not -> collect(not.child(), ops, fns);
            case RuleNode.Condition c -> ops.add(c.op());
            case RuleNode.Aggregate a -> {
                ops.add(a.op());
                fns.add(a.fn());
                if (a.where() != null) collect(a.where(), ops, fns);
            }
            case RuleNode.SegmentRef s -> { }
        }
    }

    /** A stored rule naming a field or stream the catalog no longer has reads as the names in words. */
    @Test
    void unknownNamesReadAsWords() throws Exception {
        var rule = new com.fasterxml.jackson.databind.ObjectMapper().readTree(("{'and':[{'field':'attributes.gone_away',"
                + "'op':'eq','value':'x'},{'aggregate':'count','of':'visits','op':'gte','value':2}]}").replace('\'', '"'));
        assertEquals("gone away is \"x\" and had at least 2 visits", RuleText.of(rule, CATALOG, k -> Optional.empty()));
    }
}
