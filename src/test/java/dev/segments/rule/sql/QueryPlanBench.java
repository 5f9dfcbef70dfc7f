package dev.segments.rule.sql;

import dev.segments.rule.*;

import static dev.segments.rule.sql.PgFixture.COLUMNS;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Query-plan benchmark (not part of the normal test run): compiles a representative set of rules as counts and
 * first pages in every shape (all aggregates correlated, as before; as compiled now; every aggregate
 * pre-aggregated), checks that all shapes return the same count and page, and reports the median EXPLAIN
 * (ANALYZE, BUFFERS) execution time of each, interleaved. Variants marked V1 run without the V3 indexes (dropped in
 * a transaction that is rolled back), so the database must have V3 applied. Plans go to
 * {@code target/query-plans/}. Data: {@code bench/generate-data.sql}; see docs/query-plans.md.
 *
 * <pre>
 * ./mvnw -B -ntp -q test -Dtest=QueryPlanBench -Dbench.db=bench -Dbench.port=55432 [-Dbench.tenant=1]
 *     [-Dbench.runs=5] [-Dbench.only=regex] [-Dbench.kinds=count,page]
 * </pre>
 */
@EnabledIfSystemProperty(named = "bench.db", matches = ".+")
class QueryPlanBench {

    static final OffsetDateTime ANCHOR = OffsetDateTime.parse("2025-06-15T12:00:00Z");
    static final int PAGE = 100;

