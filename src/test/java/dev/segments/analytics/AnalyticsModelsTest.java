package dev.segments.analytics;

import dev.segments.analytics.service.AnalyticsService;
import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQL;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.path.json.config.JsonPathConfig;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import static dev.segments.analytics.AnalyticsTest.event;
import static dev.segments.analytics.AnalyticsTest.feed;
import static dev.segments.analytics.AnalyticsTest.members;
import static dev.segments.analytics.AnalyticsTest.purchase;
import static dev.segments.analytics.AnalyticsTest.segment;
import static dev.segments.analytics.AnalyticsTest.tenant;
import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The analytics models of issue 15's second step on real PostgreSQL, each on a dataset worked out by hand in its
 * javadoc (docs/analytics.md has the definitions): ABC/XYZ (ties, no purchases, one customer, all equal, a
 * zero-revenue month), value quadrants (median split and thresholds), lead scoring (points, decay, temperatures,
 * the distribution, a write moving a score and membership, a run recording cause analytics, one 422 listing every
 * problem of a model), the RF template segments, and the fields in GET /fields and GraphQL.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class AnalyticsModelsTest {

    static final OffsetDateTime NOW = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    static final Duration WAIT = Duration.ofSeconds(60);

    @Inject
    AnalyticsService analytics;

    @Inject
    io.vertx.mutiny.sqlclient.Pool pool;

    /**
     * The activity status function is inlined into the statements that call it (V20): the plan shows its CASE, not
     * a call per row, which cost about 4.6 µs a customer.
     */
    @Test
    void theActivityStatusIsInlinedWhereItIsCalled() {
        StringBuilder plan = new StringBuilder();
        pool.query("explain (verbose) select analytics_activity_status('{\"basis\": \"lastPurchaseAt\"}', created_at,"
                        + " last_seen_at, last_purchase_at, now()) from customer").execute().await().atMost(WAIT)
                .forEach(r -> plan.append(r.getString(0)).append('\n'));
        org.junit.jupiter.api.Assertions.assertFalse(plan.toString().contains("analytics_activity_status"), plan.toString());
        org.junit.jupiter.api.Assertions.assertTrue(plan.toString().contains("CASE"), plan.toString());
    }

    /** Noon on the 2nd of the calendar month k months before the current one (UTC): inside that month. */
    static OffsetDateTime month(int k) {
        return NOW.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS).minusMonths(k).plusDays(1).plusHours(12);
    }

    /** A customer's analytics values, numbers read as exact decimals. */
    static JsonPath analyticsOf(String key, long id) {
        return new JsonPath(as(key).get("/customers/" + id + "/analytics").then().statusCode(200).extract().asString())
                .using(new JsonPathConfig(JsonPathConfig.NumberReturnType.BIG_DECIMAL));
    }

    /** "abcXyz" (or "abc-" / "-xyz" / "-") of a customer. */
    static String classes(String key, long id) {
        JsonPath a = analyticsOf(key, id);
        if (a.get("abcXyz") == null) return "-";
        String abc = a.getString("abcXyz.abcClass");
        String xyz = a.getString("abcXyz.xyzClass");
        return (abc == null ? "-" : abc) + (xyz == null ? "-" : xyz);
    }

    static void monthly(String key, String customer, String amount, int... months) {
        for (int k : months) purchase(key, customer, month(k), amount);
    }

    static BigDecimal dec(String s) {
        return new BigDecimal(s);
    }

    // ------------------------------------------------------------------ ABC / XYZ

    /**
     * Window P400D (every month of the 12-month horizon is inside it); N = 12 complete months before the current one.
     * <pre>
     *            months (k ago)         revenue  series                              cv          class
     *   steady   100 in 1..12           1200     s1 1200, s2 120000: 12 s2 - s1^2 = 0  0           A X
     *   gap      100 in 1..11 (12: 0)   1100     s1 1100, s2 110000: 110000            0.301511    A Z (zero month counts)
     *   edgeX    110 in 1..6, 90 in 7..12 1200   12 s2 - s1^2 = 14400 = 0.10^2 s1^2    0.100000    A Y (x is not below 10%)
     *   edgeY    125 in 1..6, 75 in 7..12 1200   90000 = 0.25^2 s1^2                   0.250000    A Y (25% is Y)
     *   once     200 in 3                 200    one period                            -           C Z
     *   recent   500 this month           500    no complete period                    -           B (no XYZ)
     *   none     -                          -                                                      -
     * </pre>
     * ABC, total 5400 (0.8: 4320, 0.95: 5130), highest first, "above" = revenue of the strictly higher ones:
     * steady, edgeX, edgeY tie at 1200 (above 0: A); gap above 3600 &lt; 4320: A; recent above 4700: B; once above
     * 5200 &ge; 5130: C.
     */
    @Test
    void abcXyzExactWithTiesAZeroMonthAndBoundaries() {
        AnalyticsTest.Tenant t = tenant();
        String key = t.key();
        Map<String, Long> ids = new HashMap<>();
        for (String c : List.of("steady", "gap", "edgeX", "edgeY", "once", "recent", "none")) {
            ids.put(c, Api.customer(key, c, Map.of()));
        }
        monthly(key, "steady", "100", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        monthly(key, "gap", "100", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
        monthly(key, "edgeX", "110", 1, 2, 3, 4, 5, 6);
        monthly(key, "edgeX", "90", 7, 8, 9, 10, 11, 12);
        monthly(key, "edgeY", "125", 1, 2, 3, 4, 5, 6);
        monthly(key, "edgeY", "75", 7, 8, 9, 10, 11, 12);
        purchase(key, "once", month(3), "200");
        purchase(key, "recent", NOW.minusMinutes(1), "500");
        segment(key, "class-a", Map.of("field", "abcClass", "op", "eq", "value", "A"));
        segment(key, "steady-buyers", Map.of("field", "xyzClass", "op", "eq", "value", "X"));
        segment(key, "ax", Map.of("field", "abcXyz", "op", "in", "value", List.of("AX", "BX")));
        segment(key, "no-abc", Map.of("field", "abcClass", "op", "isNotSet"));

        // XYZ follows purchase writes already (per customer); ABC ranks the base: only a run sets it
        assertEquals("-X", classes(key, ids.get("steady")));
        assertEquals(new TreeSet<>(ids.keySet()), members(key, "no-abc"));
        as(key).body(Map.of("window", "P400D")).put("/analytics/abc-xyz").then().statusCode(200)
                .body("config.xyz.period", equalTo("month")).body("config.xyz.periods", equalTo(12))
                .body("config.abc.a", equalTo(0.80f));

        assertEquals("AX", classes(key, ids.get("steady")));
        assertEquals("AZ", classes(key, ids.get("gap")));
        assertEquals("AY", classes(key, ids.get("edgeX")));
        assertEquals("AY", classes(key, ids.get("edgeY")));
        assertEquals("CZ", classes(key, ids.get("once")));
        assertEquals("B-", classes(key, ids.get("recent")));
        assertEquals("-", classes(key, ids.get("none")));
        JsonPath gap = analyticsOf(key, ids.get("gap"));
        assertEquals(dec("0.301511"), gap.getObject("abcXyz.variation", BigDecimal.class));
        assertEquals(11, gap.getInt("abcXyz.periodsWithPurchases"));
        assertEquals("AZ", gap.getString("abcXyz.abcXyz"));
        assertEquals(0, dec("1100").compareTo(gap.getObject("abcXyz.revenue", BigDecimal.class)));
        JsonPath edgeX = analyticsOf(key, ids.get("edgeX"));
        assertEquals(dec("0.100000"), edgeX.getObject("abcXyz.variation", BigDecimal.class));
        JsonPath once = analyticsOf(key, ids.get("once"));
        assertNull(once.get("abcXyz.variation"));
        assertEquals(1, once.getInt("abcXyz.periodsWithPurchases"));
        assertNull(analyticsOf(key, ids.get("recent")).get("abcXyz.abcXyz"));

        // segments over the three fields; the run's entries are recorded with cause analytics
        assertEquals(new TreeSet<>(List.of("steady", "gap", "edgeX", "edgeY")), members(key, "class-a"));
        assertEquals(new TreeSet<>(List.of("steady")), members(key, "ax"));
        assertEquals(new TreeSet<>(List.of("none")), members(key, "no-abc"));
        // steady was X before the segment existed (purchase writes): it entered when the segment was saved
        assertEquals(List.of("entered:steady:rule_edit"), feed(key, "steady-buyers"));
        assertEquals(List.of("entered:steady:analytics"), feed(key, "ax"));
        assertEquals(4, feed(key, "class-a").stream().filter(c -> c.endsWith(":analytics")).count());

        // the report: nine cells over the customers with both classes (steady, gap, edgeX, edgeY, once: 4900)
        JsonPath report = as(key).get("/analytics/abc-xyz").then().statusCode(200).header("ETag", "\"1\"")
                .extract().jsonPath();
        assertEquals(List.of("AX", "AY", "AZ", "BX", "BY", "BZ", "CX", "CY", "CZ"), report.getList("report.cells.cell"));
        assertEquals(5, report.getInt("report.customers"));
        assertEquals(0, dec("4900").compareTo(dec(report.getString("report.revenue"))));
        assertEquals(List.of(1, 2, 1, 0, 0, 0, 0, 0, 1), report.getList("report.cells.customers"));
        assertEquals(List.of("0.2449", "0.4898", "0.2245", "0.0000", "0.0000", "0.0000", "0.0000", "0.0000", "0.0408"),
                report.getList("report.cells.revenueShare").stream().map(v -> dec(v.toString()).setScale(4).toPlainString()).toList());
        assertEquals(List.of(4, 1, 1), report.getList("report.abc.customers"));
        assertEquals(List.of("0.8704", "0.0926", "0.0370"),
                report.getList("report.abc.revenueShare").stream().map(v -> dec(v.toString()).setScale(4).toPlainString()).toList());
        assertEquals(List.of(1, 2, 2), report.getList("report.xyz.customers"));

        // a backdated purchase fills gap's empty month: its XYZ (and abcXyz) change at once, membership follows
        purchase(key, "gap", month(12), "100");
        assertEquals("AX", classes(key, ids.get("gap")));
        assertEquals(new TreeSet<>(List.of("gap", "steady")), members(key, "steady-buyers"));
        assertEquals(List.of("entered:steady:rule_edit", "entered:gap:data_write"), feed(key, "steady-buyers"));
        assertEquals(List.of("entered:steady:analytics", "entered:gap:data_write"), feed(key, "ax"));
        // a purchase in the current month is not in a complete period: steady stays X
        purchase(key, "steady", NOW.minusMinutes(1), "5000");
        assertEquals("AX", classes(key, ids.get("steady")));
        // ABC changes at the next run: total 10600 (0.8: 8480, 0.95: 10070): steady 6200 (above 0) A; gap, edgeX,
        // edgeY 1200 (above 6200) A; recent 500 (above 9800) B; once 200 (above 10300) C
        as(key).post("/analytics/abc-xyz/recompute").then().statusCode(200).body("model", equalTo("abc-xyz"));
        assertEquals("AX", classes(key, ids.get("steady")));
        assertEquals("B-", classes(key, ids.get("recent")));
        assertEquals("CZ", classes(key, ids.get("once")));
        as(key).post("/analytics/abc-xyz/recompute").then().statusCode(200).body("changed", equalTo(0));
    }

    /**
     * Ties across a boundary share a class (40, 30, 30 of 100: the 30s have 40 above, below 80: both A, though the
     * two together pass 80%); a zero revenue and a net refund are C; one customer is A; all equal are all A.
     */
    @Test
    void abcTiesOneCustomerAndAllEqual() {
        AnalyticsTest.Tenant t = tenant();
        Map<String, Long> ids = new HashMap<>();
        for (String c : List.of("p", "q", "r", "zero", "refund")) ids.put(c, Api.customer(t.key(), c, Map.of()));
        purchase(t.key(), "p", NOW.minusDays(3), "40");
        purchase(t.key(), "q", NOW.minusDays(3), "30");
        purchase(t.key(), "r", NOW.minusDays(4), "30");
        purchase(t.key(), "zero", NOW.minusDays(4), "0");
        purchase(t.key(), "refund", NOW.minusDays(5), "50");
        purchase(t.key(), "refund", NOW.minusDays(2), "-60");
        as(t.key()).post("/analytics/abc-xyz/recompute").then().statusCode(200).body("changed", equalTo(5));
        for (String c : List.of("p", "q", "r")) assertEquals("A", classes(t.key(), ids.get(c)).substring(0, 1), c);
        assertEquals("C", classes(t.key(), ids.get("zero")).substring(0, 1));
        assertEquals("C", classes(t.key(), ids.get("refund")).substring(0, 1));

        AnalyticsTest.Tenant one = tenant();
        long only = Api.customer(one.key(), "only", Map.of());
        purchase(one.key(), "only", month(1), "7");
        purchase(one.key(), "only", month(2), "7");
        as(one.key()).post("/analytics/abc-xyz/recompute").then().statusCode(200);
        // two equal months and ten empty: cv = sqrt(12 x 98 - 14^2) / 14 = sqrt(980) / 14 = 2.236068: Z
        assertEquals("AZ", classes(one.key(), only));
        assertEquals(dec("2.236068"), analyticsOf(one.key(), only).getObject("abcXyz.variation", BigDecimal.class));

        AnalyticsTest.Tenant equal = tenant();
        for (String c : List.of("e1", "e2", "e3")) {
            Api.customer(equal.key(), c, Map.of());
            monthly(equal.key(), c, "10", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
        }
        as(equal.key()).post("/analytics/abc-xyz/recompute").then().statusCode(200);
        as(equal.key()).get("/analytics/abc-xyz").then().statusCode(200)
                .body("report.cells.find { it.cell == 'AX' }.customers", equalTo(3))
                .body("report.cells.find { it.cell == 'AX' }.revenueShare", equalTo(1.0f));
    }

    @Test
    void abcXyzConfigurationErrorsAndThresholds() {
        AnalyticsTest.Tenant t = tenant();
        Map<String, Object> bad = new HashMap<>();
        bad.put("abc", Map.of("a", 0.9, "b", 0.9));
        bad.put("xyz", Map.of("period", "day", "periods", 1, "x", 0.3, "y", 0.2));
        bad.put("window", "P0D");
        as(t.key()).body(bad).put("/analytics/abc-xyz").then().statusCode(422).contentType("application/problem+json")
                .body("type", equalTo("/problems/validation"))
                .body("errors.pointer", containsInAnyOrder("/abc/b", "/xyz/period", "/xyz/periods", "/xyz/y", "/window"));
        // an edgeX-like series (cv exactly 0.10): Z with y = 0.05, X with x = 0.2
        long c = Api.customer(t.key(), "c", Map.of());
        monthly(t.key(), "c", "110", 1, 2, 3, 4, 5, 6);
        monthly(t.key(), "c", "90", 7, 8, 9, 10, 11, 12);
        as(t.key()).body(Map.of("window", "P400D", "xyz", Map.of("x", 0.01, "y", 0.05))).put("/analytics/abc-xyz")
                .then().statusCode(200);
        assertEquals("AZ", classes(t.key(), c));
        as(t.key()).body(Map.of("window", "P400D", "xyz", Map.of("x", 0.2, "y", 0.5))).put("/analytics/abc-xyz")
                .then().statusCode(200);
        assertEquals("AX", classes(t.key(), c));
    }

    // ------------------------------------------------------------------ value quadrants

    /**
     * First contact = the earliest of createdAt (now), the first interaction, the first event and the first purchase.
     * <pre>
     *        first contact        first purchase  revenue  days   median split (500, 10)   thresholds (600, P7D)
     *   v1   event 100d ago       1000 90d ago    1000     10     bigSoon                  bigLate
     *   v2   event 100d ago       1000 40d ago    1000     60     bigLate                  bigLate
     *   v3   event 50d ago        100 45d ago     100       5     smallSoon                smallSoon
     *   v4   interaction 200d     100 20d ago     100     180     smallLate                smallLate
     *   v5   (the purchase)       500 30d ago     500       0     bigSoon                  smallSoon
     *   v6   -                    -                                -
     *   v7   -                    999 500d ago    (outside the window: none)
     * </pre>
     * Medians of five: revenue 100, 100, 500, 1000, 1000 gives 500 (big at or above); days 0, 5, 10, 60, 180 gives
     * 10 (soon at or below).
     */
    @Test
    void valueQuadrantsByMedianAndByThresholds() {
        AnalyticsTest.Tenant t = tenant();
        String key = t.key();
        Map<String, Long> ids = new HashMap<>();
        for (String c : List.of("v1", "v2", "v3", "v4", "v5", "v6", "v7")) ids.put(c, Api.customer(key, c, Map.of()));
        event(key, "v1", NOW.minusDays(100));
        purchase(key, "v1", NOW.minusDays(90), "1000");
        event(key, "v2", NOW.minusDays(100));
        purchase(key, "v2", NOW.minusDays(40), "1000");
        event(key, "v3", NOW.minusDays(50));
        purchase(key, "v3", NOW.minusDays(45), "100");
        as(key).body(Map.of("customerExternalId", "v4", "occurredAt", NOW.minusDays(200).toString(), "type", "call"))
                .post("/interactions").then().statusCode(201);
        purchase(key, "v4", NOW.minusDays(20), "100");
        purchase(key, "v5", NOW.minusDays(30), "500");
        purchase(key, "v7", NOW.minusDays(500), "999");
        segment(key, "big-soon", Map.of("field", "valueQuadrant", "op", "eq", "value", "bigSoon"));

        as(key).post("/analytics/value-quadrants/recompute").then().statusCode(200).body("changed", equalTo(5));
        Map<String, String> expected = Map.of("v1", "bigSoon", "v2", "bigLate", "v3", "smallSoon", "v4", "smallLate",
                "v5", "bigSoon");
        expected.forEach((c, q) -> assertEquals(q, analyticsOf(key, ids.get(c)).getString("value.quadrant"), c));
        assertNull(analyticsOf(key, ids.get("v6")).get("value"));
        assertNull(analyticsOf(key, ids.get("v7")).get("value"));
        JsonPath v4 = analyticsOf(key, ids.get("v4"));
        assertEquals(dec("180.00"), v4.getObject("value.daysToValue", BigDecimal.class));
        assertEquals(new TreeSet<>(List.of("v1", "v5")), members(key, "big-soon"));
        assertEquals(List.of("entered:v1:analytics", "entered:v5:analytics"), feed(key, "big-soon"));
        as(key).get("/analytics/value-quadrants").then().statusCode(200)
                .body("report.customers", equalTo(5))
                .body("report.medianRevenue", equalTo(500.0f))
                .body("report.medianDaysToValue", equalTo(10.0f))
                .body("report.quadrants.quadrant", contains("bigSoon", "bigLate", "smallSoon", "smallLate"))
                .body("report.quadrants.customers", contains(2, 1, 1, 1))
                .body("report.quadrants.revenueShare", contains(0.5556f, 0.3704f, 0.037f, 0.037f));

        as(key).body(Map.of("thresholds", Map.of("value", 600, "timeToValue", "P7D"))).put("/analytics/value-quadrants")
                .then().statusCode(200).body("config.thresholds.timeToValue", equalTo("P7D"));
        Map<String, String> fixed = Map.of("v1", "bigLate", "v2", "bigLate", "v3", "smallSoon", "v4", "smallLate",
                "v5", "smallSoon");
        fixed.forEach((c, q) -> assertEquals(q, analyticsOf(key, ids.get(c)).getString("value.quadrant"), c));
        assertEquals(List.of("entered:v1:analytics", "entered:v5:analytics", "exited:v1:analytics", "exited:v5:analytics"),
                feed(key, "big-soon"));
    }

    /** One customer is at both medians: bigSoon; all equal: every one bigSoon; four values: the mean of the middle two. */
    @Test
    void valueQuadrantsOneCustomerAllEqualAndEvenCounts() {
        AnalyticsTest.Tenant one = tenant();
        long only = Api.customer(one.key(), "only", Map.of());
        purchase(one.key(), "only", NOW.minusDays(3), "5");
        as(one.key()).post("/analytics/value-quadrants/recompute").then().statusCode(200);
        assertEquals("bigSoon", analyticsOf(one.key(), only).getString("value.quadrant"));

        AnalyticsTest.Tenant equal = tenant();
        for (String c : List.of("a", "b")) {
            Api.customer(equal.key(), c, Map.of());
            purchase(equal.key(), c, NOW.minusDays(3), "5");
        }
        as(equal.key()).post("/analytics/value-quadrants/recompute").then().statusCode(200);
        as(equal.key()).get("/analytics/value-quadrants").then().body("report.quadrants.customers", contains(2, 0, 0, 0));

        // 100, 200, 300, 400 (each its first purchase: 0 days): median 250, so 300 and 400 are big
        AnalyticsTest.Tenant four = tenant();
        Map<String, Long> ids = new HashMap<>();
        for (int i = 1; i <= 4; i++) {
            ids.put("f" + i, Api.customer(four.key(), "f" + i, Map.of()));
            purchase(four.key(), "f" + i, NOW.minusDays(i), String.valueOf(100 * i));
        }
        as(four.key()).post("/analytics/value-quadrants/recompute").then().statusCode(200);
        assertEquals("smallSoon", analyticsOf(four.key(), ids.get("f2")).getString("value.quadrant"));
        assertEquals("bigSoon", analyticsOf(four.key(), ids.get("f3")).getString("value.quadrant"));
        as(four.key()).get("/analytics/value-quadrants").then().body("report.medianRevenue", equalTo(250.0f));
    }

    /**
     * Only EUR purchases counting: the first counted purchase is the first EUR one (an earlier USD purchase is neither
     * it nor a first contact), and an event before it is the first contact. w1: event 50 days ago, USD 100 days ago,
     * EUR 100 30 days ago: 20 days. w2: EUR 300 10 days ago only: 0 days. Every purchase counting, w1's first
     * purchase is the USD one 100 days ago, which is then its first contact as well: 0 days, revenue 100 + 40.
     */
    @Test
    void valueQuadrantsCountOnlyTheConfiguredPurchases() {
        AnalyticsTest.Tenant t = tenant();
        long w1 = Api.customer(t.key(), "w1", Map.of());
        long w2 = Api.customer(t.key(), "w2", Map.of());
        event(t.key(), "w1", NOW.minusDays(50));
        as(t.key()).body(Map.of("customerExternalId", "w1", "occurredAt", NOW.minusDays(100).toString(), "amount", "40",
                "currency", "USD")).post("/purchases").then().statusCode(201);
        as(t.key()).body(Map.of("customerExternalId", "w1", "occurredAt", NOW.minusDays(30).toString(), "amount", "100",
                "currency", "EUR")).post("/purchases").then().statusCode(201);
        as(t.key()).body(Map.of("customerExternalId", "w2", "occurredAt", NOW.minusDays(10).toString(), "amount", "300",
                "currency", "EUR")).post("/purchases").then().statusCode(201);

        as(t.key()).body(Map.of("amounts", Map.of("currency", "EUR"))).put("/analytics/value-quadrants")
                .then().statusCode(200);
        JsonPath a1 = analyticsOf(t.key(), w1);
        assertEquals(dec("20.00"), a1.getObject("value.daysToValue", BigDecimal.class));
        assertEquals("smallLate", a1.getString("value.quadrant"));
        assertEquals(dec("0.00"), analyticsOf(t.key(), w2).getObject("value.daysToValue", BigDecimal.class));
        assertEquals("bigSoon", analyticsOf(t.key(), w2).getString("value.quadrant"));

        as(t.key()).body(Map.of()).put("/analytics/value-quadrants").then().statusCode(200);
        a1 = analyticsOf(t.key(), w1);
        assertEquals(dec("0.00"), a1.getObject("value.daysToValue", BigDecimal.class));
        assertEquals(0, dec("140").compareTo(a1.getObject("value.revenue", BigDecimal.class)));
    }

    // ------------------------------------------------------------------ lead scoring

    static Map<String, Object> rule(String name, Map<String, ?> rule, Object points) {
        Map<String, Object> r = new HashMap<>();
        r.put("name", name);
        r.put("rule", rule);
        r.put("points", points);
        return r;
    }

    static Map<String, Object> opened(String eventName) {
        return Map.of("aggregate", "count", "of", "events", "where", Map.of("field", "name", "op", "eq", "value", eventName),
                "op", "gte", "value", 1);
    }

    static void namedEvent(String key, String customer, OffsetDateTime at, String name) {
        as(key).body(Map.of("customerExternalId", customer, "occurredAt", at.toString(), "name", name))
                .post("/events").then().statusCode(201);
    }

    static BigDecimal score(String key, long id) {
        JsonPath a = analyticsOf(key, id);
        return a.get("lead") == null ? null : a.getObject("lead.score", BigDecimal.class);
    }

    /**
     * Rules: buyer (purchaseCount >= 1) 10; opened an email 20, half-life P10D from the latest email_open; VIP 30;
     * unsubscribed -25. Hot at 40, warm at 15. Run at the clock AT (later than every write):
     * <pre>
     *   l1  vip, a purchase, email_open 10d before AT          30 + 10 + 20 x 0.5      = 50.00  hot
     *   l2  email_open 20d and 30d before AT (latest 20d)      20 x 0.25               =  5.00  cold
     *   l3  a purchase, unsubscribe                            10 - 25                 = -15.00 cold
     *   l4  nothing                                                                    =  0.00  cold
     *   l5  email_open 5d before AT                            20 x 2^-0.5 = 14.1421   = 14.14  cold
     *   l6  email_open a day after AT (no age yet)             20                      = 20.00  warm
     * </pre>
     * Buckets of 10: [-20,-10) 1, [0,10) 2, [10,20) 1, [20,30) 1, [50,60) 1; mean 74.14 / 6 = 12.36. At AT + 10d
     * l1 is 45 (still hot) and l6 20 x 2^-0.9 = 10.72: it leaves "twenty" with cause analytics.
     */
    @Test
    void leadScoresExactWithDecayAndWritesMoveMembership() {
        AnalyticsTest.Tenant t = tenant();
        String key = t.key();
        OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS).plusHours(1);
        Map<String, Long> ids = new HashMap<>();
        ids.put("l1", Api.customer(key, "l1", Map.of("priceTier", "vip")));
        for (String c : List.of("l2", "l3", "l4", "l5", "l6")) ids.put(c, Api.customer(key, c, Map.of()));
        purchase(key, "l1", at.minusDays(50), "10");
        namedEvent(key, "l1", at.minusDays(10), "email_open");
        namedEvent(key, "l2", at.minusDays(30), "email_open");
        namedEvent(key, "l2", at.minusDays(20), "email_open");
        purchase(key, "l3", at.minusDays(50), "10");
        namedEvent(key, "l3", at.minusDays(3), "unsubscribe");
        namedEvent(key, "l5", at.minusDays(5), "email_open");
        namedEvent(key, "l6", at.plusDays(1), "email_open");
        segment(key, "hot", Map.of("field", "leadTemperature", "op", "eq", "value", "hot"));
        segment(key, "twenty", Map.of("field", "leadScore", "op", "gte", "value", 20));
        // no model yet: nobody has a score
        assertNull(score(key, ids.get("l1")));

        Map<String, Object> model = Map.of("rules", List.of(
                        rule("buyer", Map.of("field", "purchaseCount", "op", "gte", "value", 1), 10),
                        Map.of("name", "opened an email", "rule", opened("email_open"), "points", 20,
                                "decay", Map.of("halfLife", "P10D")),
                        rule("vip", Map.of("field", "priceTier", "op", "eq", "value", "vip"), 30),
                        rule("unsubscribed", opened("unsubscribe"), -25)),
                "temperature", Map.of("hot", 40, "warm", 15));
        as(key).header("If-Match", "\"0\"").body(model).put("/analytics/lead-scoring").then().statusCode(200)
                .header("ETag", "\"1\"").body("config.rules.name", contains("buyer", "opened an email", "vip", "unsubscribed"))
                .body("config.recomputeEvery", equalTo("PT1H"));
        analytics.recompute(t.id(), AnalyticsModel.LEAD_SCORING, at).await().atMost(WAIT);
        Map<String, String> expected = Map.of("l1", "50.00", "l2", "5.00", "l3", "-15.00", "l4", "0.00", "l5", "14.14",
                "l6", "20.00");
        expected.forEach((c, s) -> assertEquals(dec(s), score(key, ids.get(c)), c));
        assertEquals("hot", analyticsOf(key, ids.get("l1")).getString("lead.temperature"));
        assertEquals("warm", analyticsOf(key, ids.get("l6")).getString("lead.temperature"));
        assertEquals("cold", analyticsOf(key, ids.get("l5")).getString("lead.temperature"));
        assertEquals(new TreeSet<>(List.of("l1")), members(key, "hot"));
        assertEquals(new TreeSet<>(List.of("l1", "l6")), members(key, "twenty"));

        as(key).get("/analytics/lead-scoring").then().statusCode(200)
                .body("report.customers", equalTo(6)).body("report.min", equalTo(-15.0f)).body("report.max", equalTo(50.0f))
                .body("report.average", equalTo(12.36f))
                .body("report.temperatures.temperature", contains("hot", "warm", "cold"))
                .body("report.temperatures.customers", contains(1, 1, 4))
                .body("report.bucketWidth", equalTo(10))
                .body("report.histogram.from", contains(-20, 0, 10, 20, 50))
                .body("report.histogram.to", contains(-10, 10, 20, 30, 60))
                .body("report.histogram.customers", contains(1, 2, 1, 1, 1));
        as(key).queryParam("bucketWidth", "25").get("/analytics/lead-scoring").then().statusCode(200)
                .body("report.histogram.from", contains(-25, 0, 50)).body("report.histogram.customers", contains(1, 4, 1));
        as(key).queryParam("bucketWidth", "x").get("/analytics/lead-scoring").then().statusCode(422)
                .contentType("application/problem+json");

        // writes move l4's score and membership at once (cause data_write): VIP 30, a purchase 40, unsubscribed 15
        as(key).contentType("application/merge-patch+json").body(Map.of("priceTier", "vip"))
                .patch("/customers/" + ids.get("l4")).then().statusCode(200);
        assertEquals(dec("30.00"), score(key, ids.get("l4")));
        assertEquals(new TreeSet<>(List.of("l1", "l4", "l6")), members(key, "twenty"));
        purchase(key, "l4", at.minusDays(1), "5");
        assertEquals(dec("40.00"), score(key, ids.get("l4")));
        assertEquals("hot", analyticsOf(key, ids.get("l4")).getString("lead.temperature"));
        namedEvent(key, "l4", at.minusDays(1), "unsubscribe");
        assertEquals(dec("15.00"), score(key, ids.get("l4")));
        assertEquals(List.of("entered:l1:analytics", "entered:l4:data_write", "exited:l4:data_write"), feed(key, "hot"));
        assertEquals(List.of("entered:l1:analytics", "entered:l6:analytics", "entered:l4:data_write", "exited:l4:data_write"),
                feed(key, "twenty"));
        // a new customer is scored when created
        long fresh = Api.customer(key, "fresh", Map.of("priceTier", "vip"));
        assertEquals(dec("30.00"), score(key, fresh));

        // time alone: a run ten days later decays the emails; l6 leaves with cause analytics
        analytics.recompute(t.id(), AnalyticsModel.LEAD_SCORING, at.plusDays(10)).await().atMost(WAIT);
        assertEquals(dec("45.00"), score(key, ids.get("l1")));
        assertEquals(dec("10.72"), score(key, ids.get("l6")));
        List<String> twenty = feed(key, "twenty");
        assertEquals("exited:l6:analytics", twenty.get(twenty.size() - 1));
        assertEquals(new TreeSet<>(List.of("l1")), members(key, "hot"));

        // segments and search over the score: a ref to another field
        as(key).body(Map.of("rule", Map.of("field", "leadScore", "op", "gt", "value", Map.of("ref", "purchaseCount"))))
                .post("/customers/search").then().statusCode(200)
                .body("items.externalId", containsInAnyOrder("l1", "l2", "l4", "l5", "l6", "fresh"));

        // a model without rules: nobody has a score
        as(key).body(Map.of()).put("/analytics/lead-scoring").then().statusCode(200).body("report.customers", equalTo(0));
        assertNull(score(key, ids.get("l1")));
        assertEquals(new TreeSet<>(), members(key, "hot"));
    }

    /** One 422 for the whole model: every rule's problems (pointers into the document) and the rest's. */
    @Test
    void leadScoringModelErrorsAreListedInOneProblem() {
        AnalyticsTest.Tenant t = tenant();
        segment(t.key(), "warm-leads", Map.of("field", "leadTemperature", "op", "eq", "value", "warm"));
        Map<String, Object> fourth = new HashMap<>();
        fourth.put("points", 1);
        fourth.put("extra", true);
        Map<String, Object> model = Map.of("rules", List.of(
                        rule("unknown", Map.of("field", "nope", "op", "eq", "value", 1), 5),
                        rule("own score", Map.of("and", List.of(Map.of("field", "leadScore", "op", "gt", "value", 1),
                                Map.of("field", "region", "op", "eq", "value", Map.of("ref", "leadTemperature")))), "x"),
                        Map.of("rule", Map.of("field", "region", "op", "eq", "value", "x"), "points", 1,
                                "decay", Map.of("halfLife", "P1M")),
                        fourth,
                        rule("via a segment", Map.of("segment", "warm-leads"), 1),
                        rule("no such stream", Map.of("aggregate", "count", "of", "visits", "op", "gte", "value", 1), 1)),
                "temperature", Map.of("hot", 10, "warm", 20),
                "recomputeEvery", "PT1S");
        as(t.key()).body(model).put("/analytics/lead-scoring").then().statusCode(422)
                .contentType("application/problem+json").body("type", equalTo("/problems/validation"))
                .body("errors.pointer", containsInAnyOrder("/rules/0/rule/field", "/rules/1/rule/and/0/field",
                        "/rules/1/rule/and/1/value/ref", "/rules/1/points", "/rules/2/decay/halfLife", "/rules/2/decay",
                        "/rules/3/rule", "/rules/3/extra", "/rules/4/rule/segment", "/rules/5/rule/of",
                        "/temperature/hot", "/recomputeEvery"))
                .body("errors.find { it.pointer == '/rules/0/rule/field' }.code", equalTo("unknown_field"))
                .body("errors.find { it.pointer == '/rules/1/rule/and/0/field' }.code", equalTo("not_allowed"))
                .body("errors.find { it.pointer == '/rules/2/decay' }.code", equalTo("not_allowed"));
        // nothing saved
        as(t.key()).get("/analytics/lead-scoring").then().statusCode(200).header("ETag", "\"0\"").body("config.rules", equalTo(List.of()));
        // GraphQL reports the same problem
        GraphQL.query(t.key(), "mutation($c: JSON!) { saveLeadScoringModel(config: $c) { version } }",
                        Map.of("c", Map.of("rules", List.of(rule("unknown", Map.of("field", "nope", "op", "eq", "value", 1), 5)))))
                .body("errors[0].extensions.type", equalTo("/problems/validation"))
                .body("errors[0].extensions.pointer", equalTo("/rules/0/rule/field"));
    }

    /** The README's lead-scoring example is a valid model. */
    @Test
    void theReadmeLeadScoringExampleIsValid() throws java.io.IOException {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        java.util.regex.Matcher put = java.util.regex.Pattern.compile("analytics/lead-scoring[^\\n]*\\n\\s*-d '([^']*)'")
                .matcher(readme);
        org.junit.jupiter.api.Assertions.assertTrue(put.find(), "the README has its lead-scoring example");
        AnalyticsTest.Tenant t = tenant();
        long id = Api.customer(t.key(), "reader", Map.of());
        namedEvent(t.key(), "reader", NOW.minusMinutes(5), "email_open");
        as(t.key()).body(put.group(1)).put("/analytics/lead-scoring").then().statusCode(200)
                .body("config.rules.name", contains("bought", "opened an email"));
        assertEquals("warm", analyticsOf(t.key(), id).getString("lead.temperature"));
    }

    // ------------------------------------------------------------------ RF template, fields, GraphQL

    /** The RF template: eleven segments whose members are exactly those of rfm.segment; a second install changes nothing. */
    @Test
    void rfTemplateSegmentsMatchTheNamedSegments() {
        AnalyticsTest.Tenant t = tenant();
        String key = t.key();
        // five buyers spread over the grid (as AnalyticsTest: 423, 333, 241, 554, 125)
        for (String c : List.of("a", "b", "c", "f", "g")) Api.customer(key, c, Map.of());
        purchase(key, "a", NOW.minusDays(10), "100");
        purchase(key, "b", NOW.minusDays(20), "50");
        purchase(key, "b", NOW.minusDays(200), "50");
        for (int d : new int[]{30, 40, 50}) purchase(key, "c", NOW.minusDays(d), "10");
        for (int d = 5; d <= 9; d++) purchase(key, "f", NOW.minusDays(d), "100");
        purchase(key, "g", NOW.minusDays(300), "1000");
        as(key).post("/analytics/rfm/recompute").then().statusCode(200);
        as(key).post("/analytics/rfm/template-segments").then().statusCode(200)
                .body("created", equalTo(11)).body("existing", equalTo(0))
                .body("segments.key", hasItems("rf-champions", "rf-potential-loyalists", "rf-cannot-lose-them", "rf-lost"))
                .body("segments.status", everyItemIs("created"));
        as(key).get("/segments/rf-at-risk").then().statusCode(200).body("tags", contains("rf-template"))
                .body("rule.and[0].field", equalTo("rfm.recency")).body("rule.and[0].value", contains(1, 2))
                .body("rule.and[1].value", contains(3, 4));
        for (String name : RfmSegments.NAMES) {
            TreeSet<String> byName = new TreeSet<>(as(key).body(Map.of("rule", Map.of("field", "rfm.segment", "op", "eq",
                            "value", name))).post("/customers/search?limit=100").then().statusCode(200)
                    .extract().jsonPath().getList("items.externalId", String.class));
            assertEquals(byName, members(key, RfmSegments.templateKey(name)), name);
        }
        assertEquals(new TreeSet<>(List.of("f")), members(key, "rf-champions"));
        as(key).post("/analytics/rfm/template-segments").then().statusCode(200).body("created", equalTo(0))
                .body("existing", equalTo(11));
        GraphQL.query(key, "mutation { installRfTemplate { created existing } }")
                .body("data.installRfTemplate.existing", equalTo(11));
    }

    private static org.hamcrest.Matcher<Iterable<? extends String>> everyItemIs(String value) {
        return org.hamcrest.Matchers.everyItem(equalTo(value));
    }

    @Test
    void fieldsAndGraphQL() {
        AnalyticsTest.Tenant t = tenant();
        long id = Api.customer(t.key(), "gq", Map.of("priceTier", "vip"));
        purchase(t.key(), "gq", month(1), "42");
        purchase(t.key(), "gq", month(2), "42");
        as(t.key()).get("/fields").then().statusCode(200)
                .body("customer.name", hasItems("abcClass", "xyzClass", "abcXyz", "leadScore", "leadTemperature", "valueQuadrant"))
                .body("customer.find { it.name == 'abcClass' }.values", contains("A", "B", "C"))
                .body("customer.find { it.name == 'xyzClass' }.values", contains("X", "Y", "Z"))
                .body("customer.find { it.name == 'abcXyz' }.values", hasItems("AX", "CZ"))
                .body("customer.find { it.name == 'leadTemperature' }.values", contains("hot", "warm", "cold"))
                .body("customer.find { it.name == 'valueQuadrant' }.values", contains("bigSoon", "bigLate", "smallSoon", "smallLate"))
                .body("customer.find { it.name == 'leadScore' }.type", equalTo("number"))
                .body("customer.find { it.name == 'leadScore' }.available", equalTo(true));
        as(t.key()).get("/fields/querybuilder").then().statusCode(200)
                .body("name", hasItems("abcClass", "xyzClass", "abcXyz", "leadScore", "leadTemperature", "valueQuadrant"));
        GraphQL.query(t.key(), "{ fieldCatalog { customer { name available } } }")
                .body("data.fieldCatalog.customer.find { it.name == 'valueQuadrant' }.available", equalTo(true));
        as(t.key()).body(Map.of("rules", List.of(rule("vip", Map.of("field", "priceTier", "op", "eq", "value", "vip"), 30))))
                .put("/analytics/lead-scoring").then().statusCode(200);
        GraphQL.query(t.key(), "mutation { a: recomputeAnalytics(model: ABC_XYZ) { model changed } "
                        + "v: recomputeAnalytics(model: VALUE_QUADRANTS) { model changed } }")
                .body("data.a.model", equalTo("abc-xyz")).body("data.a.changed", equalTo(1))
                .body("data.v.model", equalTo("value-quadrants"));
        GraphQL.query(t.key(), "{ customer(id: " + id + ") { analytics { abcXyz { abcClass xyzClass abcXyz variation } "
                        + "lead { score temperature } value { quadrant daysToValue } } } "
                        + "abcXyzModel { version report { customers cells { cell customers revenueShare } } } "
                        + "leadScoringModel(bucketWidth: 5) { config { rules { name points rule } temperature { hot warm } } "
                        + "report { customers temperatures { temperature customers } histogram { from to customers } } } "
                        + "valueQuadrantModel { config { thresholds { value timeToValue } } report { customers } } }")
                .body("data.customer.analytics.abcXyz.abcXyz", equalTo("AZ"))
                .body("data.customer.analytics.lead.score", equalTo(30.0f))
                .body("data.customer.analytics.lead.temperature", equalTo("warm"))
                .body("data.customer.analytics.value.quadrant", equalTo("bigSoon"))
                .body("data.abcXyzModel.report.cells.find { it.cell == 'AZ' }.customers", equalTo(1))
                .body("data.leadScoringModel.config.rules[0].rule.field", equalTo("priceTier"))
                .body("data.leadScoringModel.report.histogram[0].from", equalTo(30))
                .body("data.valueQuadrantModel.config.thresholds.value", nullValue())
                .body("data.valueQuadrantModel.report.customers", equalTo(1));
        GraphQL.query(t.key(), "mutation($c: JSON!) { saveAbcXyzModel(config: $c) { version } }",
                        Map.of("c", Map.of("abc", Map.of("a", 2))))
                .body("errors[0].extensions.pointer", equalTo("/abc/a"));
    }
}
