package dev.segments.rule.sql;

import dev.segments.rule.*;

import static dev.segments.rule.sql.PgFixture.COLUMNS;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import static dev.segments.rule.RuleExamples.CANONICAL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Rule JSON in, exact SQL text and parameters out. */
class SqlCompilerGoldenTest {

    static final OffsetDateTime NOW = OffsetDateTime.parse("2025-06-15T12:00:00Z");
    static final FieldCatalog CATALOG = FieldCatalog.of(List.of(
            new AttributeDef("customer", "plan", "string"),
            new AttributeDef("customer", "interests", "stringList"),
            new AttributeDef("customer", "score", "number")));
    static final Map<String, ResolvedSegment> SEGMENTS = Map.of(
            "vips", new ResolvedSegment.Dynamic(new RuleParser().parse("{\"field\":\"priceTier\",\"op\":\"eq\",\"value\":\"vip\"}")),
            "list", new ResolvedSegment.Static(42),
            "buyers", new ResolvedSegment.Dynamic(new RuleParser().parse(
                    "{\"aggregate\":\"count\",\"of\":\"purchases\",\"within\":\"P1D\",\"op\":\"gte\",\"value\":2}")));
    static final CompileContext CTX = new CompileContext(NOW, CATALOG, k -> Optional.ofNullable(SEGMENTS.get(k)));

    static OffsetDateTime ts(String s) { return OffsetDateTime.parse(s); }

    static ValidatedRule valid(RuleNode rule) { return PgFixture.valid(rule, CTX); }

    static Arguments g(String rule, String sql, Object... params) {
        return Arguments.of(rule.replace('\'', '"'), sql, List.of(params));
    }

    static Stream<Arguments> golden() {
        return Stream.of(
                g(CANONICAL,
                        "(c.last_purchase_at >= $1::timestamptz"
                                // the windowed sum needs a purchase in its window: the rollup bound first (implied here)
                                + " and (c.last_purchase_at >= $2::timestamptz"
                                + " and exists (select 1 from purchase p where p.tenant_id = c.tenant_id and p.customer_id = c.id"
                                + " and p.occurred_at >= $3::timestamptz having coalesce(sum(p.amount), 0) > $4::numeric))"
                                + " and exists (select 1 from interaction i where i.tenant_id = c.tenant_id and i.customer_id = c.id"
                                + " and (i.type = $5::text and i.occurred_at < c.last_purchase_at) having count(*) >= $6::bigint))",
                        ts("2025-03-17T12:00:00Z"), ts("2024-06-15T12:00:00Z"), ts("2024-06-15T12:00:00Z"),
                        new BigDecimal("1000"), "consultation", 2L),
                g("{'field':'lifecycleStage','op':'eq','value':'lead'}", "c.lifecycle_stage = $1::text", "lead"),
                g("{'field':'lifecycleStage','op':'neq','value':'lead'}", "not coalesce(c.lifecycle_stage = $1::text, false)", "lead"),
                g("{'field':'name','op':'contains','value':'50%_\\\\'}", "c.name ilike $1::text", "%50\\%\\_\\\\%"),
                g("{'field':'name','op':'startsWith','value':'Al'}", "c.name ilike $1::text", "Al%"),
                g("{'field':'name','op':'isSet'}", "c.name <> ''"),
                g("{'field':'name','op':'isNotSet'}", "not coalesce(c.name <> '', false)"),
                g("{'field':'totalSpend','op':'between','value':[10, 20.5]}",
                        "c.total_spend between $1::numeric and $2::numeric", new BigDecimal("10"), new BigDecimal("20.5")),
                g("{'field':'totalSpend','op':'in','value':[1, 2.50]}", "c.total_spend = any($1::text[]::numeric[])",
                        (Object) new String[]{"1", "2.5"}),
                g("{'field':'purchaseCount','op':'gte','value':3}", "c.purchase_count >= $1::bigint", 3L),
                g("{'field':'rfm.segment','op':'eq','value':'champions'}", "cs.rfm_segment = $1::text", "champions"),
                g("{'field':'rfm.recency','op':'gte','value':4}", "cs.rfm_recency >= $1::bigint", 4L),
                g("{'field':'abcXyz','op':'eq','value':'AX'}", "cs.abc_xyz = $1::text", "AX"),
                g("{'field':'leadScore','op':'gte','value':50}", "cs.lead_score >= $1::numeric", new BigDecimal("50")),
                g("{'field':'valueQuadrant','op':'isNotSet'}", "not coalesce(cs.value_quadrant <> '', false)"),
                g("{'field':'activityStatus','op':'in','value':['active','new']}", "c.activity_status = any($1::text[])",
                        (Object) new String[]{"active", "new"}),
                g("{'field':'birthDate','op':'eq','value':'1990-01-31'}", "c.birth_date = $1::date", LocalDate.parse("1990-01-31")),
                g("{'field':'age','op':'gte','value':18}", "(c.birth_date <= $1::date)", LocalDate.parse("2007-06-15")),
                g("{'field':'age','op':'eq','value':30}", "(c.birth_date <= $1::date and c.birth_date > $2::date)",
                        LocalDate.parse("1995-06-15"), LocalDate.parse("1994-06-15")),
                g("{'field':'createdAt','op':'eq','value':'2025-01-01T23:30:00-01:00'}",
                        "c.created_at >= $1::timestamptz and c.created_at < $2::timestamptz",
                        ts("2025-01-02T00:00:00Z"), ts("2025-01-03T00:00:00Z")),
                g("{'field':'createdAt','op':'after','value':'2025-01-01'}", "c.created_at >= $1::timestamptz", ts("2025-01-02T00:00:00Z")),
                g("{'field':'createdAt','op':'within','value':'P1M'}", "c.created_at >= $1::timestamptz", ts("2025-05-15T12:00:00Z")),
                g("{'field':'createdAt','op':'notWithin','value':'PT12H'}",
                        "not coalesce(c.created_at >= $1::timestamptz, false)", ts("2025-06-15T00:00:00Z")),
                g("{'field':'tags','op':'hasAll','value':['a','b']}", "c.tags @> $1::text[]", (Object) new String[]{"a", "b"}),
                g("{'field':'tags','op':'hasNone','value':['a']}", "not coalesce(c.tags && $1::text[], false)", (Object) new String[]{"a"}),
                g("{'field':'tags','op':'isSet'}", "cardinality(c.tags) > 0"),
                g("{'field':'attributes.plan','op':'eq','value':'pro'}",
                        "case when jsonb_typeof(c.attributes -> $1::text) = 'string' then c.attributes ->> $1::text end = $2::text",
                        "plan", "pro"),
                g("{'field':'attributes.score','op':'gt','value':1}",
                        "case when jsonb_typeof(c.attributes -> $1::text) = 'number' then (c.attributes ->> $1::text)::numeric end > $2::numeric",
                        "score", new BigDecimal("1")),
                g("{'field':'attributes.interests','op':'hasAny','value':['golf']}",
                        "case when jsonb_typeof(c.attributes -> $1::text) = 'array' then c.attributes -> $1::text end ?| $2::text[]",
                        "interests", new String[]{"golf"}),
                g("{'not':{'field':'totalSpend','op':'gt','value':5}}", "not coalesce(c.total_spend > $1::numeric, false)", new BigDecimal("5")),
                g("{'or':[{'segment':'vips'},{'segment':'list'}]}",
                        "((c.price_tier = $1::text) or exists (select 1 from segment_member m where m.tenant_id = c.tenant_id and m.segment_id = $2::bigint and m.customer_id = c.id))",
                        "vip", 42L),
                g("{'aggregate':'count','of':'purchases','op':'eq','value':0}", "c.purchase_count = $1::bigint", 0L),
                g("{'aggregate':'avg','of':'purchases','field':'amount','within':{'from':'2025-01-01','to':'2025-01-31'},'op':'lt','value':10}",
                        "(c.last_purchase_at >= $1::timestamptz and exists (select 1 from purchase p where p.tenant_id = c.tenant_id"
                                + " and p.customer_id = c.id and p.occurred_at >= $2::timestamptz and p.occurred_at < $3::timestamptz"
                                + " having avg(p.amount) < $4::numeric))",
                        ts("2025-01-01T00:00:00Z"), ts("2025-01-01T00:00:00Z"), ts("2025-02-01T00:00:00Z"), new BigDecimal("10")),
                g("{'aggregate':'count','of':'events','where':{'field':'properties.amount','op':'gte','value':10},'op':'gte','value':1}",
                        "exists (select 1 from event e where e.tenant_id = c.tenant_id and e.customer_id = c.id and "
                                + "case when jsonb_typeof(e.properties -> $1::text) = 'number' then (e.properties ->> $1::text)::numeric end >= $2::numeric"
                                + " having count(*) >= $3::bigint)",
                        "amount", new BigDecimal("10"), 1L),
                // averageOrderValue is the exact quotient total_spend / purchase_count: cross-multiplied, never divided
                g("{'field':'averageOrderValue','op':'gt','value':89.9933}",
                        "(c.purchase_count > 0 and c.total_spend > $1::numeric * c.purchase_count)", new BigDecimal("89.9933")),
                g("{'field':'averageOrderValue','op':'neq','value':89.9933}",
                        "not coalesce((c.purchase_count > 0 and c.total_spend = $1::numeric * c.purchase_count), false)",
                        new BigDecimal("89.9933")),
                g("{'field':'averageOrderValue','op':'between','value':[10, 20.5]}",
                        "(c.purchase_count > 0 and c.total_spend >= $1::numeric * c.purchase_count"
                                + " and c.total_spend <= $2::numeric * c.purchase_count)",
                        new BigDecimal("10"), new BigDecimal("20.5")),
                g("{'field':'averageOrderValue','op':'in','value':[1, 2.50]}",
                        "(c.purchase_count > 0 and c.total_spend = any(select v * c.purchase_count"
                                + " from unnest($1::text[]::numeric[]) v))",
                        (Object) new String[]{"1", "2.5"}),
                g("{'field':'averageOrderValue','op':'isSet'}", "(c.purchase_count > 0)"),
                g("{'field':'totalSpend','op':'gt','value':{'ref':'averageOrderValue'}}",
                        "(c.purchase_count > 0 and (c.total_spend) * c.purchase_count > c.total_spend)"),
                g("{'field':'averageOrderValue','op':'lt','value':{'ref':'totalSpend'}}",
                        "(c.purchase_count > 0 and c.total_spend < c.total_spend * c.purchase_count)"),
                // max/min of an untyped property under isSet: some row has it set, whatever its JSON type
                g("{'aggregate':'max','of':'events','field':'properties.value','op':'isSet'}",
                        "exists (select 1 from event e where e.tenant_id = c.tenant_id and e.customer_id = c.id having"
                                + " max(case when (e.properties -> $1::text) not in ('null'::jsonb, '\"\"'::jsonb, '[]'::jsonb)"
                                + " then 1 end) is not null)",
                        "value")
        );
    }

