package dev.segments.rule.sql;

import dev.segments.rule.*;

import static dev.segments.rule.sql.PgFixture.COLUMNS;

import io.vertx.sqlclient.Row;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pre-aggregated (set-oriented) aggregate form on real PostgreSQL: customers without rows, rows all filtered
 * out by where/within, ties at window and value boundaries, another tenant's activity. Every case is checked in
 * every shape: count (as compiled, and with every aggregate pre-aggregated), the member list pre-aggregated
 * (as count compiles it, and everywhere), the page and membership (correlated). {@link #sameAsCorrelated} checks a
 * matrix of aggregates, pre-aggregated, against the correlated form customer by customer.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PreAggregationPgTest {

    static final OffsetDateTime NOW = OffsetDateTime.parse("2025-06-15T12:00:00Z");
    static final String N = "timestamptz '2025-06-15 12:00:00+00'";
    static final long T1 = 1, T2 = 2;
    static final List<String> ALL = List.of("none", "old", "edge", "wine", "one", "big", "future", "zeroamt");

    PgFixture db;
    final Map<String, Long> ids = new HashMap<>();
    final RuleParser parser = new RuleParser();
    final FieldCatalog catalog = FieldCatalog.of(List.of(new AttributeDef("purchase", "discount", "number")));

    @BeforeAll
    void setUp() throws Exception {
        db = new PgFixture();
        db.exec("insert into tenant (name) values ('t1'), ('t2')");
        db.exec("""
                insert into customer (tenant_id, external_id, price_tier) values
                (1, 'none', 'low'), (1, 'old', 'low'), (1, 'edge', 'mid'), (1, 'wine', 'mid'), (1, 'one', null),
                (1, 'big', 'vip'), (1, 'future', null), (1, 'zeroamt', 'low'), (2, 'zed', 'vip')""");
        try (var c = db.pg.getPostgresDatabase().getConnection(); var s = c.createStatement();
             var rs = s.executeQuery("select external_id, id from customer")) {
            while (rs.next()) ids.put(rs.getString(1), rs.getLong(2));
        }
        String p = "insert into purchase (tenant_id, customer_id, occurred_at, amount, category, quantity, attributes) values ";
        db.exec(p + String.join(",",
                // old: only outside every window used below
                purchase(T1, "old", N + " - interval '400 days'", "50", "golf", "1", "{}"),
                // edge: one exactly at now - 90 days (inside P90D), one a second earlier (outside)
                purchase(T1, "edge", N + " - interval '90 days'", "100.00", "golf", "null", "{}"),
                purchase(T1, "edge", N + " - interval '90 days' - interval '1 second'", "100", "wine", "2", "{}"),
                // wine: only wine, sum exactly 100
                purchase(T1, "wine", N + " - interval '10 days'", "30", "wine", "1", "{\"discount\": 5}"),
                purchase(T1, "wine", N + " - interval '20 days'", "70", "wine", "1", "{\"discount\": \"5\"}"),
                // one: a single purchase of exactly 100
                purchase(T1, "one", N + " - interval '5 days'", "100", "golf", "3", "{}"),
                // big: three golf purchases, one of them nearly 0
                purchase(T1, "big", N + " - interval '1 day'", "600", "golf", "null", "{\"discount\": 10}"),
                purchase(T1, "big", N + " - interval '2 days'", "500", "golf", "1", "{}"),
                purchase(T1, "big", N + " - interval '3 days'", "0.0001", "golf", "1", "{}"),
                // future: after now (windows have no upper bound unless 'to' is given)
                purchase(T1, "future", N + " + interval '1 day'", "20", "golf", "1", "{}"),
                // zeroamt: one row whose amount is 0 (sum 0 with a row, count 1)
                purchase(T1, "zeroamt", N + " - interval '7 days'", "0", "golf", "null", "{}"),
                // another tenant, busy everywhere
                purchase(T2, "zed", N + " - interval '1 day'", "5000", "golf", "9", "{}"),
                purchase(T2, "zed", N + " - interval '100 days'", "5000", "wine", "9", "{}")));
        String i = "insert into interaction (tenant_id, customer_id, occurred_at, type) values ";
        db.exec(i + String.join(",",
                interaction(T1, "old", "400", "call"),
                interaction(T1, "big", "1", "call"), interaction(T1, "big", "2", "call"), interaction(T1, "big", "3", "meeting"),
                interaction(T1, "one", "200", "meeting"),
                interaction(T2, "zed", "1", "call")));
        String e = "insert into event (tenant_id, customer_id, occurred_at, name, properties) values ";
        db.exec(e + String.join(",",
                "(1, " + ids.get("big") + ", " + N + " - interval '1 day', 'checkout', '{\"amount\": 600}')",
                "(1, " + ids.get("big") + ", " + N + " - interval '2 days', 'checkout', '{\"amount\": \"x\"}')",
                "(1, " + ids.get("wine") + ", " + N + " - interval '2 days', 'login', '{\"amount\": 3}')",
                "(1, " + ids.get("one") + ", " + N + " - interval '2 days', 'checkout', '{}')",
                "(2, " + ids.get("zed") + ", " + N + " - interval '1 day', 'checkout', '{\"amount\": 999}')"));
        db.exec("""
                update customer c set
                  purchase_count = (select count(*) from purchase p where p.customer_id = c.id),
                  total_spend = (select coalesce(sum(amount), 0) from purchase p where p.customer_id = c.id),
                  first_purchase_at = (select min(occurred_at) from purchase p where p.customer_id = c.id),
                  last_purchase_at = (select max(occurred_at) from purchase p where p.customer_id = c.id),
                  last_interaction_at = (select max(occurred_at) from interaction i where i.customer_id = c.id)
                """);
    }

    String purchase(long t, String cust, String at, String amount, String category, String qty, String attrs) {
        return "(" + t + ", " + ids.get(cust) + ", " + at + ", " + amount + ", '" + category + "', " + qty + ", '" + attrs + "')";
    }

    String interaction(long t, String cust, String daysAgo, String type) {
        return "(" + t + ", " + ids.get(cust) + ", " + N + " - interval '" + daysAgo + " days', '" + type + "')";
    }

    @AfterAll
    void tearDown() throws Exception {
        if (db != null) db.close();
    }

    CompileContext ctx() { return new CompileContext(NOW, catalog, SegmentResolver.NONE); }

    static Arguments c(String rule, String... expected) {
        return Arguments.of(rule.replace('\'', '"'), Set.of(expected));
    }

    static String agg(String fn, String stream, String field, String where, String within, String op, String value) {
        return "{'aggregate':'" + fn + "','of':'" + stream + "'" + (field == null ? "" : ",'field':'" + field + "'")
                + (where == null ? "" : ",'where':" + where) + (within == null ? "" : ",'within':" + within)
                + ",'op':'" + op + "'" + (value == null ? "" : ",'value':" + value) + "}";
    }

    static final String GOLF = "{'field':'category','op':'eq','value':'golf'}";
    static final String WINE = "{'field':'category','op':'eq','value':'wine'}";

    static Stream<Arguments> cases() {
        return Stream.of(
                // count: true on the empty group (lt, eq 0, between/in containing 0, notIn without 0)
                c(agg("count", "purchases", null, null, "'P90D'", "lt", "2"), "none", "old", "edge", "one", "future", "zeroamt"),
                c(agg("count", "purchases", null, null, "'P90D'", "eq", "0"), "none", "old"),
                c(agg("count", "purchases", null, GOLF, null, "eq", "0"), "none", "wine"),
                c(agg("count", "purchases", null, null, "'P90D'", "in", "[0, 2]"), "none", "old", "wine"),
                c(agg("count", "purchases", null, null, "'P90D'", "notIn", "[1]"), "none", "old", "wine", "big"),
                c(agg("count", "purchases", null, null, "'P90D'", "neq", "1"), "none", "old", "wine", "big"),
                c(agg("count", "interactions", null, "{'field':'type','op':'eq','value':'call'}", null, "between", "[0, 1]"),
                        "none", "old", "edge", "wine", "one", "future", "zeroamt"),
                c(agg("count", "purchases", null, null, "'P90D'", "lte", "0"), "none", "old"),
                // count: false on the empty group
                c(agg("count", "purchases", null, null, "'P90D'", "gte", "1"), "edge", "wine", "one", "big", "future", "zeroamt"),
                c(agg("count", "purchases", null, null, "'P90D'", "notIn", "[0]"), "edge", "wine", "one", "big", "future", "zeroamt"),
                c(agg("count", "purchases", null, null, "'P90D'", "isNotSet", null)),
                c(agg("count", "purchases", null, null, "'P90D'", "isSet", null), ALL.toArray(String[]::new)),
                // the window: inclusive 'from' at the exact boundary, date 'to' = end of that day, open future
                c(agg("count", "purchases", null, null, "{'from':'2025-03-17T12:00:00Z','to':'2025-06-15'}", "gte", "1"),
                        "edge", "wine", "one", "big", "zeroamt"),
                c(agg("count", "purchases", null, null, "{'from':'2025-03-17T12:00:01Z'}", "eq", "0"), "none", "old", "edge"),
                // sum: 0 on the empty group, ties at the compared value
                c(agg("sum", "purchases", "amount", null, "'P365D'", "lte", "100"), "none", "old", "wine", "one", "future", "zeroamt"),
                c(agg("sum", "purchases", "amount", null, "'P365D'", "lt", "100"), "none", "old", "future", "zeroamt"),
                c(agg("sum", "purchases", "amount", null, "'P90D'", "gt", "0"), "edge", "wine", "one", "big", "future"),
                c(agg("sum", "purchases", "amount", null, "'P90D'", "eq", "0"), "none", "old", "zeroamt"),
                c(agg("sum", "purchases", "amount", GOLF, null, "between", "[0, 100]"), "none", "old", "edge", "wine", "one", "future", "zeroamt"),
                c(agg("sum", "purchases", "quantity", null, "'P90D'", "eq", "0"), "none", "old", "edge", "zeroamt"),
                c(agg("sum", "purchases", "attributes.discount", null, null, "eq", "0"), "none", "old", "edge", "one", "future", "zeroamt"),
                // avg/min/max: missing on the empty group, so exactly the negating operators hold there
                c(agg("avg", "purchases", "amount", null, "'P90D'", "neq", "100"), "none", "old", "wine", "big", "future", "zeroamt"),
                c(agg("avg", "purchases", "amount", null, "'P90D'", "isNotSet", null), "none", "old"),
                c(agg("avg", "purchases", "amount", null, "'P90D'", "isSet", null), "edge", "wine", "one", "big", "future", "zeroamt"),
                c(agg("avg", "purchases", "amount", null, "'P90D'", "notIn", "[100, 50]"), "none", "old", "big", "future", "zeroamt"),
                c(agg("avg", "purchases", "amount", null, "'P90D'", "lte", "50"), "wine", "future", "zeroamt"),
                c(agg("min", "purchases", "amount", GOLF, null, "lt", "1"), "big", "zeroamt"),
                c(agg("max", "purchases", "occurredAt", WINE, null, "notWithin", "'P30D'"),
                        "none", "old", "edge", "one", "big", "future", "zeroamt"),
                c(agg("max", "purchases", "occurredAt", WINE, null, "within", "'P30D'"), "wine"),
                c(agg("min", "purchases", "occurredAt", null, "'P365D'", "before", "'2025-03-17T12:00:00Z'"), "edge"),
                // not around pre-aggregated nodes (both polarities of the empty group)
                c("{'not':" + agg("count", "purchases", null, null, "'P90D'", "gte", "1") + "}", "none", "old"),
                c("{'not':" + agg("count", "purchases", null, null, "'P90D'", "lt", "2") + "}", "wine", "big"),
                c("{'not':" + agg("avg", "purchases", "amount", null, "'P90D'", "isNotSet", null) + "}",
                        "edge", "wine", "one", "big", "future", "zeroamt"),
                c("{'not':{'not':" + agg("sum", "purchases", "amount", null, "'P365D'", "lte", "100") + "}}",
                        "none", "old", "wine", "one", "future", "zeroamt"),
                // under or/and, next to customer conditions
                c("{'or':[" + agg("count", "purchases", null, null, "'P90D'", "eq", "0") + ",{'field':'priceTier','op':'eq','value':'vip'}]}",
                        "none", "old", "big"),
                c("{'and':[{'field':'priceTier','op':'in','value':['low','mid']},{'not':" + agg("count", "purchases", null, null, "'P90D'", "gte", "1") + "}]}",
                        "none", "old"),
                c("{'or':[" + agg("count", "interactions", null, "{'field':'type','op':'eq','value':'meeting'}", null, "gte", "1") + ","
                        + agg("sum", "purchases", "amount", WINE, null, "gte", "100") + "]}", "edge", "wine", "one", "big"),
                // events with properties (a value of the wrong JSON type counts as missing)
                c(agg("sum", "events", "properties.amount", "{'field':'name','op':'eq','value':'checkout'}", null, "gt", "500"), "big"),
                c(agg("sum", "events", "properties.amount", null, null, "eq", "0"), "none", "old", "edge", "one", "future", "zeroamt"),
                c(agg("count", "events", null, "{'field':'properties.amount','op':'isSet'}", null, "eq", "0"),
                        "none", "old", "edge", "one", "future", "zeroamt"),
                // refs in the where (the pre-aggregation joins the customer); ref values stay correlated
                c(agg("count", "purchases", null, "{'field':'occurredAt','op':'before','value':{'ref':'lastPurchaseAt'}}", null, "eq", "0"),
                        "none", "old", "one", "future", "zeroamt"),
                c(agg("count", "purchases", null, null, null, "gte", "{'ref':'purchaseCount'}"), ALL.toArray(String[]::new))
        );
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("cases")
    void membership(String rule, Set<String> expected) throws Exception {
        ValidatedRule node = PgFixture.valid(parser.parse(rule), ctx());
        assertEquals(new TreeSet<>(expected), page(node, SqlCompiler.Shape.CORRELATED), "page");
        assertEquals(new TreeSet<>(expected), page(node, SqlCompiler.Shape.SET), "pre-aggregated where count does");
        assertEquals(new TreeSet<>(expected), page(node, SqlCompiler.Shape.SET_ALWAYS), "every aggregate pre-aggregated");
        assertEquals(expected.size(), count(node), "count");
        assertEquals(expected.size(), count(node, SqlCompiler.Shape.SET_ALWAYS), "count, every aggregate pre-aggregated");
        assertEquals(expected.size(), db.run(QueryShapes.countEach(T1, List.of(node), ctx())).iterator().next().getLong(0),
                "count of several segments");
        Set<Long> holds = db.holdsFor(T1, node, ALL.stream().map(ids::get).toList(), ctx());
        Set<String> members = new TreeSet<>();
        for (String ext : ALL) {
            if (holds.contains(ids.get(ext))) members.add(ext);
        }
        assertEquals(new TreeSet<>(expected), members, "membership");
        assertEquals(new TreeSet<>(expected), externalIds(db.sharedMembers(T1, List.of(node), ctx()).get(0)),
                "shared passes");
    }

    Set<String> externalIds(Set<Long> customers) {
        Set<String> out = new TreeSet<>();
        for (String ext : ALL) {
            if (customers.contains(ids.get(ext))) out.add(ext);
        }
        return out;
    }

    /**
     * Every case at once in one statement with shared passes (a full refresh of many segments): the columns of
     * the same aggregate shared, the passes with and without the customer joined, each rule its own members.
     */
    @Test
    void sharedPassesSelectWhatEachRuleSelectsAlone() throws Exception {
        List<ValidatedRule> rules = new ArrayList<>();
        List<Set<String>> expected = new ArrayList<>();
        cases().forEach(a -> {
            rules.add(PgFixture.valid(parser.parse((String) a.get()[0]), ctx()));
            @SuppressWarnings("unchecked") Set<String> e = (Set<String>) a.get()[1];
            expected.add(new TreeSet<>(e));
        });
        List<Set<Long>> shared = db.sharedMembers(T1, rules, ctx());
        for (int i = 0; i < rules.size(); i++) {
            assertEquals(expected.get(i), externalIds(shared.get(i)), "rule " + i + ": " + cases().toList().get(i).get()[0]);
        }
        assertEquals(Set.of(), externalIdsOf(T2, db.sharedMembers(T2, List.of(rules.get(0)), ctx()).get(0)).stream()
                .filter(ALL::contains).collect(java.util.stream.Collectors.toSet()), "another tenant's customers only");
    }

    Set<String> externalIdsOf(long tenant, Set<Long> customers) {
        Set<String> out = new TreeSet<>();
        ids.forEach((ext, id) -> {
            if (customers.contains(id)) out.add(ext);
        });
        return out;
    }

    /** The first page with aggregates in the given shape (QueryShapes.page itself is correlated). */
    Set<String> page(ValidatedRule node, SqlCompiler.Shape shape) throws Exception {
        Set<String> page = new TreeSet<>();
        for (Row r : db.run(QueryShapes.page(T1, node, 0, 100, COLUMNS, ctx(), shape))) page.add(r.getString("external_id"));
        return page;
    }

    long count(ValidatedRule node) throws Exception {
        return db.run(QueryShapes.count(T1, node, ctx())).iterator().next().getLong("count");
    }

    long count(ValidatedRule node, SqlCompiler.Shape shape) throws Exception {
        return db.run(QueryShapes.count(T1, node, ctx(), shape)).iterator().next().getLong("count");
    }

    /** The customers the correlated form selects, in one query. */
    Set<String> correlated(ValidatedRule node) throws Exception {
        SqlBuilder b = new SqlBuilder();
        b.sql("select c.external_id from " + QueryShapes.CUSTOMERS + " where c.tenant_id = ").param(T1, SqlBuilder.PgType.BIGINT).sql(" and (");
        SqlCompiler.predicate(node, b, ctx());
        Set<String> out = new TreeSet<>();
        for (Row r : db.run(b.sql(")").build())) out.add(r.getString(0));
        return out;
    }

    /**
     * Every function, operator and boundary value, with and without where/within, plain and negated: the
     * pre-aggregated count and page select exactly the customers the correlated form selects.
     */
    @Test
    void sameAsCorrelated() throws Exception {
        String[][] fields = {{"count", null}, {"sum", "amount"}, {"sum", "quantity"}, {"avg", "amount"}, {"min", "amount"},
                {"max", "amount"}};
        String[][] numericOps = {{"eq", "0"}, {"eq", "100"}, {"neq", "0"}, {"neq", "100"}, {"gt", "0"}, {"gt", "-1"},
                {"gte", "0"}, {"gte", "1"}, {"lt", "0"}, {"lt", "1"}, {"lt", "100"}, {"lte", "0"}, {"lte", "100"},
                {"between", "[0, 100]"}, {"between", "[1, 2]"}, {"between", "[-1, 0]"}, {"in", "[0, 2]"}, {"in", "[1]"},
                {"notIn", "[0]"}, {"notIn", "[1, 100]"}, {"isSet", null}, {"isNotSet", null}};
        String[][] timeOps = {{"within", "'P30D'"}, {"notWithin", "'P30D'"}, {"before", "'2025-06-01'"},
                {"after", "'2025-06-01'"}, {"eq", "'2025-06-10'"}, {"between", "['2025-03-01', '2025-06-14']"},
                {"isSet", null}, {"isNotSet", null}};
        String[][] filters = {{null, null}, {GOLF, null}, {null, "'P90D'"}, {WINE, "{'from':'2025-03-17T12:00:00Z'}"},
                {"{'not':" + GOLF + "}", "{'to':'2025-06-10'}"},
                {"{'field':'occurredAt','op':'before','value':{'ref':'lastPurchaseAt'}}", null},
                {"{'or':[" + WINE + ",{'field':'amount','op':'gte','value':{'ref':'averageOrderValue'}}]}", "'P90D'"}};
        List<String> rules = new ArrayList<>();
        for (String[] f : filters) {
            for (String[] fn : fields) {
                for (String[] op : numericOps) rules.add(agg(fn[0], "purchases", fn[1], f[0], f[1], op[0], op[1]));
            }
            for (String fn : List.of("min", "max")) {
                for (String[] op : timeOps) rules.add(agg(fn, "purchases", "occurredAt", f[0], f[1], op[0], op[1]));
            }
        }
        List<String> failures = new ArrayList<>();
        List<ValidatedRule> nodes = new ArrayList<>();
        List<Set<String>> correlatedMembers = new ArrayList<>();
        int checked = 0;
        for (String r : rules) {
            for (String rule : List.of(r, "{'not':" + r + "}")) {
                ValidatedRule node = PgFixture.valid(parser.parse(rule.replace('\'', '"')), ctx());
                Set<String> expected = correlated(node);
                Set<String> pre = page(node, SqlCompiler.Shape.SET_ALWAYS);
                nodes.add(node);
                correlatedMembers.add(expected);
                long count = count(node);
                if (!expected.equals(pre) || count != expected.size()) {
                    failures.add(rule + ": correlated " + expected + ", pre-aggregated " + pre + ", count " + count);
                }
                checked++;
            }
        }
        // and all of them in shared passes, 200 rules to a statement (the same aggregates under many comparisons)
        for (int from = 0; from < nodes.size(); from += 200) {
            List<ValidatedRule> chunk = nodes.subList(from, Math.min(nodes.size(), from + 200));
            List<Set<Long>> shared = db.sharedMembers(T1, chunk, ctx());
            for (int i = 0; i < chunk.size(); i++) {
                if (!correlatedMembers.get(from + i).equals(externalIds(shared.get(i)))) {
                    failures.add("shared passes, rule " + (from + i) + ": correlated " + correlatedMembers.get(from + i)
                            + ", shared " + externalIds(shared.get(i)));
                }
            }
        }
        assertEquals(List.of(), failures);
        assertTrue(checked > 1000, "checked " + checked);
    }

    /**
     * Counts of purchases or interactions in a window open towards the future, compared so that only none versus
     * some matters, read the latest-activity rollup instead of the stream (SqlCompiler existenceByRollup): the
     * same customers as counting the rows, at the window's exact start, with future rows and without any row.
     */
    @Test
    void existenceInAnOpenWindowReadsTheRollup() throws Exception {
        String[][] streams = {{"purchases", "purchase"}, {"interactions", "interaction"}};
        String[][] windows = {{"'P90D'", N + " - interval '90 days'"}, {"'P2D'", N + " - interval '2 days'"},
                {"{'from':'2025-03-17T12:00:00Z'}", "timestamptz '2025-03-17 12:00:00+00'"},
                {"{'from':'2025-06-13'}", "timestamptz '2025-06-13 00:00:00+00'"}};
        String[][] ops = {{"gte", "1", ">="}, {"gt", "0", ">"}, {"neq", "0", "<>"}, {"eq", "0", "="},
                {"lt", "1", "<"}, {"lte", "0", "<="}};
        List<String> failures = new ArrayList<>();
        for (String[] st : streams) {
            for (String[] w : windows) {
                for (String[] op : ops) {
                    String rule = agg("count", st[0], null, null, w[0], op[0], op[1]).replace('\'', '"');
                    String rows = "(select count(*) from " + st[1] + " x where x.customer_id = c.id and x.occurred_at >= "
                            + w[1] + ") " + op[2] + " " + op[1];
                    for (boolean negated : List.of(false, true)) {
                        ValidatedRule node = PgFixture.valid(parser.parse(negated ? "{\"not\":" + rule + "}" : rule), ctx());
                        SqlBuilder b = new SqlBuilder();
                        SqlCompiler.predicate(node, b, ctx());
                        if (!b.build().sql().contains("is not null and c.last_")) {
                            failures.add(rule + ": not read from the rollup: " + b.build().sql());
                            continue;
                        }
                        Set<String> expected = new TreeSet<>();
                        try (var c = db.pg.getPostgresDatabase().getConnection(); var q = c.createStatement();
                             var rs = q.executeQuery("select external_id from customer c where tenant_id = " + T1
                                     + " and " + (negated ? "not " : "") + "(" + rows + ")")) {
                            while (rs.next()) expected.add(rs.getString(1));
                        }
                        Set<String> correlated = correlated(node);
                        Set<String> pre = page(node, SqlCompiler.Shape.SET);
                        if (!expected.equals(correlated) || !expected.equals(pre) || count(node) != expected.size()) {
                            failures.add((negated ? "not " : "") + rule + ": rows say " + expected + ", compiled "
                                    + correlated + " / " + pre);
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), failures);
    }

    @Test
    void otherTenantsRowsNeverCount() throws Exception {
        // tenant 2: zed has purchases; an empty-group-true rule over tenant 2 selects nobody but zed's complement
        ValidatedRule node = PgFixture.valid(parser.parse(agg("count", "purchases", null, null, "'P90D'", "eq", "0").replace('\'', '"')), ctx());
        Set<String> t2 = new TreeSet<>();
        for (Row r : db.run(QueryShapes.page(T2, node, 0, 100, COLUMNS, ctx(), SqlCompiler.Shape.SET))) t2.add(r.getString("external_id"));
        assertEquals(Set.of(), t2);
        assertEquals(0L, db.run(QueryShapes.count(T2, node, ctx())).iterator().next().getLong("count"));
        ValidatedRule some = PgFixture.valid(parser.parse(agg("count", "purchases", null, null, "'P90D'", "gte", "1").replace('\'', '"')), ctx());
        Set<String> t2some = new TreeSet<>();
        for (Row r : db.run(QueryShapes.page(T2, some, 0, 100, COLUMNS, ctx(), SqlCompiler.Shape.SET))) t2some.add(r.getString("external_id"));
        assertEquals(Set.of("zed"), t2some);
        // and tenant 1's count is not touched by zed's purchases
        assertEquals(2L, db.run(QueryShapes.count(T1, node, ctx())).iterator().next().getLong("count"));
    }
}