    /** name -> rule (single quotes for double quotes). */
    static Map<String, String> rules() {
        Map<String, String> r = new LinkedHashMap<>();
        r.put("canonical", RuleExamples.CANONICAL);
        r.put("profile-vip-bavaria", "{'and':[{'field':'priceTier','op':'eq','value':'vip'},{'field':'region','op':'eq','value':'Bavaria'}]}");
        r.put("profile-city-in", "{'field':'city','op':'in','value':['Wien','Graz','Linz']}");
        r.put("profile-stage-age", "{'and':[{'field':'lifecycleStage','op':'in','value':['customer','churned']},"
                + "{'field':'age','op':'between','value':[30,45]}]}");
        r.put("profile-recent-buyers", "{'field':'lastPurchaseAt','op':'within','value':'P30D'}");
        r.put("tags-hasAny", "{'field':'tags','op':'hasAny','value':['vip','loyalty']}");
        r.put("tags-hasAll", "{'field':'tags','op':'hasAll','value':['newsletter','promo']}");
        r.put("attr-plan-eq", "{'field':'attributes.plan','op':'eq','value':'enterprise'}");
        r.put("attr-score-gt", "{'field':'attributes.score','op':'gt','value':95}");
        r.put("attr-interests-hasAny", "{'field':'attributes.interests','op':'hasAny','value':['cooking']}");
        r.put("attr-optIn-vip", "{'and':[{'field':'attributes.optIn','op':'eq','value':true},{'field':'priceTier','op':'eq','value':'vip'}]}");
        r.put("count-p90d-gte3", "{'aggregate':'count','of':'purchases','within':'P90D','op':'gte','value':3}");
        r.put("sum-p365d-gt1000", "{'aggregate':'sum','of':'purchases','field':'amount','within':'P365D','op':'gt','value':1000}");
        r.put("avg-golf-gt100", "{'aggregate':'avg','of':'purchases','field':'amount','where':{'field':'category','op':'eq','value':'golf'},'op':'gt','value':100}");
        r.put("min-q1-lt20", "{'aggregate':'min','of':'purchases','field':'amount','within':{'from':'2025-01-01','to':'2025-03-31'},'op':'lt','value':20}");
        r.put("max-wine-notWithin", "{'aggregate':'max','of':'purchases','field':'occurredAt','where':{'field':'category','op':'eq','value':'wine'},'op':'notWithin','value':'P180D'}");
        r.put("sum-usd-gt0", "{'aggregate':'sum','of':'purchases','field':'amount','where':{'field':'currency','op':'eq','value':'USD'},'op':'gt','value':0}");
        r.put("count-noqty-gte1", "{'aggregate':'count','of':'purchases','where':{'field':'quantity','op':'isNotSet'},'op':'gte','value':1}");
        r.put("count-consult-365d-gte2", "{'aggregate':'count','of':'interactions','where':{'field':'type','op':'eq','value':'consultation'},'within':'P365D','op':'gte','value':2}");
        r.put("count-refusal-price", "{'aggregate':'count','of':'interactions','where':{'and':[{'field':'type','op':'eq','value':'refusal'},"
                + "{'field':'reason','op':'eq','value':'price'}]},'within':'P180D','op':'gte','value':1}");
        r.put("count-cart-30d-gte3", "{'aggregate':'count','of':'events','where':{'field':'name','op':'eq','value':'add_to_cart'},'within':'P30D','op':'gte','value':3}");
        r.put("sum-checkout-prop-gt500", "{'aggregate':'sum','of':'events','field':'properties.amount','where':{'field':'name','op':'eq','value':'checkout'},'op':'gt','value':500}");
        r.put("ref-consult-before-last", "{'aggregate':'count','of':'interactions','where':{'and':[{'field':'type','op':'eq','value':'consultation'},"
                + "{'field':'occurredAt','op':'before','value':{'ref':'lastPurchaseAt'}}]},'op':'gte','value':2}");
        r.put("ref-value-seats", "{'aggregate':'count','of':'purchases','within':'P365D','op':'gte','value':{'ref':'attributes.seats'}}");
        r.put("not-count-p180d", "{'not':{'aggregate':'count','of':'purchases','within':'P180D','op':'gte','value':1}}");
        r.put("vip-at-risk", "{'and':[{'field':'priceTier','op':'eq','value':'vip'},"
                + "{'not':{'aggregate':'count','of':'purchases','within':'P90D','op':'gte','value':1}}]}");
        r.put("empty-count-p90d-lt2", "{'aggregate':'count','of':'purchases','within':'P90D','op':'lt','value':2}");
        r.put("empty-count-calls-eq0", "{'aggregate':'count','of':'interactions','where':{'field':'type','op':'eq','value':'call'},'op':'eq','value':0}");
        r.put("empty-sum-p365d-lte100", "{'aggregate':'sum','of':'purchases','field':'amount','within':'P365D','op':'lte','value':100}");
        r.put("empty-avg-p365d-neq", "{'aggregate':'avg','of':'purchases','field':'amount','within':'P365D','op':'neq','value':100}");
        r.put("empty-avg-p365d-isNotSet", "{'aggregate':'avg','of':'purchases','field':'amount','within':'P365D','op':'isNotSet'}");
        r.put("or-aggregates", "{'or':[{'aggregate':'count','of':'interactions','where':{'field':'type','op':'eq','value':'meeting'},'within':'P90D','op':'gte','value':1},"
                + "{'aggregate':'count','of':'events','where':{'field':'name','op':'eq','value':'checkout'},'within':'P30D','op':'gte','value':1}]}");
        r.put("unselective-sibling", "{'and':[{'field':'lifecycleStage','op':'in','value':['customer','churned']},"
                + "{'aggregate':'count','of':'purchases','within':'P90D','op':'gte','value':3}]}");
        r.put("agg-and-agg", "{'and':[{'aggregate':'count','of':'purchases','within':'P90D','op':'gte','value':1},"
                + "{'aggregate':'count','of':'interactions','where':{'field':'type','op':'eq','value':'consultation'},'within':'P365D','op':'gte','value':1}]}");
        r.put("rollup-count-gte20", "{'aggregate':'count','of':'purchases','op':'gte','value':20}");
        return r;
    }

    final ObjectMapper mapper = new ObjectMapper();