    static final String P90D = "p.occurred_at >= $2::timestamptz";

    /** The set-oriented form (counts): tenant parameter $1, aggregates pre-aggregated where the rule allows. */
    static Stream<Arguments> goldenSet() {
        OffsetDateTime d90 = ts("2025-03-17T12:00:00Z");
        return Stream.of(
                // false on the empty group: semi join with the groups that pass
                g("{'aggregate':'count','of':'purchases','within':'P90D','op':'gte','value':3}",
                        "exists (select 1 from (select p.customer_id from purchase p where p.tenant_id = $1::bigint and "
                                + P90D + " group by p.customer_id having count(*) >= $3::bigint) g where g.customer_id = c.id)",
                        1L, d90, 3L),
                // true on the empty group (count 0 < 2): anti join with the groups that fail
                g("{'aggregate':'count','of':'purchases','within':'P90D','op':'lt','value':2}",
                        "not exists (select 1 from (select p.customer_id from purchase p where p.tenant_id = $1::bigint and "
                                + P90D + " group by p.customer_id having not coalesce(count(*) < $3::bigint, false)) g"
                                + " where g.customer_id = c.id)",
                        1L, d90, 2L),
                g("{'aggregate':'sum','of':'purchases','field':'amount','within':'P90D','op':'between','value':[0, 100]}",
                        "not exists (select 1 from (select p.customer_id from purchase p where p.tenant_id = $1::bigint and "
                                + P90D + " group by p.customer_id having not coalesce(coalesce(sum(p.amount), 0) between $3::numeric"
                                + " and $4::numeric, false)) g where g.customer_id = c.id)",
                        1L, d90, new BigDecimal("0"), new BigDecimal("100")),
                // avg missing on the empty group: a negating operator holds there; not (not P) = P
                g("{'aggregate':'avg','of':'purchases','field':'amount','within':'P90D','op':'neq','value':100}",
                        "not exists (select 1 from (select p.customer_id from purchase p where p.tenant_id = $1::bigint and "
                                + P90D + " group by p.customer_id having avg(p.amount) = $3::numeric) g where g.customer_id = c.id)",
                        1L, d90, new BigDecimal("100")),
                g("{'aggregate':'max','of':'purchases','field':'amount','within':'P90D','op':'isNotSet'}",
                        "not exists (select 1 from (select p.customer_id from purchase p where p.tenant_id = $1::bigint and "
                                + P90D + " group by p.customer_id having max(p.amount) is not null) g where g.customer_id = c.id)",
                        1L, d90),
                // not around an aggregate: the other join
                g("{'not':{'aggregate':'count','of':'purchases','within':'P90D','op':'gte','value':2}}",
                        "not exists (select 1 from (select p.customer_id from purchase p where p.tenant_id = $1::bigint and "
                                + P90D + " group by p.customer_id having count(*) >= $3::bigint) g where g.customer_id = c.id)",
                        1L, d90, 2L),
                g("{'not':{'aggregate':'count','of':'purchases','within':'P90D','op':'lt','value':2}}",
                        "exists (select 1 from (select p.customer_id from purchase p where p.tenant_id = $1::bigint and "
                                + P90D + " group by p.customer_id having not coalesce(count(*) < $3::bigint, false)) g"
                                + " where g.customer_id = c.id)",
                        1L, d90, 2L),
                // none versus some in a window open towards the future: the latest-activity rollup answers it
                g("{'aggregate':'count','of':'purchases','within':'P90D','op':'eq','value':0}",
                        "not (c.last_purchase_at is not null and c.last_purchase_at >= $2::timestamptz)", 1L, d90),
                g("{'not':{'aggregate':'count','of':'interactions','within':{'from':'2025-01-01'},'op':'gte','value':1}}",
                        "not (c.last_interaction_at is not null and c.last_interaction_at >= $2::timestamptz)",
                        1L, ts("2025-01-01T00:00:00Z")),
                // refs in the where: each row joins its own customer, under the alias c
                g("{'aggregate':'count','of':'interactions','where':{'and':[{'field':'type','op':'eq','value':'consultation'},"
                                + "{'field':'occurredAt','op':'before','value':{'ref':'lastPurchaseAt'}}]},'op':'gte','value':2}",
                        "exists (select 1 from (select i.customer_id from interaction i join (customer c left join customer_score cs on cs.customer_id = c.id) on c.tenant_id = i.tenant_id"
                                + " and c.id = i.customer_id where i.tenant_id = $1::bigint and (i.type = $2::text and"
                                + " i.occurred_at < c.last_purchase_at) group by i.customer_id having count(*) >= $3::bigint) g"
                                + " where g.customer_id = c.id)",
                        1L, "consultation", 2L),
                // a ref value stays correlated
                g("{'aggregate':'count','of':'purchases','within':'P90D','op':'gte','value':{'ref':'attributes.score'}}",
                        "exists (select 1 from purchase p where p.tenant_id = c.tenant_id and p.customer_id = c.id and "
                                + P90D + " having count(*) >= case when jsonb_typeof(c.attributes -> $3::text) = 'number'"
                                + " then (c.attributes ->> $3::text)::numeric end)",
                        1L, d90, "score"),
                // AND-ed with a customer-only condition: that condition filters first, the aggregate stays correlated
                g(CANONICAL,
                        "(c.last_purchase_at >= $2::timestamptz"
                                + " and (c.last_purchase_at >= $3::timestamptz"
                                + " and exists (select 1 from purchase p where p.tenant_id = c.tenant_id and p.customer_id = c.id"
                                + " and p.occurred_at >= $4::timestamptz having coalesce(sum(p.amount), 0) > $5::numeric))"
                                + " and exists (select 1 from interaction i where i.tenant_id = c.tenant_id and i.customer_id = c.id"
                                + " and (i.type = $6::text and i.occurred_at < c.last_purchase_at) having count(*) >= $7::bigint))",
                        1L, d90, ts("2024-06-15T12:00:00Z"), ts("2024-06-15T12:00:00Z"), new BigDecimal("1000"), "consultation",
                        2L),
                g("{'and':[{'field':'priceTier','op':'eq','value':'vip'},{'or':[{'not':{'aggregate':'count','of':'purchases','within':'P90D','op':'gte','value':2}}]}]}",
                        "(c.price_tier = $2::text and (not coalesce((c.last_purchase_at >= $3::timestamptz and exists (select 1"
                                + " from purchase p where p.tenant_id = c.tenant_id and p.customer_id = c.id"
                                + " and p.occurred_at >= $4::timestamptz having count(*) >= $5::bigint)), false)))",
                        1L, "vip", d90, d90, 2L),
                // next to other aggregates, or under OR, each aggregate is pre-aggregated
                g("{'or':[{'field':'priceTier','op':'eq','value':'vip'},{'aggregate':'count','of':'events','where':{'field':'name','op':'eq','value':'checkout'},'op':'gte','value':1}]}",
                        "(c.price_tier = $2::text or exists (select 1 from (select e.customer_id from event e where e.tenant_id = $1::bigint"
                                + " and e.name = $3::text group by e.customer_id having count(*) >= $4::bigint) g where g.customer_id = c.id))",
                        1L, "vip", "checkout", 1L),
                // without where/within the rollup is read, as before
                g("{'aggregate':'sum','of':'purchases','field':'amount','op':'gt','value':10}", "c.total_spend > $2::numeric",
                        1L, new BigDecimal("10"))
        );
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("goldenSet")
    void compilesSetOriented(String rule, String expectedSql, List<Object> expectedParams) {
        ValidatedRule node = valid(new RuleParser().parse(rule));
        SqlBuilder b = new SqlBuilder();
        SqlBuilder.Bound tenant = b.bind(1L, SqlBuilder.PgType.BIGINT);
        SqlCompiler.predicate(node, b, CTX, tenant);
        SqlQuery q = b.build();
        assertEquals(expectedSql, q.sql());
        assertEquals(normalize(expectedParams), normalize(q.params()));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("golden")
    void compiles(String rule, String expectedSql, List<Object> expectedParams) {
        ValidatedRule node = valid(new RuleParser().parse(rule));
        SqlBuilder b = new SqlBuilder();
        SqlCompiler.predicate(node, b, CTX);
        SqlQuery q = b.build();
        assertEquals(expectedSql, q.sql());
        assertEquals(normalize(expectedParams), normalize(q.params()));
    }

    static List<Object> normalize(List<Object> ps) {
        List<Object> out = new ArrayList<>();
        for (Object p : ps) out.add(p instanceof String[] a ? "text[]" + Arrays.toString(a) : p.getClass().getSimpleName() + ":" + p);
        return out;
    }

    @Test
    void countAndPageShapes() {
        ValidatedRule node = parse("{\"field\":\"region\",\"op\":\"eq\",\"value\":\"North\"}");
        SqlQuery count = QueryShapes.count(5, node, CTX);
        assertEquals("select count(*) as count from customer c left join customer_score cs on cs.customer_id = c.id where c.tenant_id = $1::bigint and (c.region = $2::text)", count.sql());
        assertEquals(List.of(5L, "North"), count.params());
        SqlQuery page = QueryShapes.page(5, node, 100, 50, COLUMNS, CTX);
        assertEquals("select c.id, c.external_id from customer c left join customer_score cs on cs.customer_id = c.id where c.tenant_id = $1::bigint and c.id > $2::bigint"
                + " and (c.region = $3::text) order by c.id limit $4::bigint", page.sql());
        assertEquals(List.of(5L, 100L, "North", 50L), page.params());
        ValidatedRule agg = parse("{\"aggregate\":\"count\",\"of\":\"purchases\",\"within\":\"P1D\",\"op\":\"gte\",\"value\":2}");
        // every member has purchases: counted over the pre-aggregated groups, without reading customer
        assertEquals("select count(*) as count from (select p.customer_id from purchase p where p.tenant_id = $1::bigint"
                + " and p.occurred_at >= $2::timestamptz group by p.customer_id having count(*) >= $3::bigint) c (id)",
                QueryShapes.count(5, agg, CTX).sql());
        ValidatedRule cartNoCheckout = parse("{\"and\":[{\"aggregate\":\"count\",\"of\":\"events\",\"where\":{\"field\":\"name\",\"op\":\"eq\",\"value\":\"cart\"},"
                + "\"op\":\"gte\",\"value\":2},{\"aggregate\":\"count\",\"of\":\"events\",\"where\":{\"field\":\"name\",\"op\":\"eq\","
                + "\"value\":\"checkout\"},\"op\":\"eq\",\"value\":0}]}");
        assertEquals("select count(*) as count from (select e.customer_id from event e where e.tenant_id = $1::bigint"
                + " and e.name = $2::text group by e.customer_id having count(*) >= $3::bigint) c (id) where not exists"
                + " (select 1 from (select e.customer_id from event e where e.tenant_id = $1::bigint and e.name = $4::text"
                + " group by e.customer_id having not coalesce(count(*) = $5::bigint, false)) g where g.customer_id = c.id)",
                QueryShapes.count(5, cartNoCheckout, CTX).sql());
        // a saved segment's count (GET /segments/{key}/count compiles a reference to it): the same
        assertEquals(QueryShapes.count(5, agg, CTX).sql(), QueryShapes.count(5, valid(new RuleNode.SegmentRef("", "buyers")), CTX).sql());
        // a customer condition next to it: the customer table drives
        ValidatedRule vip = parse("{\"and\":[{\"field\":\"region\",\"op\":\"eq\",\"value\":\"North\"},"
                + "{\"aggregate\":\"count\",\"of\":\"purchases\",\"within\":\"P1D\",\"op\":\"gte\",\"value\":2}]}");
        assertEquals("select count(*) as count from customer c left join customer_score cs on cs.customer_id = c.id where c.tenant_id = $1::bigint and ((c.region = $2::text"
                + " and (c.last_purchase_at >= $3::timestamptz and exists (select 1 from purchase p where p.tenant_id = c.tenant_id"
                + " and p.customer_id = c.id and p.occurred_at >= $4::timestamptz having count(*) >= $5::bigint))))",
                QueryShapes.count(5, vip, CTX).sql());
        assertEquals("select c.id, c.external_id from customer c left join customer_score cs on cs.customer_id = c.id where c.tenant_id = $1::bigint and c.id > $2::bigint and"
                + " ((c.last_purchase_at >= $3::timestamptz and exists (select 1 from purchase p where p.tenant_id = c.tenant_id"
                + " and p.customer_id = c.id and p.occurred_at >= $4::timestamptz having count(*) >= $5::bigint)))"
                + " order by c.id limit $6::bigint",
                QueryShapes.page(5, agg, 0, 50, COLUMNS, CTX).sql());
    }

    /** The statements that evaluate several segments at once, for the tenant or for a few customers. */
    @Test
    void severalSegmentsShapes() {
        ValidatedRule vips = valid(new RuleNode.SegmentRef("", "vips"));
        ValidatedRule list = valid(new RuleNode.SegmentRef("", "list"));
        SqlQuery counts = QueryShapes.countEach(5, List.of(vips, list), CTX);
        assertEquals("select count(*) filter (where (c.price_tier = $2::text)), count(*) filter (where exists"
                + " (select 1 from segment_member m where m.tenant_id = c.tenant_id and m.segment_id = $3::bigint and m.customer_id = c.id))"
                + " from customer c left join customer_score cs on cs.customer_id = c.id where c.tenant_id = $1::bigint", counts.sql());
        assertEquals(List.of(5L, "vip", 42L), counts.params());
        SqlQuery pages = QueryShapes.pages(5, List.of(vips, list), 7, 11, COLUMNS, CTX);
        assertEquals("(select c.id, c.external_id, $1::bigint as segment_index from customer c left join customer_score cs on cs.customer_id = c.id where c.tenant_id = $2::bigint"
                + " and c.id > $3::bigint and ((c.price_tier = $4::text)) order by c.id limit $5::bigint)"
                + " union all (select c.id, c.external_id, $6::bigint as segment_index from customer c left join customer_score cs on cs.customer_id = c.id where"
                + " c.tenant_id = $7::bigint and c.id > $8::bigint and (exists (select 1 from segment_member m where m.tenant_id = c.tenant_id and"
                + " m.segment_id = $9::bigint and m.customer_id = c.id)) order by c.id limit $10::bigint)", pages.sql());
        assertEquals(List.of(0L, 5L, 7L, "vip", 11L, 1L, 5L, 7L, 42L, 11L), pages.params());
        SqlQuery of = QueryShapes.segmentsOf(5, List.of(new QueryShapes.Keyed("vips", vips),
                new QueryShapes.Keyed("list", list)), List.of(9L, 9L, 10L), CTX);
        assertEquals("select c.id, array_remove(array[case when ((c.price_tier = $1::text)) then $2::text end,"
                + " case when (exists (select 1 from segment_member m where m.tenant_id = c.tenant_id and m.segment_id = $3::bigint and"
                + " m.customer_id = c.id)) then $4::text end], null) from customer c left join customer_score cs on cs.customer_id = c.id where c.tenant_id = $5::bigint"
                + " and c.id = any($6::text[]::bigint[])", of.sql());
        assertEquals(normalize(List.of("vip", "vips", 42L, "list", 5L, new String[]{"9", "10"})), normalize(of.params()));
        // a tenant without segments: an empty array, still one row per customer
        assertEquals("select c.id, array_remove(array[null::text], null) from customer c left join customer_score cs on cs.customer_id = c.id where c.tenant_id = $1::bigint"
                + " and c.id = any($2::text[]::bigint[])", QueryShapes.segmentsOf(5, List.of(), List.of(9L), CTX).sql());
        assertEquals("explain (format json) " + counts.sql(), QueryShapes.explain(counts).sql());
        assertEquals(counts.params(), QueryShapes.explain(counts).params());
    }

    /** The membership diff: whole tenant (aggregates pre-aggregated) or a few customers (correlated). */
    @Test
    void membershipDiffShape() {
        ValidatedRule buyers = valid(new RuleNode.SegmentRef("", "buyers"));
        String tail = "), entered as (insert into segment_membership (segment_id, customer_id, tenant_id, since)"
                + " select t.segment_id, t.customer_id, $1::bigint, %s from target t%s on conflict do nothing"
                + " returning segment_id, customer_id), exited as (delete from segment_membership m where"
                + " m.tenant_id = $1::bigint and m.segment_id = any(%s::bigint[])%s and not exists (select 1 from target t where"
                + " t.segment_id = m.segment_id and t.customer_id = m.customer_id) returning segment_id, customer_id),"
                + " changes as (insert into membership_change (tenant_id, segment_id, segment_key, customer_id,"
                + " customer_external_id, kind, cause, at) select $1::bigint, d.segment_id, s.key, d.customer_id,"
                + " c.external_id, d.kind, %s, %s from (select segment_id, customer_id, 'entered' as kind from entered"
                + " union all select segment_id, customer_id, 'exited' from exited) d join segment s on s.tenant_id = $1::bigint"
                + " and s.id = d.segment_id left join (customer c left join customer_score cs on cs.customer_id = c.id) on c.tenant_id = $1::bigint and c.id = d.customer_id order by d.segment_id, d.customer_id returning"
                + " segment_id, kind), counted as (update segment_state st set member_count = st.member_count + d.delta"
                + " from (select segment_id, sum(case kind when 'entered' then 1 else -1 end) as delta from changes"
                + " group by segment_id) d where st.tenant_id = $1::bigint and st.segment_id = d.segment_id returning 1) select segment_id,"
                + " count(*) filter (where kind = 'entered'), count(*) filter (where kind = 'exited') from changes group by segment_id";
        // all customers: the stored rows read once (an anti join) rather than probed per member
        String readOnce = " where not exists (select 1 from segment_membership m where m.tenant_id = $1::bigint"
                + " and m.segment_id = t.segment_id and m.customer_id = t.customer_id)";
        SqlQuery all = QueryShapes.membershipDiff(5, List.of(new QueryShapes.Target(77, buyers)), null, "refresh", NOW, CTX);
        assertEquals("with target (segment_id, customer_id) as (select $5::bigint, c.id from customer c left join customer_score cs on cs.customer_id = c.id where"
                + " c.tenant_id = $1::bigint and ((exists (select 1 from (select p.customer_id from purchase p where"
                + " p.tenant_id = $1::bigint and p.occurred_at >= $6::timestamptz group by p.customer_id having"
                + " count(*) >= $7::bigint) g where g.customer_id = c.id)))"
                + String.format(tail, "$3::timestamptz", readOnce, "$2::text[]", "", "$4::text", "$3::timestamptz"), all.sql());
        assertEquals(normalize(List.of(5L, new String[]{"77"}, NOW, "refresh", 77L, ts("2025-06-14T12:00:00Z"), 2L)),
                normalize(all.params()));
        SqlQuery few = QueryShapes.membershipDiff(5, List.of(new QueryShapes.Target(77, buyers),
                new QueryShapes.Target(78, valid(new RuleNode.SegmentRef("", "vips")))), List.of(9L), "data_write", NOW, CTX);
        assertEquals("with target (segment_id, customer_id) as (select $6::bigint, c.id from customer c left join customer_score cs on cs.customer_id = c.id where"
                + " c.tenant_id = $1::bigint and c.id = any($2::text[]::bigint[]) and (((c.last_purchase_at >= $7::timestamptz"
                + " and exists (select 1 from purchase p where p.tenant_id = c.tenant_id and p.customer_id = c.id and"
                + " p.occurred_at >= $8::timestamptz having count(*) >= $9::bigint))))"
                + " union all select $10::bigint, c.id from customer c left join customer_score cs on cs.customer_id = c.id where c.tenant_id = $1::bigint and"
                + " c.id = any($2::text[]::bigint[]) and ((c.price_tier = $11::text))"
                + String.format(tail, "$4::timestamptz", "", "$3::text[]", " and m.customer_id = any($2::text[]::bigint[])",
                "$5::text", "$4::timestamptz"), few.sql());
        // several segments for all customers: their members from one evaluation with shared passes, written to a
        // temporary table the diff then reads
        SqlQuery shared = QueryShapes.membershipDiffShared(5, List.of(new QueryShapes.Target(77, buyers),
                new QueryShapes.Target(78, valid(new RuleNode.SegmentRef("", "vips")))), "refresh", null, NOW, CTX);
        assertEquals("with target (segment_id, customer_id) as (select segment_id, customer_id from shared_target"
                + String.format(tail, "$3::timestamptz", readOnce, "$2::text[]", "", "$4::text", "$3::timestamptz"), shared.sql());
    }

    /**
     * Several rules for all customers in one evaluation: one grouped scan per stream computes each distinct
     * aggregate once as a filtered column (the one-day count of buyers is read by both rules, through a reference
     * in the second), a pass that joins the customer for the aggregate whose where has a ref, and each customer's
     * segments as an array of the rules it holds for.
     */
    @Test
    void sharedPassesShape() {
        ValidatedRule first = parse("{\"and\":[{\"segment\":\"buyers\"},{\"aggregate\":\"sum\",\"of\":\"purchases\","
                + "\"field\":\"amount\",\"within\":\"P30D\",\"op\":\"gt\",\"value\":100}]}");
        ValidatedRule second = parse("{\"or\":[{\"segment\":\"buyers\"},{\"aggregate\":\"count\",\"of\":\"purchases\","
                + "\"where\":{\"field\":\"amount\",\"op\":\"gt\",\"value\":{\"ref\":\"averageOrderValue\"}},\"op\":\"gte\",\"value\":1}]}");
        SqlQuery q = QueryShapes.sharedTargets(5, List.of(new QueryShapes.Target(77, first),
                new QueryShapes.Target(78, second)), CTX);
        assertEquals("create temporary table shared_target on commit drop as select v.segment_id, e.id as customer_id"
                + " from (select c.id, (((coalesce(sp0.v0, 0) >= $2::bigint) and coalesce(sp0.v1, 0) > $3::numeric)) as m0,"
                + " (((coalesce(sp0.v0, 0) >= $4::bigint) or coalesce(sp1.v0, 0) >= $5::bigint)) as m1"
                + " from customer c left join customer_score cs on cs.customer_id = c.id"
                + " left join (select p.customer_id, count(*) filter (where true and p.occurred_at >= $6::timestamptz) as v0,"
                + " coalesce(sum(p.amount) filter (where true and p.occurred_at >= $7::timestamptz), 0) as v1"
                + " from purchase p where p.tenant_id = $1::bigint and ((p.tenant_id = $1::bigint and true and"
                + " p.occurred_at >= $8::timestamptz) or (p.tenant_id = $1::bigint and true and p.occurred_at >= $9::timestamptz))"
                + " group by p.customer_id) sp0 on sp0.customer_id = c.id"
                + " left join (select p.customer_id, count(*) filter (where true and (c.purchase_count > 0 and (p.amount)"
                + " * c.purchase_count > c.total_spend)) as v0 from purchase p join (customer c left join customer_score cs"
                + " on cs.customer_id = c.id) on c.tenant_id = p.tenant_id and c.id = p.customer_id where p.tenant_id = $1::bigint"
                + " and ((p.tenant_id = $1::bigint and true and (c.purchase_count > 0 and (p.amount) * c.purchase_count > c.total_spend)))"
                + " group by p.customer_id) sp1 on sp1.customer_id = c.id"
                + " where c.tenant_id = $1::bigint) e cross join lateral unnest(array_remove(array[case when e.m0 then $10::bigint end,"
                + " case when e.m1 then $11::bigint end], null)) v (segment_id)", q.sql());
        assertEquals(normalize(List.of(5L, 2L, new BigDecimal("100"), 2L, 1L, ts("2025-06-14T12:00:00Z"),
                ts("2025-05-16T12:00:00Z"), ts("2025-06-14T12:00:00Z"), ts("2025-05-16T12:00:00Z"), 77L, 78L)),
                normalize(q.params()));
    }

    /**
     * Explain (issue 16): leaves compiled once as {@code coalesce((predicate), false)}, groups and not composed from
     * their columns, an aggregate's result and counted rows from a lateral over the same rows, a where node's
     * matching rows among the rows in the window.
     */
    @Test
    void explainShape() {
        ValidatedRule rule = parse("{\"and\":[{\"field\":\"region\",\"op\":\"eq\",\"value\":\"North\"},{\"not\":"
                + "{\"aggregate\":\"count\",\"of\":\"purchases\",\"where\":{\"field\":\"category\",\"op\":\"eq\","
                + "\"value\":\"golf\"},\"within\":\"P30D\",\"op\":\"gte\",\"value\":2}}]}");
        QueryShapes.Explained e = QueryShapes.explainCustomer(5, rule, 9, CTX);
        assertEquals("select l.*, (l.t1 and (not l.t3)) as t0, (not l.t3) as t2 from (select c.id as customer_id,"
                + " c.external_id as customer_external_id, coalesce((c.region = $2::text), false) as t1, c.region as v1,"
                + " coalesce(((c.last_purchase_at >= $3::timestamptz and exists (select 1 from purchase p where"
                + " p.tenant_id = c.tenant_id and p.customer_id = c.id and p.category = $4::text and p.occurred_at >="
                + " $5::timestamptz having count(*) >= $6::bigint))), false) as t3, a3.v as v3, a3.n as n3, w3.n4 as n4"
                + " from customer c left join customer_score cs on cs.customer_id = c.id left join lateral (select count(*) as v, count(*) as n from purchase p where"
                + " p.tenant_id = c.tenant_id and p.customer_id = c.id and p.category = $7::text and p.occurred_at >="
                + " $8::timestamptz) a3 on true left join lateral (select count(*) filter (where p.category = $9::text)"
                + " as n4 from purchase p where p.tenant_id = c.tenant_id and p.customer_id = c.id and p.occurred_at >="
                + " $10::timestamptz) w3 on true where c.tenant_id = $1::bigint and c.id = $11::bigint offset 0) l",
                e.query().sql());
        OffsetDateTime start = ts("2025-05-16T12:00:00Z");
        assertEquals(List.of(5L, "North", start, "golf", start, 2L, "golf", start, "golf", start, 9L), e.query().params());
        QueryShapes.NodeColumns root = e.root();
        assertEquals(List.of("t0", "t1", "v1", "t2", "t3", "v3", "n3", "n4"), List.of(root.truth(),
                root.children().get(0).truth(), root.children().get(0).value(), root.children().get(1).truth(),
                root.children().get(1).children().get(0).truth(), root.children().get(1).children().get(0).value(),
                root.children().get(1).children().get(0).rows(),
                root.children().get(1).children().get(0).children().get(0).rows()));
        assertEquals(null, root.children().get(1).children().get(0).children().get(0).truth(), "a where node holds per row");
        assertEquals("/and/1/not/where", root.children().get(1).children().get(0).children().get(0).node().pointer());
    }

    /** The change feed's flipped nodes: the deciding leaves the cause touches, else every deciding leaf. */
    @Test
    void membershipDiffNamesDecidingLeaves() {
        ValidatedRule rule = parse("{\"and\":[{\"field\":\"region\",\"op\":\"eq\",\"value\":\"North\"},"
                + "{\"field\":\"totalSpend\",\"op\":\"gt\",\"value\":100}]}");
        SqlQuery q = QueryShapes.membershipDiff(5, List.of(new QueryShapes.Target(77, rule)), List.of(9L), "data_write",
                QueryShapes.Why.written(java.util.Set.of(Source.PURCHASES)), NOW, CTX);
        String sql = q.sql();
        assertEquals(true, sql.contains(" customer_external_id, kind, cause, at, flipped_nodes) select "), sql);
        assertEquals(true, sql.contains(", case d.segment_id when $9::bigint then (select coalesce(nullif(x.named,"
                + " '{}'::text[]), x.deciding) from (select array_remove(array[case when n.t2 = n.t0 then $11::text end],"
                + " null) as named, array_remove(array[case when n.t1 = n.t0 then $10::text end, case when n.t2 = n.t0"
                + " then $11::text end], null) as deciding from (select l.*, (l.t1 and l.t2) as t0 from (select"
                + " coalesce((c.region = $12::text), false) as t1, coalesce((c.total_spend > $13::numeric), false)"
                + " as t2 offset 0) l offset 0) n) x) end from (select segment_id"), sql);
        assertEquals(List.of("/and/0", "/and/1"), q.params().subList(9, 11));
        // the clock touches neither: every deciding leaf is named
        String time = QueryShapes.membershipDiff(5, List.of(new QueryShapes.Target(77, rule)), null, "time_drift",
                QueryShapes.Why.time(), NOW, CTX).sql();
        assertEquals(true, time.contains("(select array_remove(array[null::text], null) as named"), time);
    }

    /**
     * The lead-scoring statement: one term of a sum per rule (pre-aggregated for the whole tenant, correlated for a few
     * customers), decay by the latest row the rule's aggregates select (the rollup without where), the whole-tenant
     * run skipping customers rescored after its clock.
     */
    @Test
    void leadScoresShape() {
        ValidatedRule opened = parse("{\"aggregate\":\"count\",\"of\":\"events\",\"where\":{\"field\":\"name\",\"op\":\"eq\","
                + "\"value\":\"open\"},\"within\":\"P30D\",\"op\":\"gte\",\"value\":1}");
        ValidatedRule buyer = parse("{\"and\":[{\"aggregate\":\"count\",\"of\":\"purchases\",\"op\":\"gte\",\"value\":2},"
                + "{\"not\":{\"aggregate\":\"count\",\"of\":\"interactions\",\"op\":\"gte\",\"value\":1}}]}");
        List<QueryShapes.Scoring> rules = List.of(new QueryShapes.Scoring(opened, new BigDecimal("20"), 864000L),
                new QueryShapes.Scoring(buyer, new BigDecimal("-5"), 3600L));
        String tail = " else 0 end), 2) as score, cs.lead_score as was_score, cs.lead_temperature as was_temperature,"
                + " cs.lead_computed_at as was_at from customer c left join customer_score cs on cs.customer_id = c.id"
                + " where c.tenant_id = $1::bigint%s), rated as (select n.*, case when n.score >= %s then 'hot'"
                + " when n.score >= %s then 'warm' else 'cold' end as temperature from next n), changed as (select r.id,"
                + " r.score, r.temperature from rated r where (r.was_score, r.was_temperature) is distinct from"
                + " (r.score, r.temperature)%s)"
                + " insert into customer_score as cs (customer_id, lead_score, lead_temperature, lead_computed_at)"
                + " select l.id, l.score, l.temperature, %s from changed l order by l.id on conflict (customer_id) do update"
                + " set lead_score = excluded.lead_score, lead_temperature = excluded.lead_temperature,"
                + " lead_computed_at = excluded.lead_computed_at"
                + " where cs.lead_computed_at is null or cs.lead_computed_at <= excluded.lead_computed_at"
                + " returning cs.customer_id, true";
        SqlQuery all = QueryShapes.leadScores(5, rules, null, new BigDecimal("50"), new BigDecimal("20"), NOW, CTX);
        // one pass over the customers, materialized so that each customer's sum is computed once
        assertEquals("with next as materialized (select c.id, round((case when (exists (select 1 from (select"
                + " e.customer_id from event e where e.tenant_id = $1::bigint and e.name = $3::text and e.occurred_at >="
                + " $4::timestamptz group by e.customer_id having count(*) >= $5::bigint) g where g.customer_id = c.id))"
                + " then $6::numeric * coalesce(analytics_decay(greatest((select max(e.occurred_at) from event e where"
                + " e.tenant_id = c.tenant_id and e.customer_id = c.id and e.name = $7::text and e.occurred_at >="
                + " $8::timestamptz)), $2::timestamptz, $9::numeric), 1) else 0 end) + (case when ((c.purchase_count >="
                + " $10::bigint and not exists (select 1 from (select i.customer_id from interaction i where i.tenant_id ="
                + " $1::bigint group by i.customer_id having count(*) >= $11::bigint) g where g.customer_id = c.id)))"
                + " then $12::numeric * coalesce(analytics_decay(greatest(c.last_purchase_at), $2::timestamptz,"
                + " $13::numeric), 1)"
                + String.format(tail, "", "$14::numeric", "$15::numeric",
                " and (r.was_at is null or r.was_at <= $2::timestamptz)", "$2::timestamptz"), all.sql());
        assertEquals(normalize(List.of(5L, NOW, "open", ts("2025-05-16T12:00:00Z"), 1L, new BigDecimal("20"), "open",
                        ts("2025-05-16T12:00:00Z"), new BigDecimal("864000"), 2L, 1L, new BigDecimal("-5"),
                        new BigDecimal("3600"), new BigDecimal("50"), new BigDecimal("20"))),
                normalize(all.params()));
        SqlQuery few = QueryShapes.leadScores(5, rules.subList(0, 1), List.of(9L, 9L, 10L), new BigDecimal("50"),
                new BigDecimal("20"), NOW, CTX);
        assertEquals("with next as materialized (select c.id, round((case when (exists (select 1 from event e where"
                + " e.tenant_id = c.tenant_id and e.customer_id = c.id and e.name = $4::text and e.occurred_at >="
                + " $5::timestamptz having count(*) >= $6::bigint)) then $7::numeric * coalesce(analytics_decay(greatest("
                + "(select max(e.occurred_at) from event e where e.tenant_id = c.tenant_id and e.customer_id = c.id"
                + " and e.name = $8::text and e.occurred_at >= $9::timestamptz)), $3::timestamptz, $10::numeric), 1)"
                + String.format(tail, " and c.id = any($2::text[]::bigint[])", "$11::numeric", "$12::numeric", "",
                "$3::timestamptz"), few.sql());
        assertEquals(new String[]{"9", "10"}.length, ((String[]) few.params().get(1)).length);
        assertThrows(IllegalArgumentException.class,
                () -> QueryShapes.leadScores(5, List.of(), null, BigDecimal.TEN, BigDecimal.ONE, NOW, CTX));
    }

    /** The profile: the member set (materialized, static, evaluated), each field's value as read, the sections. */
    @Test
    void profileShape() {
        List<FieldDef> fields = List.of(CATALOG.requireCustomerField("region"), CATALOG.requireCustomerField("tags"),
                CATALOG.requireCustomerField("attributes.interests"), CATALOG.requireCustomerField("rfm.recency"),
                CATALOG.requireCustomerField("totalSpend"), CATALOG.requireCustomerField("age"),
                CATALOG.requireCustomerField("averageOrderValue"), CATALOG.requireCustomerField("attributes.score"));
        SqlQuery q = QueryShapes.profile(5, new QueryShapes.Members.Materialized(77, null), fields, 10, CTX);
        assertEquals("with m as materialized (select sm.customer_id from segment_membership sm where sm.tenant_id = $1::bigint and"
                + " sm.segment_id = $2::bigint), r as not materialized (select c.id, c.total_spend as spend, c.purchase_count as"
                + " purchases, nullif(c.region, '') as f0, case when cardinality(c.tags) > 0 then c.tags else array[null::text] end"
                + " as f1, case when jsonb_typeof(c.attributes -> $3::text) = 'array' and jsonb_array_length(c.attributes ->"
                + " $3::text) > 0 then array(select distinct jsonb_array_elements_text(c.attributes -> $3::text)) else"
                + " array[null::text] end as f2, cs.rfm_recency::text as f3, c.total_spend::numeric as f4, date_part('year',"
                + " age($4::date, c.birth_date))::numeric as f5, case when c.purchase_count > 0 then c.total_spend::numeric /"
                + " c.purchase_count end as f6, case when jsonb_typeof(c.attributes -> $5::text) = 'number' then (c.attributes ->>"
                + " $5::text)::numeric end as f7 from customer c left join customer_score cs on cs.customer_id = c.id where"
                + " c.tenant_id = $1::bigint), mr as materialized (select * from r where r.id = any(array(select customer_id from"
                + " m))), g as (select false as mem, f0, f1, f2, f3, count(*) as n, sum(spend) as spend, sum(purchases) as"
                + " purchases, count(f4) as c4, sum(f4) as s4, count(f5) as c5, sum(f5) as s5, count(f6) as c6, sum(f6) as s6,"
                + " count(f7) as c7, sum(f7) as s7 from r group by f0, f1, f2, f3 union all select true, f0, f1, f2, f3, count(*),"
                + " sum(spend), sum(purchases), count(f4) as c4, sum(f4) as s4, count(f5) as c5, sum(f5) as s5, count(f6) as c6,"
                + " sum(f6) as s6, count(f7) as c7, sum(f7) as s7 from mr group by f0, f1, f2, f3)",
                q.sql().substring(0, q.sql().indexOf(", totals as")));
        assertEquals(List.of(5L, 77L, "interests", LocalDate.parse("2025-06-15"), "score", 10L), q.params());
        // categorical fields 0-3 are counted from the groups (lists unnested), numeric ones 4-7 (integral: age) read
        // together: the members' values from their rows, the base's counts and sums from the groups
        org.junit.jupiter.api.Assertions.assertTrue(q.sql().contains("from g group by g.f0 union all select 1 as i, u.value"
                + ", coalesce(sum(g.n) filter (where g.mem), 0)::bigint as members, coalesce(sum(g.n) filter (where not g.mem), 0)::bigint"
                + " as base from g cross join unnest(g.f1) u(value) group by u.value"), q.sql());
        org.junit.jupiter.api.Assertions.assertTrue(q.sql().contains("(values (4, mr.f4), (5, mr.f5), (6, mr.f6), (7, mr.f7))"
                + " v(i, x)"), q.sql());
        org.junit.jupiter.api.Assertions.assertTrue(q.sql().contains("(values (4, t.c4, t.s4, false), (5, t.c5, t.s5, true),"
                + " (6, t.c6, t.s6, false), (7, t.c7, t.s7, false)) v(i, k, s, integral)"), q.sql());
        // a static segment's members, one categorical field
        assertEquals("with m as materialized (select customer_id from segment_member where tenant_id = $1::bigint and segment_id ="
                + " $2::bigint), r as not materialized (select c.id, c.total_spend as spend, c.purchase_count as purchases,"
                + " nullif(c.region, '') as f0 from customer c left join customer_score cs on cs.customer_id = c.id where"
                + " c.tenant_id = $1::bigint), mr as materialized (select * from r where r.id = any(array(select customer_id from"
                + " m))), g as (select false as mem, f0, count(*) as n, sum(spend) as spend, sum(purchases) as purchases from r"
                + " group by f0 union all select true, f0, count(*), sum(spend), sum(purchases) from mr group by f0), totals as"
                + " (select coalesce(sum(n) filter (where mem), 0)::bigint as members, coalesce(sum(n) filter (where not mem),"
                + " 0)::bigint as base, array[coalesce(sum(spend) filter (where mem), 0), coalesce(sum(spend) filter (where not"
                + " mem), 0), coalesce(sum(purchases) filter (where mem), 0), coalesce(sum(purchases) filter (where not mem),"
                + " 0)]::numeric[] as nums from g), cat as (select 0 as i, g.f0 as value, coalesce(sum(g.n) filter (where g.mem),"
                + " 0)::bigint as members, coalesce(sum(g.n) filter (where not g.mem), 0)::bigint as base from g group by g.f0),"
                + " ranked as (select i, value, members, base, row_number() over (partition by i order by members desc, base desc,"
                + " value) as r from cat where value is not null) select 'totals' as section, null::int as field, null::text as"
                + " value, members, base, nums from totals union all select 'value', i, value, members, base, array[r]::numeric[]"
                + " from ranked where r <= $3::bigint and members > 0 union all select 'other', i, null, sum(members)::bigint,"
                + " sum(base)::bigint, null from ranked where r > $3::bigint or members = 0 group by i union all select 'notset', i,"
                + " null, members, base, null from cat where value is null",
                QueryShapes.profile(5, new QueryShapes.Members.Listed(42), fields.subList(0, 1), 3, CTX).sql());
        // evaluated now: the rule pre-aggregated, as a count would read it
        SqlQuery live = QueryShapes.profile(5, new QueryShapes.Members.Evaluated(valid(new RuleNode.SegmentRef("", "buyers"))),
                fields.subList(4, 5), 3, CTX);
        assertEquals("with m as materialized (select c.id as customer_id from customer c left join customer_score cs on cs.customer_id = c.id where c.tenant_id = $1::bigint and"
                + " ((exists (select 1 from (select p.customer_id from purchase p where p.tenant_id = $1::bigint and"
                + " p.occurred_at >= $2::timestamptz group by p.customer_id having count(*) >= $3::bigint) g where"
                + " g.customer_id = c.id))))", live.sql().substring(0, live.sql().indexOf(", r as")));
        assertEquals(List.of("region", "tags", "attributes.interests", "rfm.recency"), fields.stream()
                .filter(f -> QueryShapes.profileKind(f).orElseThrow() == QueryShapes.ProfileKind.CATEGORICAL).map(FieldDef::name).toList());
        assertEquals(Optional.empty(), QueryShapes.profileKind(CATALOG.requireCustomerField("lastPurchaseAt")));
        assertEquals(Optional.of(QueryShapes.ProfileKind.NUMERIC), QueryShapes.profileKind(CATALOG.requireCustomerField("leadScore")));
    }

    /** The RFM grid of the reports: the member set as the profile reads it, grouped by recency and frequency. */
    @Test
    void rfmGridShape() {
        String grid = " select cs.rfm_recency as recency, cs.rfm_frequency as frequency, count(m.customer_id) as members,"
                + " count(*) as base, coalesce(sum(cs.rfm_monetary_value) filter (where m.customer_id is not null), 0)"
                + " as monetary, max(cs.rfm_computed_at) as computed_at from customer c left join customer_score cs on cs.customer_id = c.id left join m on m.customer_id = c.id"
                + " where c.tenant_id = $1::bigint group by 1, 2 order by 1 nulls first, 2 nulls first";
        SqlQuery q = QueryShapes.rfmGrid(5, new QueryShapes.Members.Materialized(77, null), CTX);
        assertEquals("with m as materialized (select sm.customer_id from segment_membership sm where sm.tenant_id = $1::bigint"
                + " and sm.segment_id = $2::bigint)" + grid, q.sql());
        assertEquals(List.of(5L, 77L), q.params());
        assertEquals("with m as materialized (select customer_id from segment_member where tenant_id = $1::bigint"
                + " and segment_id = $2::bigint)" + grid,
                QueryShapes.rfmGrid(5, new QueryShapes.Members.Listed(42), CTX).sql());
        SqlQuery live = QueryShapes.rfmGrid(5, new QueryShapes.Members.Evaluated(valid(new RuleNode.SegmentRef("", "buyers"))), CTX);
        assertEquals("with m as materialized (select c.id as customer_id from customer c left join customer_score cs on cs.customer_id = c.id where c.tenant_id = $1::bigint and"
                + " ((exists (select 1 from (select p.customer_id from purchase p where p.tenant_id = $1::bigint and"
                + " p.occurred_at >= $2::timestamptz group by p.customer_id having count(*) >= $3::bigint) g where"
                + " g.customer_id = c.id))))" + grid, live.sql());
        // materialized, corrected for the due customers: the stored rows of the others and the rule for the due ones
        SqlQuery corrected = QueryShapes.rfmGrid(5, new QueryShapes.Members.Materialized(77,
                parse("{\"field\": \"lastPurchaseAt\", \"op\": \"within\", \"value\": \"P30D\"}")), CTX);
        assertEquals("with m as materialized (select sm.customer_id from segment_membership sm where sm.tenant_id = $1::bigint"
                + " and sm.segment_id = $2::bigint and not exists (select 1 from customer_due d where d.tenant_id = $1::bigint"
                + " and d.customer_id = sm.customer_id and d.due_at <= $3::timestamptz) union all select c.id from customer c"
                + " left join customer_score cs on cs.customer_id = c.id where c.tenant_id = $1::bigint and c.id = any(array(select"
                + " d.customer_id from customer_due d where d.tenant_id = $1::bigint and d.due_at <= $3::timestamptz)) and"
                + " (c.last_purchase_at >= $4::timestamptz))" + grid, corrected.sql());
        assertEquals(List.of(5L, 77L, NOW, NOW.minusDays(30)), corrected.params());
    }

    static ValidatedRule parse(String rule) { return valid(new RuleParser().parse(rule)); }

    /** The compiler takes only a ValidatedRule, which only the validator makes, for the catalog it checked. */
    @Test
    void onlyValidatedRulesCompile() {
        RuleNode node = new RuleParser().parse("{\"field\":\"nope\",\"op\":\"eq\",\"value\":1}");
        InvalidRuleException e = assertThrows(InvalidRuleException.class, () -> valid(node));
        assertEquals("unknown_field", e.errors().get(0).code());
        ValidatedRule other = new RuleValidator(FieldCatalog.of(List.of()), SegmentResolver.NONE)
                .check(new RuleParser().parse("{\"field\":\"region\",\"op\":\"eq\",\"value\":\"North\"}"));
        assertThrows(IllegalArgumentException.class, () -> QueryShapes.count(1, other, CTX));
    }

    @Test
    void builderRejectsWrongParamTypes() {
        SqlBuilder b = new SqlBuilder();
        assertThrows(IllegalArgumentException.class, () -> b.param(1.5d, SqlBuilder.PgType.NUMERIC));
        assertThrows(IllegalArgumentException.class, () -> b.param(1, SqlBuilder.PgType.BIGINT));
        assertThrows(IllegalArgumentException.class, () -> b.param(null, SqlBuilder.PgType.TEXT));
        SqlBuilder other = new SqlBuilder();
        SqlBuilder.Bound x = other.bind("a", SqlBuilder.PgType.TEXT);
        assertThrows(IllegalArgumentException.class, () -> b.ref(x));
    }
}
