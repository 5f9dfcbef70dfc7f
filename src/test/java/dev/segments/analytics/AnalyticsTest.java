package dev.segments.analytics;

import dev.segments.analytics.service.AnalyticsService;
import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQL;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItems;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The analytics models (issue 15, first step) on real PostgreSQL: RFM exact on hand-worked data (docs/analytics.md
 * has the formula and the grid), activity status at its boundaries, segments over both, membership following runs
 * (cause analytics) and writes, configuration validation and If-Match.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class AnalyticsTest {

    static final OffsetDateTime NOW = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);

    @Inject
    AnalyticsService analytics;

    record Tenant(long id, String key) {
    }

    static Tenant tenant() {
        JsonPath t = RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType(ContentType.JSON)
                .body(Map.of("name", "t-" + UUID.randomUUID())).post("/admin/tenants")
                .then().statusCode(201).extract().jsonPath();
        return new Tenant(t.getLong("tenant.id"), t.getString("apiKey.key"));
    }

    static void purchase(String key, String customer, OffsetDateTime at, String amount) {
        as(key).body(Map.of("customerExternalId", customer, "occurredAt", at.toString(), "amount", amount))
                .post("/purchases").then().statusCode(201);
    }

    static void event(String key, String customer, OffsetDateTime at) {
        as(key).body(Map.of("customerExternalId", customer, "occurredAt", at.toString(), "name", "login"))
                .post("/events").then().statusCode(201);
    }

    static JsonPath customerAnalytics(String key, long id) {
        return as(key).get("/customers/" + id + "/analytics").then().statusCode(200).extract().jsonPath();
    }

    /** "score segment" of a customer, or "-" without RFM. */
    static String rfm(String key, long id) {
        JsonPath a = customerAnalytics(key, id);
        return a.get("rfm") == null ? "-" : a.getString("rfm.score") + " " + a.getString("rfm.segment");
    }

    static String status(String key, long id) {
        return customerAnalytics(key, id).getString("activity.status");
    }

    static void segment(String key, String segmentKey, Map<String, ?> rule) {
        as(key).body(Map.of("key", segmentKey, "name", segmentKey, "rule", rule)).post("/segments").then().statusCode(201);
    }

    static TreeSet<String> members(String key, String segmentKey) {
        return new TreeSet<>(as(key).get("/segments/" + segmentKey + "/members?limit=1000").then().statusCode(200)
                .extract().jsonPath().getList("items.externalId", String.class));
    }

    static List<String> feed(String key, String segmentKey) {
        JsonPath page = as(key).get("/segments/" + segmentKey + "/changes?limit=1000").then().statusCode(200).extract().jsonPath();
        List<String> out = new ArrayList<>();
        for (Map<String, Object> c : page.<Map<String, Object>>getList("items")) {
            out.add(c.get("kind") + ":" + c.get("customerExternalId") + ":" + c.get("cause"));
        }
        return out;
    }

    static java.time.Instant instant(String timestamp) {
        return OffsetDateTime.parse(timestamp).toInstant();
    }

    static OffsetDateTime daysAgo(int days) {
        return NOW.minusDays(days);
    }

    // ------------------------------------------------------------------ RFM

    /**
     * Five buyers in the window (P365D), one buyer outside it, one customer without purchases. Worked by hand with
     * score = ceil(5k / n), n = 5 buyers, k = buyers with a value at most the customer's (ties included):
     * <pre>
     *        last purchase  purchases  revenue   R  F  M   segment (R, F)
     *   a        10d ago        1        100     4  2  3   potentialLoyalists
     *   b        20d ago        2        100     3  3  3   needAttention
     *   c        30d ago        3         30     2  4  1   atRisk
     *   f         5d ago        5        500     5  5  4   champions
     *   g       300d ago        1       1000     1  2  5   hibernating
     * </pre>
     * R: g < c < b < a < f gives k = 1..5. F: a and g tie at 1 purchase (k = 2 for both), b 3, c 4, f 5.
     * M: c 30 (k = 1), a and b tie at 100 (k = 3), f 4, g 5. d (400 days ago) and e (none) have no RFM.
     * Then a buys again (1 day ago, 10): R g1 c2 b3 f4 a5; F g1, a and b tie at 2 (k = 3), c4, f5; M c1 b2 a3
     * (110) f4 g5: a 533 potentialLoyalists, b 332 needAttention, c 241 atRisk, f 454 loyal, g 115 lost.
     */
    @Test
    void rfmExactOnAHandWorkedDatasetAndMembershipFollowsARun() {
        Tenant t = tenant();
        String key = t.key();
        Map<String, Long> ids = new HashMap<>();
        for (String c : List.of("a", "b", "c", "d", "e", "f", "g")) ids.put(c, Api.customer(key, c, Map.of()));
        purchase(key, "a", daysAgo(10), "100");
        purchase(key, "b", daysAgo(20), "50");
        purchase(key, "b", daysAgo(200), "50");
        for (int d : new int[]{30, 40, 50}) purchase(key, "c", daysAgo(d), "10");
        purchase(key, "d", daysAgo(400), "999");
        for (int d = 5; d <= 9; d++) purchase(key, "f", daysAgo(d), "100");
        purchase(key, "g", daysAgo(300), "1000");
        segment(key, "champions", Map.of("field", "rfm.segment", "op", "eq", "value", "champions"));
        segment(key, "recent", Map.of("field", "rfm.recency", "op", "eq", "value", 5));
        segment(key, "no-rfm", Map.of("field", "rfm.score", "op", "isNotSet"));
        segment(key, "high-value", Map.of("and", List.of(Map.of("field", "rfm.monetary", "op", "gte", "value", 4),
                Map.of("field", "rfm.score", "op", "startsWith", "value", "1"))));
        // before any run, nobody has RFM
        assertEquals(new TreeSet<>(ids.keySet()), members(key, "no-rfm"));

        as(key).post("/analytics/rfm/recompute").then().statusCode(200)
                .body("model", equalTo("rfm")).body("changed", equalTo(5));
        assertEquals("423 potentialLoyalists", rfm(key, ids.get("a")));
        assertEquals("333 needAttention", rfm(key, ids.get("b")));
        assertEquals("241 atRisk", rfm(key, ids.get("c")));
        assertEquals("554 champions", rfm(key, ids.get("f")));
        assertEquals("125 hibernating", rfm(key, ids.get("g")));
        assertEquals("-", rfm(key, ids.get("d")));
        assertEquals("-", rfm(key, ids.get("e")));
        JsonPath a = customerAnalytics(key, ids.get("a"));
        assertEquals(4, a.getInt("rfm.recency"));
        assertEquals(2, a.getInt("rfm.frequency"));
        assertEquals(3, a.getInt("rfm.monetary"));
        assertEquals(100.0, a.getDouble("rfm.monetaryValue"));

        // segments over the fields, and the run's entries in the feed with cause analytics
        assertEquals(new TreeSet<>(List.of("f")), members(key, "champions"));
        assertEquals(new TreeSet<>(List.of("d", "e")), members(key, "no-rfm"));
        assertEquals(new TreeSet<>(List.of("g")), members(key, "high-value"));
        assertEquals(List.of("entered:f:analytics"), feed(key, "champions"));
        assertEquals(List.of("entered:f:analytics"), feed(key, "recent"));

        // the report: customers and revenue per cell and per named segment
        JsonPath report = as(key).get("/analytics/rfm").then().statusCode(200).extract().jsonPath();
        assertEquals(5, report.getInt("report.customers"));
        assertEquals(1730.0, report.getDouble("report.revenue"));
        assertEquals(25, report.getList("report.cells").size());
        assertEquals(1, report.getInt("report.cells.find { it.recency == 4 && it.frequency == 2 }.customers"));
        assertEquals(100.0, report.getDouble("report.cells.find { it.recency == 4 && it.frequency == 2 }.revenue"));
        assertEquals(0, report.getInt("report.cells.find { it.recency == 1 && it.frequency == 1 }.customers"));
        assertEquals(RfmSegments.NAMES, report.getList("report.segments.segment"));
        assertEquals(500.0, report.getDouble("report.segments.find { it.segment == 'champions' }.revenue"));
        assertEquals(1, report.getInt("report.segments.find { it.segment == 'hibernating' }.customers"));
        assertEquals(instant(report.getString("freshness.computedAt")),
                instant(customerAnalytics(key, ids.get("b")).getString("rfm.computedAt")));
        // a ref between two analytics fields: recency at least frequency (a 4 >= 2, b 3 >= 3, f 5 >= 5)
        as(key).body(Map.of("rule", Map.of("field", "rfm.recency", "op", "gte", "value", Map.of("ref", "rfm.frequency"))))
                .post("/customers/search").then().statusCode(200).body("items.externalId", containsInAnyOrder("a", "b", "f"));

        // a purchase does not change RFM by itself; the next run does, and membership follows (cause analytics)
        purchase(key, "a", daysAgo(1), "10");
        assertEquals("423 potentialLoyalists", rfm(key, ids.get("a")));
        // c keeps 241: four customers change
        as(key).post("/analytics/rfm/recompute").then().statusCode(200).body("changed", equalTo(4));
        assertEquals("533 potentialLoyalists", rfm(key, ids.get("a")));
        assertEquals("332 needAttention", rfm(key, ids.get("b")));
        assertEquals("241 atRisk", rfm(key, ids.get("c")));
        assertEquals("454 loyal", rfm(key, ids.get("f")));
        assertEquals("115 lost", rfm(key, ids.get("g")));
        assertEquals(List.of("entered:f:analytics", "exited:f:analytics"), feed(key, "champions"));
        assertEquals(List.of("entered:f:analytics", "entered:a:analytics", "exited:f:analytics"), feed(key, "recent"));
        assertEquals(new TreeSet<>(List.of("a")), members(key, "recent"));
        // nothing changed: a run rewrites nobody
        as(key).post("/analytics/rfm/recompute").then().statusCode(200).body("changed", equalTo(0));
    }

    /** One buyer: k = n, so 555. All equal: every k = n, so 555 for all. Three distinct counts 1, 2, 3: F 2, 4, 5. */
    @Test
    void rfmOneCustomerAllEqualAndSmallBases() {
        Tenant one = tenant();
        long only = Api.customer(one.key(), "only", Map.of());
        purchase(one.key(), "only", daysAgo(100), "5");
        as(one.key()).post("/analytics/rfm/recompute").then().statusCode(200).body("changed", equalTo(1));
        assertEquals("555 champions", rfm(one.key(), only));

        Tenant equal = tenant();
        OffsetDateTime at = daysAgo(7);
        List<Long> same = new ArrayList<>();
        for (String c : List.of("p", "q", "r")) {
            same.add(Api.customer(equal.key(), c, Map.of()));
            purchase(equal.key(), c, at, "20");
        }
        as(equal.key()).post("/analytics/rfm/recompute").then().statusCode(200).body("changed", equalTo(3));
        for (long id : same) assertEquals("555 champions", rfm(equal.key(), id));

        Tenant three = tenant();
        List<Long> ids = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            ids.add(Api.customer(three.key(), "c" + i, Map.of()));
            for (int p = 0; p < i; p++) purchase(three.key(), "c" + i, daysAgo(50 - i), "10"); // same day per customer
        }
        // n = 3: ceil(5k / 3) = 2, 4, 5 for k = 1, 2, 3; c1 oldest, fewest, least: 222 hibernating, 444 loyal, 555 champions
        as(three.key()).post("/analytics/rfm/recompute").then().statusCode(200);
        assertEquals("222 hibernating", rfm(three.key(), ids.get(0)));
        assertEquals("444 loyal", rfm(three.key(), ids.get(1)));
        assertEquals("555 champions", rfm(three.key(), ids.get(2)));
    }

    /**
     * Fixed thresholds: 1 + the number of bounds reached. x bought 100 ten days ago and was refunded 30 twenty days
     * ago. All amounts: 2 purchases, revenue 70, R 4 (within P15D, P60D, P250D, not P7D), F 2, M 2: 422. Positive
     * amounts only: 1 purchase, revenue 100: 413 promising. Other currencies do not count.
     */
    @Test
    void rfmThresholdsAndWhichAmountsCount() {
        Tenant t = tenant();
        long x = Api.customer(t.key(), "x", Map.of());
        purchase(t.key(), "x", daysAgo(10), "100");
        purchase(t.key(), "x", daysAgo(20), "-30");
        Map<String, Object> thresholds = Map.of("recency", List.of("P7D", "P15D", "P60D", "P250D"),
                "frequency", List.of(2, 3, 4, 5), "monetary", List.of(50, 100, 200, 1000));
        as(t.key()).body(Map.of("scoring", "thresholds", "thresholds", thresholds)).put("/analytics/rfm")
                .then().statusCode(200).body("config.window", equalTo("P365D")).body("config.amounts.positiveOnly", equalTo(false));
        assertEquals("422 potentialLoyalists", rfm(t.key(), x));
        as(t.key()).body(Map.of("scoring", "thresholds", "thresholds", thresholds, "amounts", Map.of("positiveOnly", true)))
                .put("/analytics/rfm").then().statusCode(200);
        assertEquals("413 promising", rfm(t.key(), x));
        as(t.key()).body(Map.of("amounts", Map.of("currency", "USD"))).put("/analytics/rfm").then().statusCode(200)
                .body("report.customers", equalTo(0));
        assertEquals("-", rfm(t.key(), x));
    }

    // ------------------------------------------------------------------ activity status

    /**
     * Defaults: new while created within P30D, then active (last seen within P90D), passive (within P365D), dormant.
     * Each boundary is inclusive ("at or after now minus the window"), checked at the microsecond on both sides.
     */
    @Test
    void activityStatusBoundaries() {
        Tenant t = tenant();
        String key = t.key();
        long fresh = Api.customer(key, "fresh", Map.of());
        OffsetDateTime created = OffsetDateTime.parse(as(key).get("/customers/" + fresh).then().extract().path("createdAt"));
        assertEquals("new", status(key, fresh));
        analytics.recompute(t.id(), AnalyticsModel.ACTIVITY, created.plusDays(30)).await().atMost(Duration.ofSeconds(30));
        assertEquals("new", status(key, fresh));
        analytics.recompute(t.id(), AnalyticsModel.ACTIVITY, created.plusDays(30).plusNanos(1000)).await().atMost(Duration.ofSeconds(30));
        assertEquals("dormant", status(key, fresh));

        OffsetDateTime at = NOW.plusDays(400);
        Map<String, OffsetDateTime> lastSeen = Map.of(
                "active-edge", at.minusDays(90),
                "passive-edge", at.minusDays(90).minusNanos(1000),
                "passive-end", at.minusDays(365),
                "dormant-edge", at.minusDays(365).minusNanos(1000));
        Map<String, Long> ids = new HashMap<>();
        lastSeen.forEach((c, when) -> {
            ids.put(c, Api.customer(key, c, Map.of()));
            event(key, c, when);
        });
        ids.put("never", Api.customer(key, "never", Map.of()));
        analytics.recompute(t.id(), AnalyticsModel.ACTIVITY, at).await().atMost(Duration.ofSeconds(30));
        assertEquals("active", status(key, ids.get("active-edge")));
        assertEquals("passive", status(key, ids.get("passive-edge")));
        assertEquals("passive", status(key, ids.get("passive-end")));
        assertEquals("dormant", status(key, ids.get("dormant-edge")));
        assertEquals("dormant", status(key, ids.get("never")));
        as(key).get("/analytics/activity").then().statusCode(200)
                .body("statuses.status", contains("new", "active", "passive", "dormant"))
                .body("statuses.customers", contains(0, 1, 2, 3));
        assertEquals(at.toInstant(), instant(as(key).get("/analytics/activity").then().extract().path("freshness.computedAt")));

        // basis lastPurchaseAt: events no longer count
        Map<String, Object> byPurchases = new HashMap<>();
        byPurchases.put("basis", "lastPurchaseAt");
        byPurchases.put("recomputeEvery", null);
        as(key).body(byPurchases).put("/analytics/activity").then().statusCode(200)
                .body("config.basis", equalTo("lastPurchaseAt")).body("freshness.nextRunAt", nullValue());
        analytics.recompute(t.id(), AnalyticsModel.ACTIVITY, at).await().atMost(Duration.ofSeconds(30));
        assertEquals("dormant", status(key, ids.get("active-edge")));
    }

    /** A purchase write updates the customer's activity status in its transaction, and membership follows. */
    @Test
    void aWriteUpdatesTheActivityStatusAndMembership() throws Exception {
        Tenant t = tenant();
        String key = t.key();
        as(key).body(Map.of("newWithin", "PT1S")).put("/analytics/activity").then().statusCode(200);
        segment(key, "active", Map.of("field", "activityStatus", "op", "eq", "value", "active"));
        segment(key, "dormant", Map.of("field", "activityStatus", "op", "eq", "value", "dormant"));
        long id = Api.customer(key, "w", Map.of());
        assertEquals("new", status(key, id));
        Thread.sleep(1100);
        as(key).post("/analytics/activity/recompute").then().statusCode(200).body("changed", equalTo(1));
        assertEquals("dormant", status(key, id));
        assertEquals(List.of("entered:w:analytics"), feed(key, "dormant"));

        purchase(key, "w", NOW, "12.50");
        assertEquals("active", status(key, id));
        assertEquals(new TreeSet<>(List.of("w")), members(key, "active"));
        assertEquals(List.of("entered:w:data_write"), feed(key, "active"));
        assertEquals(List.of("entered:w:analytics", "exited:w:data_write"), feed(key, "dormant"));
        as(key).body(Map.of("rule", Map.of("field", "activityStatus", "op", "in", "value", List.of("active", "passive"))))
                .post("/customers/search").then().statusCode(200).body("items.externalId", contains("w"));
    }

    // ------------------------------------------------------------------ configuration

    @Test
    void invalidConfigurationsListEveryProblemWithPointers() {
        String key = Api.newTenant();
        Map<String, Object> rfm = new HashMap<>();
        rfm.put("window", "P0D");
        rfm.put("scoring", "deciles");
        rfm.put("amounts", Map.of("currency", "eur", "positiveOnly", "yes"));
        rfm.put("recomputeEvery", "PT10S");
        rfm.put("extra", 1);
        as(key).body(rfm).put("/analytics/rfm").then().statusCode(422)
                .contentType("application/problem+json").body("type", equalTo("/problems/validation"))
                .body("errors.pointer", containsInAnyOrder("/window", "/scoring", "/amounts/currency",
                        "/amounts/positiveOnly", "/recomputeEvery", "/extra"))
                .body("errors.find { it.pointer == '/extra' }.code", equalTo("unknown_member"))
                .body("errors.find { it.pointer == '/window' }.code", equalTo("invalid_duration"));
        as(key).body(Map.of("scoring", "thresholds", "thresholds", Map.of(
                        "recency", List.of("P30D", "P10D", "P90D", "P100D"), "frequency", List.of(1, 2, 3),
                        "monetary", List.of(1, 2, 3, "x")))).put("/analytics/rfm").then().statusCode(422)
                .body("errors.pointer", containsInAnyOrder("/thresholds/recency/1", "/thresholds/frequency",
                        "/thresholds/monetary/3"))
                .body("errors.code", containsInAnyOrder("not_ascending", "invalid_value", "invalid_type"));
        as(key).body(Map.of("scoring", "thresholds")).put("/analytics/rfm").then().statusCode(422)
                .body("errors.pointer", contains("/thresholds")).body("errors.code", contains("required"));
        as(key).body(Map.of("basis", "x", "activeWithin", "P400D", "newWithin", 30)).put("/analytics/activity")
                .then().statusCode(422).contentType("application/problem+json")
                .body("errors.pointer", containsInAnyOrder("/basis", "/passiveWithin", "/newWithin"));
        as(key).body("[]").put("/analytics/activity").then().statusCode(422).body("errors.pointer", contains(""));
        // nothing was saved
        as(key).get("/analytics/rfm").then().statusCode(200).header("ETag", "\"0\"").body("config.scoring", equalTo("quintiles"))
                .body("config.window", equalTo("P365D")).body("config.recomputeEvery", equalTo("P1D"));
    }

    @Test
    void ifMatchGuardsTheConfiguration() {
        String key = Api.newTenant();
        as(key).get("/analytics/activity").then().statusCode(200).header("ETag", "\"0\"").body("version", equalTo(0));
        as(key).header("If-Match", "\"1\"").body(Map.of()).put("/analytics/activity").then().statusCode(412)
                .contentType("application/problem+json").body("type", equalTo("/problems/precondition-failed"));
        as(key).header("If-Match", "\"0\"").body(Map.of("activeWithin", "P60D")).put("/analytics/activity")
                .then().statusCode(200).header("ETag", "\"1\"").body("config.activeWithin", equalTo("P60D"))
                .body("config.passiveWithin", equalTo("P365D"));
        as(key).header("If-Match", "\"0\"").body(Map.of()).put("/analytics/activity").then().statusCode(412);
        as(key).header("If-Match", "\"1\"").body(Map.of()).put("/analytics/activity").then().statusCode(200)
                .header("ETag", "\"2\"").body("config.activeWithin", equalTo("P90D"));
        as(key).body(Map.of()).put("/analytics/rfm").then().statusCode(200).header("ETag", "\"1\"");
    }

    /** The schedule: the next run is the last run plus recomputeEvery; runDue runs it when due, not before. */
    @Test
    void scheduleFromTheConfiguration() {
        Tenant t = tenant();
        JsonPath saved = as(t.key()).body(Map.of("recomputeEvery", "PT2H")).put("/analytics/rfm").then().statusCode(200)
                .extract().jsonPath();
        OffsetDateTime computed = OffsetDateTime.parse(saved.getString("freshness.computedAt"));
        assertEquals(computed.plusHours(2).toInstant(), instant(saved.getString("freshness.nextRunAt")));
        analytics.runDue(computed.plusHours(1)).await().atMost(Duration.ofSeconds(60));
        as(t.key()).get("/analytics/rfm").then().body("freshness.computedAt", equalTo(saved.getString("freshness.computedAt")));
        OffsetDateTime later = computed.plusHours(2);
        analytics.runDue(later).await().atMost(Duration.ofSeconds(60));
        JsonPath after = as(t.key()).get("/analytics/rfm").then().statusCode(200).extract().jsonPath();
        assertEquals(later.toInstant(), instant(after.getString("freshness.computedAt")));
        assertEquals(later.plusHours(2).toInstant(), instant(after.getString("freshness.nextRunAt")));
    }

    // ------------------------------------------------------------------ catalog and GraphQL

    @Test
    void fieldsAndGraphQL() {
        Tenant t = tenant();
        long id = Api.customer(t.key(), "gq", Map.of());
        purchase(t.key(), "gq", daysAgo(3), "42");
        as(t.key()).get("/fields").then().statusCode(200)
                .body("customer.name", hasItems("rfm.recency", "rfm.frequency", "rfm.monetary", "rfm.score", "rfm.segment",
                        "activityStatus"))
                .body("customer.find { it.name == 'activityStatus' }.values", contains("new", "active", "passive", "dormant"))
                .body("customer.find { it.name == 'rfm.segment' }.available", equalTo(true));
        as(t.key()).get("/fields/querybuilder").then().statusCode(200).body("name", hasItems("rfm.segment", "activityStatus"));
        GraphQL.query(t.key(), "{ fieldCatalog { customer { name available } } }")
                .body("data.fieldCatalog.customer.find { it.name == 'rfm.score' }.available", equalTo(true));
        GraphQL.query(t.key(), "mutation { recomputeAnalytics(model: RFM) { model changed } }")
                .body("data.recomputeAnalytics.changed", equalTo(1));
        GraphQL.query(t.key(), "{ customer(id: " + id + ") { analytics { rfm { score segment monetaryValue } activity { status } } } "
                        + "rfmModel { version report { customers } } activityModel { config { basis } } }")
                .body("data.customer.analytics.rfm.score", equalTo("555"))
                .body("data.customer.analytics.rfm.segment", equalTo("champions"))
                .body("data.customer.analytics.activity.status", equalTo("new"))
                .body("data.rfmModel.report.customers", equalTo(1))
                .body("data.activityModel.config.basis", equalTo("lastSeenAt"));
        GraphQL.query(t.key(), "mutation($c: JSON!) { saveRfmModel(config: $c) { version } }",
                        Map.of("c", Map.of("window", "P0D")))
                .body("errors[0].extensions.type", equalTo("/problems/validation"))
                .body("errors[0].extensions.pointer", equalTo("/window"));
        as(t.key()).get("/customers/999999999/analytics").then().statusCode(404).contentType("application/problem+json");
    }
}
