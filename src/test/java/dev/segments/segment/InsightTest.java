package dev.segments.segment;

import dev.segments.rule.RuleExamples;
import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQL;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Segment insight on seeded data, every figure worked out by hand below: profile (materialized, live and static
 * sources give the same numbers), overlap, effectiveness, the rule in words; problem+json for bad parameters; and
 * tenants see only their own segments.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class InsightTest {

    /** Decimals as BigDecimal, so figures compare exactly as the service wrote them. */
    static final io.restassured.path.json.config.JsonPathConfig DECIMALS = new io.restassured.path.json.config.JsonPathConfig(
            io.restassured.path.json.config.JsonPathConfig.NumberReturnType.BIG_DECIMAL);

    @Inject
    Pool pool;

    /**
     * The profile tenant. Customers (region, priceTier, tags; purchases -> totalSpend, purchaseCount):
     * <pre>
     * c1 North vip [a, b]  100 + 300      -> 400, 2
     * c2 North mid [a]     50             -> 50, 1
     * c3 South vip []      -              -> 0, 0
     * c4 South low [b]     1000           -> 1000, 1
     * c5 -     vip [c]     10 + 20 + 30   -> 60, 3
     * c6 East  -   []      -              -> 0, 0
     * </pre>
     * Segments: vip (priceTier vip: c1, c3, c5), north (region North: c1, c2), buyers (purchaseCount >= 1: c1, c2,
     * c4, c5), list (static: c2, c4).
     */
    static String key;
    static final Map<String, Long> IDS = new HashMap<>();

    static synchronized String seeded() {
        if (key != null) return key;
        String k = Api.newTenant();
        IDS.put("c1", customer(k, "c1", "North", "vip", List.of("a", "b")));
        IDS.put("c2", customer(k, "c2", "North", "mid", List.of("a")));
        IDS.put("c3", customer(k, "c3", "South", "vip", List.of()));
        IDS.put("c4", customer(k, "c4", "South", "low", List.of("b")));
        IDS.put("c5", customer(k, "c5", null, "vip", List.of("c")));
        IDS.put("c6", customer(k, "c6", "East", null, List.of()));
        purchase(k, "c1", "p1", "2025-01-01T10:00:00Z", "100");
        purchase(k, "c1", "p2", "2025-01-02T10:00:00Z", "300");
        purchase(k, "c2", "p3", "2025-01-03T10:00:00Z", "50");
        purchase(k, "c4", "p4", "2025-01-04T10:00:00Z", "1000");
        purchase(k, "c5", "p5", "2025-01-05T10:00:00Z", "10");
        purchase(k, "c5", "p6", "2025-01-06T10:00:00Z", "20");
        purchase(k, "c5", "p7", "2025-01-07T10:00:00Z", "30");
        segment(k, "vip", "VIP customers", Map.of("field", "priceTier", "op", "eq", "value", "vip"));
        segment(k, "north", "North", Map.of("field", "region", "op", "eq", "value", "North"));
        segment(k, "buyers", "Buyers", Map.of("field", "purchaseCount", "op", "gte", "value", 1));
        as(k).body(Map.of("key", "list", "name", "A list", "kind", "static")).post("/segments").then().statusCode(201);
        as(k).body(Map.of("externalIds", List.of("c2", "c4"))).post("/segments/list/members").then().statusCode(200);
        key = k;
        return k;
    }

    static long customer(String key, String externalId, String region, String tier, List<String> tags) {
        Map<String, Object> body = new HashMap<>();
        if (region != null) body.put("region", region);
        if (tier != null) body.put("priceTier", tier);
        body.put("tags", tags);
        return Api.customer(key, externalId, body);
    }

    static void purchase(String key, String customer, String id, String at, String amount) {
        as(key).body(Map.of("customerExternalId", customer, "externalId", id, "occurredAt", at, "amount", amount))
                .post("/purchases").then().statusCode(201);
    }

    static void segment(String key, String segmentKey, String name, Object rule) {
        as(key).body(Map.of("key", segmentKey, "name", name, "rule", rule)).post("/segments").then().statusCode(201);
    }

    static void problem(io.restassured.response.Response r, int status, String type, String pointer, String code) {
        r.then().statusCode(status).contentType("application/problem+json").body("type", equalTo(type))
                .body("errors[0].pointer", equalTo(pointer)).body("errors[0].code", equalTo(code));
    }

    // ------------------------------------------------------------------ profile

    @Test
    void profileAgainstTheBase() {
        String k = seeded();
        JsonPath p = as(k).get("/segments/vip/profile?fields=region,tags,totalSpend,purchaseCount&top=1")
                .then().statusCode(200).extract().jsonPath().using(DECIMALS);
        assertProfile(p, "materialized");

        // the same figures when the materialization is not current: the rule is evaluated now
        long id = as(k).get("/segments/vip").then().extract().jsonPath().using(DECIMALS).getLong("id");
        // (computed for another version of the rule; the scheduler only refreshes due segments, so it stays so)
        pool.preparedQuery("update segment_state set segment_version = segment_version - 1000 where segment_id = $1")
                .execute(Tuple.of(id)).await().atMost(Duration.ofSeconds(10));
        try {
            assertProfile(as(k).get("/segments/vip/profile?fields=region,tags,totalSpend,purchaseCount&top=1")
                    .then().statusCode(200).extract().jsonPath().using(DECIMALS), "live");
        } finally {
            pool.preparedQuery("update segment_state set segment_version = segment_version + 1000 where segment_id = $1")
                    .execute(Tuple.of(id)).await().atMost(Duration.ofSeconds(10));
        }
        // the check of the member reads: a backstop refresh that is due does not make it live (time events keep the
        // materialization exact), a repair mark does
        pool.preparedQuery("update segment_state set next_refresh_at = now() - interval '1 hour' where segment_id = $1")
                .execute(Tuple.of(id)).await().atMost(Duration.ofSeconds(10));
        assertProfile(as(k).get("/segments/vip/profile?fields=region,tags,totalSpend,purchaseCount&top=1")
                .then().statusCode(200).extract().jsonPath().using(DECIMALS), "materialized");
        pool.preparedQuery("update segment_state set repair_since = now() where segment_id = $1")
                .execute(Tuple.of(id)).await().atMost(Duration.ofSeconds(10));
        try {
            assertProfile(as(k).get("/segments/vip/profile?fields=region,tags,totalSpend,purchaseCount&top=1")
                    .then().statusCode(200).extract().jsonPath().using(DECIMALS), "live");
            // the mark is the tenant's: every dynamic segment is read live until the repair
            assertEquals(List.of(false, false), as(k).get("/segments/overlap?keys=vip,north").then().statusCode(200)
                    .extract().jsonPath().getList("segments.current"));
        } finally {
            pool.preparedQuery("update segment_state set repair_since = null where segment_id = $1")
                    .execute(Tuple.of(id)).await().atMost(Duration.ofSeconds(10));
        }
    }

    private static void assertProfile(JsonPath p, String source) {
        assertEquals(source, p.getString("source"));
        assertEquals(3, p.getInt("size"));
        assertEquals(6, p.getInt("baseSize"));
        assertEquals("0.5", p.getString("share"));
        // revenue 400 + 0 + 60 = 460 of 1510
        assertEquals("460", p.getString("rollups.revenue.segment"));
        assertEquals("1510", p.getString("rollups.revenue.base"));
        assertEquals("0.3046", p.getString("rollups.revenue.share"));           // 460 / 1510
        assertEquals("153.3333", p.getString("rollups.revenuePerCustomer.segment")); // 460 / 3
        assertEquals("251.6667", p.getString("rollups.revenuePerCustomer.base"));    // 1510 / 6
        assertEquals("0.6093", p.getString("rollups.revenuePerCustomer.index"));     // 920 / 1510
        assertEquals("92", p.getString("rollups.averageOrderValue.segment"));        // 460 / 5 purchases
        assertEquals("215.7143", p.getString("rollups.averageOrderValue.base"));     // 1510 / 7
        assertEquals("0.4265", p.getString("rollups.averageOrderValue.index"));      // 3220 / 7550
        assertEquals("1.6667", p.getString("rollups.purchaseFrequency.segment"));    // 5 / 3
        assertEquals("1.1667", p.getString("rollups.purchaseFrequency.base"));       // 7 / 6
        assertEquals("1.4286", p.getString("rollups.purchaseFrequency.index"));      // 30 / 21

        // region: members North 1, South 1, not set 1; base North 2, South 2, East 1, not set 1. Top 1: North
        // (tie with South broken by the value), the rest (South, East) is other
        assertEquals("region", p.getString("fields[0].field"));
        assertEquals("categorical", p.getString("fields[0].kind"));
        assertEquals(List.of("North"), p.getList("fields[0].values.value"));
        assertEquals(share(1, "0.3333", 2, "0.3333", "1"), shareOf(p, "fields[0].values[0]"));
        assertEquals(share(1, "0.3333", 3, "0.5", "0.6667"), shareOf(p, "fields[0].other"));
        assertEquals(share(1, "0.3333", 1, "0.1667", "2"), shareOf(p, "fields[0].notSet"));
        // tags: members a 1, b 1, c 1, none 1 (c3); base a 2, b 2, c 1, none 2 (c3, c6). Top 1: a; other b + c
        assertEquals(List.of("a"), p.getList("fields[1].values.value"));
        assertEquals(share(1, "0.3333", 2, "0.3333", "1"), shareOf(p, "fields[1].values[0]"));
        assertEquals(share(2, "0.6667", 3, "0.5", "1.3333"), shareOf(p, "fields[1].other"));
        assertEquals(share(1, "0.3333", 2, "0.3333", "1"), shareOf(p, "fields[1].notSet"));
        // totalSpend of the members: 0, 60, 400 -> percentile_cont; bins of 50 from 0
        assertEquals("numeric", p.getString("fields[2].kind"));
        assertEquals(3, p.getInt("fields[2].numeric.count"));
        assertEquals(0, p.getInt("fields[2].numeric.notSet"));
        assertEquals(List.of("0", "30", "60", "230", "332", "400"), quantiles(p, "fields[2]"));
        assertEquals("153.3333", p.getString("fields[2].numeric.mean"));
        assertEquals("251.6667", p.getString("fields[2].numeric.baseMean"));
        assertEquals("0.6093", p.getString("fields[2].numeric.index"));
        List<String> bins = new ArrayList<>();
        for (int i = 0; i < 9; i++) bins.add((i * 50) + "-" + (i * 50 + 50) + ":" + (i == 0 || i == 1 || i == 8 ? 1 : 0));
        assertEquals(bins, histogram(p, "fields[2]"));
        // purchaseCount (integer): 0, 2, 3 -> whole-number bins of 1
        assertEquals(List.of("0", "1", "2", "2.5", "2.8", "3"), quantiles(p, "fields[3]"));
        assertEquals(List.of("0-1:1", "1-2:0", "2-3:1", "3-4:1"), histogram(p, "fields[3]"));
        assertEquals("1.6667", p.getString("fields[3].numeric.mean"));
        assertEquals("1.1667", p.getString("fields[3].numeric.baseMean"));
    }

    static String share(long count, String share, long baseCount, String baseShare, String index) {
        return count + " " + share + " " + baseCount + " " + baseShare + " " + index;
    }

    static String shareOf(JsonPath p, String at) {
        return p.getString(at + ".count") + " " + p.getString(at + ".share") + " " + p.getString(at + ".baseCount")
                + " " + p.getString(at + ".baseShare") + " " + p.getString(at + ".index");
    }

    static List<String> quantiles(JsonPath p, String at) {
        List<String> out = new ArrayList<>();
        for (String q : List.of("p0", "p25", "p50", "p75", "p90", "p100")) out.add(p.getString(at + ".numeric.quantiles." + q));
        return out;
    }

    static List<String> histogram(JsonPath p, String at) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> b : p.<Map<String, Object>>getList(at + ".numeric.histogram")) {
            out.add(b.get("from") + "-" + b.get("to") + ":" + b.get("count"));
        }
        return out;
    }

    @Test
    void profileDefaultsAndStaticSegments() {
        String k = seeded();
        JsonPath p = as(k).get("/segments/list/profile").then().statusCode(200).extract().jsonPath().using(DECIMALS);
        assertEquals("static", p.getString("source"));
        assertEquals(2, p.getInt("size"));
        assertEquals("1050", p.getString("rollups.revenue.segment")); // c2 50 + c4 1000
        assertEquals(List.of("region", "priceTier", "lifecycleStage", "tags", "rfm.segment", "activityStatus",
                "totalSpend", "purchaseCount"), p.getList("fields.field"));
        // region: c2 North, c4 South, 1 each; East has no member, so it is in other (0 members, 1 of the base)
        assertEquals(List.of("North", "South"), p.getList("fields[0].values.value"));
        assertEquals(share(0, "0", 1, "0.1667", "0"), shareOf(p, "fields[0].other"));
        assertEquals(share(0, "0", 1, "0.1667", "0"), shareOf(p, "fields[0].notSet"));
        // lifecycleStage: nobody has one
        assertEquals(List.of(), p.getList("fields[2].values"));
        assertEquals(share(2, "1", 6, "1", "1"), shareOf(p, "fields[2].notSet"));
        assertEquals("price tier", p.getString("fields[1].label"));
    }

    /**
     * The base's figures come from the whole base's groups and the members' from their own rows: a segment without
     * members still shows every value of the base (as other), the base's count and mean of a numeric field, and no
     * quantiles or bins.
     */
    @Test
    void profileOfASegmentWithoutMembersShowsTheBase() {
        String k = seeded();
        segment(k, "west", "West", Map.of("field", "region", "op", "eq", "value", "West"));
        JsonPath p = as(k).get("/segments/west/profile?fields=tags,totalSpend,purchaseCount").then().statusCode(200)
                .extract().jsonPath().using(DECIMALS);
        assertEquals(0, p.getInt("size"));
        assertEquals(6, p.getInt("baseSize"));
        assertEquals("0", p.getString("rollups.revenue.segment"));
        assertEquals("1510", p.getString("rollups.revenue.base"));
        // tags: base a 2, b 2, c 1 (values held), none 2 (c3, c6)
        assertEquals(List.of(), p.getList("fields[0].values"));
        assertEquals("0 5", p.getString("fields[0].other.count") + " " + p.getString("fields[0].other.baseCount"));
        assertEquals("2", p.getString("fields[0].notSet.baseCount"));
        assertEquals(0, p.getInt("fields[1].numeric.count"));
        assertEquals("251.6667", p.getString("fields[1].numeric.baseMean"));  // 1510 / 6
        assertEquals(null, p.getString("fields[1].numeric.mean"));
        assertEquals(List.of(), p.getList("fields[1].numeric.histogram"));
        assertEquals("1.1667", p.getString("fields[2].numeric.baseMean"));    // 7 / 6
    }

    @Test
    void profileParametersAreChecked() {
        String k = seeded();
        problem(as(k).get("/segments/vip/profile?fields=nope"), 422, "/problems/validation", "fields", "unknown_field");
        problem(as(k).get("/segments/vip/profile?fields=lastPurchaseAt"), 422, "/problems/validation", "fields", "not_profilable");
        problem(as(k).get("/segments/vip/profile?fields=region,region"), 422, "/problems/validation", "fields", "duplicate");
        problem(as(k).get("/segments/vip/profile?top=0"), 422, "/problems/validation", "top", "out_of_range");
        as(k).get("/segments/nope/profile").then().statusCode(404).contentType("application/problem+json");
    }

    // ------------------------------------------------------------------ overlap

    @Test
    void overlapOfEveryPair() {
        String k = seeded();
        JsonPath o = as(k).get("/segments/overlap?keys=vip,north,buyers,list").then().statusCode(200).extract().jsonPath().using(DECIMALS);
        assertEquals(List.of("vip", "north", "buyers", "list"), o.getList("segments.key"));
        assertEquals(List.of(3, 2, 4, 2), o.getList("segments.size"));
        assertEquals(List.of(true, true, true, true), o.getList("segments.current"));
        List<String> pairs = new ArrayList<>();
        for (Map<String, Object> pair : o.<Map<String, Object>>getList("pairs")) {
            pairs.add(pair.get("a") + "&" + pair.get("b") + " " + pair.get("intersection") + "/" + pair.get("union") + " "
                    + pair.get("jaccard") + " " + pair.get("shareOfA") + " " + pair.get("shareOfB"));
        }
        assertEquals(List.of(
                "vip&north 1/4 0.25 0.3333 0.5",       // {c1}
                "vip&buyers 2/5 0.4 0.6667 0.5",       // {c1, c5}
                "vip&list 0/5 0 0 0",                  // {}
                "north&buyers 2/4 0.5 1 0.5",          // {c1, c2}
                "north&list 1/3 0.3333 0.5 0.5",       // {c2}
                "buyers&list 2/4 0.5 0.5 1"), pairs);  // {c2, c4}
        // named in another order: the same sizes and intersections, in that order
        JsonPath reversed = as(k).get("/segments/overlap?keys=list,buyers,north,vip").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of(2, 4, 2, 3), reversed.getList("segments.size"));
        assertEquals(List.of("list&buyers 2", "list&north 1", "list&vip 0", "buyers&north 2", "buyers&vip 2", "north&vip 1"),
                reversed.<Map<String, Object>>getList("pairs").stream()
                        .map(p -> p.get("a") + "&" + p.get("b") + " " + p.get("intersection")).toList());
        // the parameter may be repeated; /segments/overlap does not hide /segments/{key}
        as(k).get("/segments/overlap?keys=north&keys=list").then().statusCode(200).body("pairs[0].intersection", equalTo(1));
        as(k).get("/segments/vip").then().statusCode(200).body("key", equalTo("vip"));
        problem(as(k).body(Map.of("key", "overlap", "name", "x", "rule", Map.of("field", "region", "op", "isSet")))
                .post("/segments"), 422, "/problems/validation", "/key", "reserved");
    }

    @Test
    void overlapParametersAreChecked() {
        String k = seeded();
        problem(as(k).get("/segments/overlap?keys=vip"), 422, "/problems/validation", "keys", "too_few");
        problem(as(k).get("/segments/overlap"), 422, "/problems/validation", "keys", "too_few");
        problem(as(k).get("/segments/overlap?keys=vip,north,vip"), 422, "/problems/validation", "keys/2", "duplicate");
        problem(as(k).get("/segments/overlap?keys=vip,nope"), 422, "/problems/validation", "keys/1", "unknown_segment");
        StringBuilder many = new StringBuilder("vip");
        for (int i = 0; i < 30; i++) many.append(",k").append(i);
        problem(as(k).get("/segments/overlap?keys=" + many), 422, "/problems/validation", "keys", "too_many");
    }

    // ------------------------------------------------------------------ effectiveness

    /**
     * Segment "engaged" (tags include "engaged" and region is not "West"), its feed moved onto this timeline (every
     * customer created 2025-01-01), period [2025-03-01, 2025-04-01), window P30D:
     * <pre>
     * e1 entered 03-05, exited 03-15 (data_write)  purchases 03-06 100 (in), 04-10 999 (after its window)
     * e2 entered 03-10, exited 03-12 12:00         purchases 03-09 50 (before entering), 04-08 23:00 20 (in)
     * e3 entered 03-20, exited 03-25 (rule_edit)   no purchases
     * e4 entered 03-25, still a member             purchases 04-01 200.5, 04-02 0.5 (in)
     * e5 entered 02-01, still a member             (before the period: not entered, but a member during it)
     * b1, b2 never members                          b1: 03-15 40 (in the baseline window), 04-09 00:00 1 (its end, out)
     * </pre>
     * Entered 4, converted 3 (e1, e2, e4): 0.75; revenue 100 + 20 + 200.5 + 0.5 = 321 over 4 purchases, 80.25 per
     * member. Baseline: the median entry (percentile_disc) is 03-10, window [03-10, 04-09); customers b1, b2 (e1-e5
     * were members in the period): converted 1 (0.5), revenue 40, 20 per customer; lifts 1.5 and 4.0125. Stays: 4,
     * completed 3 (2.5, 5 and 10 days: median 5 days, mean 17.5 / 3 = 5.8333 days), 1 still going; exits data_write
     * 2, rule_edit 1.
     */
    @Test
    void effectivenessOfThoseWhoEntered() {
        String k = Api.newTenant();
        Map<String, Long> ids = new HashMap<>();
        for (String e : List.of("e1", "e2", "e3", "e4", "e5", "b1", "b2")) {
            ids.put(e, Api.customer(k, e, e.equals("e3") ? Map.of("region", "West") : Map.of()));
        }
        segment(k, "engaged", "Engaged", Map.of("field", "tags", "op", "hasAny", "value", List.of("engaged")));
        for (String e : List.of("e5", "e1", "e2", "e3", "e4")) tags(k, ids.get(e), List.of("engaged"));
        tags(k, ids.get("e2"), List.of());
        tags(k, ids.get("e1"), List.of());
        as(k).body(Map.of("name", "Engaged", "rule", Map.of("and", List.of(
                        Map.of("field", "tags", "op", "hasAny", "value", List.of("engaged")),
                        Map.of("field", "region", "op", "neq", "value", "West")))))
                .put("/segments/engaged").then().statusCode(200);
        assertEquals(List.of("entered:e5:data_write", "entered:e1:data_write", "entered:e2:data_write",
                "entered:e3:data_write", "entered:e4:data_write", "exited:e2:data_write", "exited:e1:data_write",
                "exited:e3:rule_edit"), feed(k));
        long segmentId = as(k).get("/segments/engaged").then().extract().jsonPath().using(DECIMALS).getLong("id");
        Object[][] timeline = {
                {"e5", "entered", "2025-02-01T00:00:00Z"},
                {"e1", "entered", "2025-03-05T00:00:00Z"}, {"e1", "exited", "2025-03-15T00:00:00Z"},
                {"e2", "entered", "2025-03-10T00:00:00Z"}, {"e2", "exited", "2025-03-12T12:00:00Z"},
                {"e3", "entered", "2025-03-20T00:00:00Z"}, {"e3", "exited", "2025-03-25T00:00:00Z"},
                {"e4", "entered", "2025-03-25T00:00:00Z"}};
        for (Object[] t : timeline) {
            pool.preparedQuery("update membership_change set at = $4 where segment_id = $1 and customer_external_id = $2"
                            + " and kind = $3").execute(Tuple.of(segmentId, t[0], t[1], OffsetDateTime.parse((String) t[2])))
                    .await().atMost(Duration.ofSeconds(10));
        }
        pool.preparedQuery("update customer set created_at = '2025-01-01T00:00:00Z' where tenant_id ="
                        + " (select tenant_id from segment where id = $1)").execute(Tuple.of(segmentId))
                .await().atMost(Duration.ofSeconds(10));
        purchase(k, "e1", "x1", "2025-03-06T00:00:00Z", "100");
        purchase(k, "e1", "x2", "2025-04-10T00:00:00Z", "999");
        purchase(k, "e2", "x3", "2025-03-09T00:00:00Z", "50");
        purchase(k, "e2", "x4", "2025-04-08T23:00:00Z", "20");
        purchase(k, "e4", "x5", "2025-04-01T00:00:00Z", "200.5");
        purchase(k, "e4", "x6", "2025-04-02T00:00:00Z", "0.5");
        purchase(k, "b1", "x7", "2025-03-15T00:00:00Z", "40");
        purchase(k, "b1", "x8", "2025-04-09T00:00:00Z", "1");

        JsonPath e = as(k).get("/segments/engaged/effectiveness?from=2025-03-01T00:00:00Z&to=2025-04-01T00:00:00Z&window=P30D")
                .then().statusCode(200).extract().jsonPath().using(DECIMALS);
        assertEquals("P30D", e.getString("window"));
        assertEquals(4, e.getInt("entered"));
        assertEquals("3 0.75 321 4 80.25 0", e.getString("conversion.converted") + " " + e.getString("conversion.rate")
                + " " + e.getString("conversion.revenue") + " " + e.getString("conversion.purchases") + " "
                + e.getString("conversion.revenuePerMember") + " " + e.getString("conversion.openWindows"));
        assertEquals("2 1 0.5 40 1 20 1.5 4.0125", e.getString("baseline.customers") + " " + e.getString("baseline.converted")
                + " " + e.getString("baseline.rate") + " " + e.getString("baseline.revenue") + " "
                + e.getString("baseline.purchases") + " " + e.getString("baseline.revenuePerCustomer") + " "
                + e.getString("baseline.conversionLift") + " " + e.getString("baseline.revenueLift"));
        assertEquals("2025-03-10T00:00Z", OffsetDateTime.parse(e.getString("baseline.windowFrom")).toString());
        assertEquals("2025-04-09T00:00Z", OffsetDateTime.parse(e.getString("baseline.windowTo")).toString());
        assertEquals("4 3 1 PT120H PT140H 5 5.8333", e.getString("tenure.stays") + " " + e.getString("tenure.completed")
                + " " + e.getString("tenure.stillMembers") + " " + e.getString("tenure.median") + " "
                + e.getString("tenure.mean") + " " + e.getString("tenure.medianDays") + " " + e.getString("tenure.meanDays"));
        assertEquals(List.of("data_write", "rule_edit"), e.getList("exits.cause"));
        assertEquals(List.of(2, 1), e.getList("exits.count"));

        // a window so long that none has ended: every purchase after entering counts, and all windows are open
        JsonPath open = as(k).get("/segments/engaged/effectiveness?from=2025-03-01T00:00:00Z&to=2025-04-01T00:00:00Z&window=P3000D")
                .then().statusCode(200).extract().jsonPath().using(DECIMALS);
        assertEquals("3 1320 4", open.getString("conversion.converted") + " " + open.getString("conversion.revenue")
                + " " + open.getString("conversion.openWindows"));

        // a period before anyone entered: nothing entered, the baseline window starts at from
        JsonPath none = as(k).get("/segments/engaged/effectiveness?from=2025-01-10T00:00:00Z&to=2025-01-20T00:00:00Z")
                .then().statusCode(200).extract().jsonPath().using(DECIMALS);
        assertEquals(0, none.getInt("entered"));
        assertEquals(null, none.getString("conversion.rate"));
        assertEquals("2025-01-10T00:00Z", OffsetDateTime.parse(none.getString("baseline.windowFrom")).toString());
        assertEquals(7, none.getInt("baseline.customers")); // nobody was a member in January

        problem(as(k).get("/segments/engaged/effectiveness?window=P0D"), 422, "/problems/validation", "window", "out_of_range");
        problem(as(k).get("/segments/engaged/effectiveness?window=30d"), 422, "/problems/validation", "window", "invalid_duration");
        problem(as(k).get("/segments/engaged/effectiveness?from=2025-04-01T00:00:00Z&to=2025-03-01T00:00:00Z"), 422,
                "/problems/validation", "from", "invalid_range");
        problem(as(k).get("/segments/engaged/effectiveness?from=yesterday"), 422, "/problems/validation", "from", "invalid_date");
    }

    static void tags(String key, long id, List<String> tags) {
        as(key).body(Map.of("tags", tags)).contentType("application/merge-patch+json")
                .patch("/customers/" + id).then().statusCode(200);
    }

    static List<String> feed(String key) {
        List<String> out = new ArrayList<>();
        for (Map<String, Object> c : as(key).get("/segments/engaged/changes?limit=1000").then().statusCode(200)
                .extract().jsonPath().using(DECIMALS).<Map<String, Object>>getList("items")) {
            out.add(c.get("kind") + ":" + c.get("customerExternalId") + ":" + c.get("cause"));
        }
        return out;
    }

    // ------------------------------------------------------------------ rule in words

    @Test
    void ruleInWords() {
        String k = seeded();
        as(k).accept("text/plain").get("/segments/vip/rule?format=text").then().statusCode(200)
                .contentType(startsWith("text/plain")).body(equalTo("price tier is \"vip\""));
        // without format, a client that accepts only text gets the sentence; one that accepts JSON the rule
        as(k).accept("text/plain").get("/segments/north/rule").then().statusCode(200).body(equalTo("region is \"North\""));
        as(k).get("/segments/north/rule").then().statusCode(200).body("field", equalTo("region"));
        as(k).get("/segments/north/rule?format=jsonlogic").then().statusCode(200).contentType(startsWith("application/json"));
        as(k).accept("application/json").get("/segments/vip/rule?format=text").then().statusCode(406)
                .contentType("application/problem+json").body("type", equalTo("/problems/not-acceptable"));
        problem(as(k).get("/segments/vip/rule?format=pdf"), 422, "/problems/validation", "format", "invalid_value");
        as(k).accept("text/plain").get("/segments/list/rule?format=text").then().statusCode(409)
                .contentType("application/problem+json");

        // an unsaved rule: its sentence alone, or with a preview
        as(k).body("{\"rule\": " + RuleExamples.CANONICAL + "}").post("/rules/text")
                .then().statusCode(200).body("text", equalTo("bought in the last 90 days and spent more than 1,000 in the "
                        + "last 365 days and had at least 2 consultations before their last purchase"));
        as(k).body(Map.of("rule", Map.of("and", List.of(Map.of("segment", "vip"),
                        Map.of("not", Map.of("segment", "list"))))))
                .post("/segments/preview").then().statusCode(200)
                .body("text", equalTo("member of segment \"VIP customers\" and not a member of segment \"A list\""))
                .body("count", equalTo(3));
        as(k).body(Map.of("rule", Map.of("combinator", "and", "rules", List.of(Map.of("field", "region", "operator", "=",
                        "value", "North"))), "ruleFormat", "querybuilder")).post("/rules/text").then().statusCode(200)
                .body("text", equalTo("region is \"North\""));
        as(k).body(Map.of("rule", Map.of("field", "nope", "op", "eq", "value", 1))).post("/rules/text").then().statusCode(422)
                .body("type", equalTo("/problems/invalid-rule")).body("errors[0].pointer", equalTo("/field"));
        as(k).body(Map.of()).post("/rules/text").then().statusCode(422).body("errors[0].pointer", equalTo("/rule"));
    }

    // ------------------------------------------------------------------ GraphQL and tenants

    @Test
    void graphQL() {
        String k = seeded();
        JsonPath g = GraphQL.query(k, """
                        { segment(key: "vip") { ruleText
                            profile(fields: ["region"], top: 1) { size share source fields { field values { value count } notSet { count } } }
                            effectiveness(from: "2025-01-01T00:00:00Z", to: "2025-02-01T00:00:00Z") { entered window tenure { stays } } }
                          segmentOverlap(keys: ["vip", "north"]) { segments { key size } pairs { a b intersection jaccard } }
                          ruleText(rule: {field: "region", op: "in", value: ["North", "South"]}) }""")
                .statusCode(200).body("errors", nullValue()).extract().jsonPath().using(DECIMALS);
        assertEquals("price tier is \"vip\"", g.getString("data.segment.ruleText"));
        assertEquals(3, g.getInt("data.segment.profile.size"));
        assertEquals("0.5", g.getString("data.segment.profile.share"));
        assertEquals(List.of("North"), g.getList("data.segment.profile.fields[0].values.value"));
        assertEquals(1, g.getInt("data.segment.profile.fields[0].notSet.count"));
        assertEquals(0, g.getInt("data.segment.effectiveness.entered"));
        assertEquals("P30D", g.getString("data.segment.effectiveness.window"));
        assertEquals(List.of(3, 2), g.getList("data.segmentOverlap.segments.size"));
        assertEquals(1, g.getInt("data.segmentOverlap.pairs[0].intersection"));
        assertEquals("region is one of \"North\" or \"South\"", g.getString("data.ruleText"));
        GraphQL.query(k, "{ segmentOverlap(keys: [\"vip\", \"vip\"]) { pairs { a } } }").statusCode(200)
                .body("errors[0].extensions.code", equalTo("duplicate")).body("errors[0].extensions.pointer", equalTo("keys/1"));
    }

    @Test
    void tenantsSeeOnlyTheirOwnSegments() {
        seeded();
        String other = Api.newTenant();
        Api.customer(other, "o1", Map.of("priceTier", "vip"));
        segment(other, "vip", "Theirs", Map.of("field", "priceTier", "op", "eq", "value", "vip"));
        as(other).get("/segments/vip/profile").then().statusCode(200).body("size", equalTo(1)).body("baseSize", equalTo(1))
                .body("rollups.revenue.base", equalTo(0));
        as(other).get("/segments/north/profile").then().statusCode(404);
        as(other).get("/segments/north/effectiveness").then().statusCode(404);
        problem(as(other).get("/segments/overlap?keys=vip,north"), 422, "/problems/validation", "keys/1", "unknown_segment");
        as(other).accept("text/plain").get("/segments/north/rule?format=text").then().statusCode(404);
    }
}