    @Test
    void compareShapes() throws Exception {
        String db = System.getProperty("bench.db");
        int port = Integer.getInteger("bench.port", 5432);
        long tenant = Long.getLong("bench.tenant", 1L);
        int runs = Integer.getInteger("bench.runs", 5);
        String only = System.getProperty("bench.only", ".*");
        List<String> kinds = List.of(System.getProperty("bench.kinds", "count,page").split(","));
        Path out = Path.of("target/query-plans");
        Files.createDirectories(out);
        Vertx vertx = Vertx.vertx();
        Pool pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(1))
                .connectingTo(new PgConnectOptions().setHost(System.getProperty("bench.host", "localhost")).setPort(port)
                        .setDatabase(db).setUser(System.getProperty("bench.user", "postgres"))
                        .setPassword(System.getProperty("bench.password", "postgres")))
                .using(vertx).build();
        try {
            List<AttributeDef> attrs = new ArrayList<>();
            for (Row row : run(pool, "select entity, key, type from attribute_definition where tenant_id = $1", Tuple.of(tenant))) {
                attrs.add(new AttributeDef(row.getString(0), row.getString(1), row.getString(2)));
            }
            CompileContext ctx = new CompileContext(ANCHOR, FieldCatalog.of(attrs), SegmentResolver.NONE);
            StringBuilder summary = new StringBuilder("| rule | rows | count: correlated, V1 (before) | "
                    + "count: compiled, V1 | count: compiled, V3 (after) | count: all pre-aggregated, V3 | "
                    + "first page: correlated, V1 | first page: correlated, V3 (after) | first page: all pre-aggregated, V3 |\n"
                    + "|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            List<String> columns = List.of("count-correlated-v1", "count-compiled-v1", "count-compiled", "count-all-pre",
                    "page-correlated-v1", "page-correlated", "page-all-pre");
            for (var e : rules().entrySet()) {
                if (!e.getKey().matches(only)) continue;
                ValidatedRule node = PgFixture.valid(new RuleParser().parse(e.getValue().replace('\'', '"')), ctx);
                Map<String, SqlQuery> variants = new LinkedHashMap<>();
                variants.put("count-correlated-v1", QueryShapes.count(tenant, node, ctx, SqlCompiler.Shape.CORRELATED));
                variants.put("count-compiled-v1", QueryShapes.count(tenant, node, ctx));
                variants.put("count-compiled", QueryShapes.count(tenant, node, ctx));
                variants.put("count-all-pre", QueryShapes.count(tenant, node, ctx, SqlCompiler.Shape.SET_ALWAYS));
                variants.put("page-correlated-v1", QueryShapes.page(tenant, node, 0, PAGE, COLUMNS, ctx));
                variants.put("page-correlated", QueryShapes.page(tenant, node, 0, PAGE, COLUMNS, ctx));
                variants.put("page-all-pre", QueryShapes.page(tenant, node, 0, PAGE, COLUMNS, ctx, SqlCompiler.Shape.SET_ALWAYS));
                variants.keySet().removeIf(k -> !kinds.contains(k.substring(0, k.indexOf('-'))));
                // identical SQL under the same indexes is measured once
                Map<String, String> sameAs = new LinkedHashMap<>();
                Map<String, SqlQuery> distinct = new LinkedHashMap<>();
                for (var v : variants.entrySet()) {
                    String twin = distinct.entrySet().stream()
                            .filter(d -> d.getValue().sql().equals(v.getValue().sql()) && v1(d.getKey()) == v1(v.getKey()))
                            .map(Map.Entry::getKey).findFirst().orElse(null);
                    if (twin != null) sameAs.put(v.getKey(), twin);
                    else distinct.put(v.getKey(), v.getValue());
                }
                // same answers
                Map<String, List<String>> answers = new LinkedHashMap<>();
                for (var v : distinct.entrySet()) answers.put(v.getKey(), answer(pool, v.getValue()));
                for (var v : answers.entrySet()) {
                    String kind = v.getKey().substring(0, v.getKey().indexOf('-'));
                    List<String> reference = answers.get(kind + "-correlated-v1");
                    assertEquals(reference, v.getValue(), e.getKey() + " " + v.getKey() + ": shapes disagree");
                }
                Map<String, double[]> times = new LinkedHashMap<>();
                for (String k : distinct.keySet()) {
                    explain(pool, distinct.get(k), v1(k)); // warm-up
                    times.put(k, new double[runs]);
                }
                for (int i = 0; i < runs; i++) { // interleaved, so drift hits all variants alike
                    for (var v : distinct.entrySet()) times.get(v.getKey())[i] = explain(pool, v.getValue(), v1(v.getKey()));
                }
                Map<String, String> med = new LinkedHashMap<>();
                for (String k : variants.keySet()) {
                    String src = sameAs.getOrDefault(k, k);
                    med.put(k, String.format("%.1f", median(times.get(src))) + (sameAs.containsKey(k) ? " (=)" : ""));
                }
                String rows = answers.containsKey("count-correlated-v1") ? answers.get("count-correlated-v1").get(0) : "?";
                summary.append("| ").append(e.getKey()).append(" | ").append(rows);
                for (String k : columns) summary.append(" | ").append(med.getOrDefault(k, "-"));
                summary.append(" |\n");
                StringBuilder planText = new StringBuilder("-- rule: " + e.getValue() + "\n");
                for (var v : distinct.entrySet()) {
                    planText.append("\n-- ").append(v.getKey()).append(sameAs.entrySet().stream()
                                    .filter(x -> x.getValue().equals(v.getKey())).map(x -> " = " + x.getKey()).reduce("", String::concat))
                            .append(" (median ").append(med.get(v.getKey())).append(" ms)\n")
                            .append(text(v.getValue())).append("\n").append(plan(pool, v.getValue(), v1(v.getKey())));
                }
                Files.writeString(out.resolve(e.getKey() + ".txt"), planText.toString());
                System.out.println("BENCH " + e.getKey() + " rows=" + rows + " " + med);
            }
            Files.writeString(out.resolve("summary-" + db + ".md"), summary.toString());
            System.out.println(summary);
        } finally {
            pool.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    static List<String> answer(Pool pool, SqlQuery q) throws Exception {
        List<String> out = new ArrayList<>();
        for (Row r : run(pool, q.sql(), PgFixture.toTuple(q.params()))) out.add(String.valueOf(r.getValue(0)));
        return out;
    }

    /** Variants measured as before V3: its indexes dropped in a transaction that is rolled back. */
    static boolean v1(String variant) { return variant.endsWith("-v1"); }

    static final String DROP_V3 = "drop index if exists purchase_tenant_occurred, interaction_tenant_type, event_tenant_name";

    double explain(Pool pool, SqlQuery q, boolean withoutV3) throws Exception {
        RowSet<Row> rs = run(pool, "explain (analyze, buffers, format json) " + q.sql(), q, withoutV3);
        JsonNode j = mapper.readTree(String.valueOf(rs.iterator().next().getValue(0)));
        return j.get(0).get("Execution Time").asDouble();
    }

    static String plan(Pool pool, SqlQuery q, boolean withoutV3) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (Row r : run(pool, "explain (analyze, buffers) " + q.sql(), q, withoutV3)) sb.append(r.getString(0)).append('\n');
        return sb.toString();
    }

    static RowSet<Row> run(Pool pool, String sql, SqlQuery q, boolean withoutV3) throws Exception {
        if (!withoutV3) return run(pool, sql, PgFixture.toTuple(q.params()));
        return pool.withConnection(conn -> conn.query("begin").execute()
                        .compose(x -> conn.query(DROP_V3).execute())
                        .compose(x -> conn.preparedQuery(sql).execute(PgFixture.toTuple(q.params())))
                        .compose(rs -> conn.query("rollback").execute().map(x -> rs)))
                .toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
    }

    static String text(SqlQuery q) {
        StringBuilder sb = new StringBuilder(q.sql()).append("\n-- params:");
        for (int i = 0; i < q.params().size(); i++) {
            Object p = q.params().get(i);
            sb.append(" $").append(i + 1).append("=").append(p instanceof String[] a ? List.of(a).toString() : p);
        }
        return sb.toString();
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        java.util.Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static RowSet<Row> run(Pool pool, String sql, Tuple params) throws Exception {
        return pool.preparedQuery(sql).execute(params).toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
    }
}
