package dev.segments.segment;

import dev.segments.segment.service.MembershipService;
import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Materialized membership follows writes, rule edits, static edits and time; the feed records each move once. */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class LiveMembershipTest {

    static final OffsetDateTime NOW = OffsetDateTime.now(ZoneOffset.UTC);

    @Inject
    Pool pool;

    @Inject
    MembershipService membership;

    private static void segment(String key, String segmentKey, Map<String, ?> rule) {
        as(key).body(Map.of("key", segmentKey, "name", segmentKey, "rule", rule)).post("/segments").then().statusCode(201);
    }

    /** The feed of one segment as "kind:externalId:cause" strings, in order. */
    private static List<String> feed(String key, String segmentKey) {
        JsonPath page = as(key).get("/segments/" + segmentKey + "/changes?limit=1000").then().statusCode(200).extract().jsonPath();
        List<String> out = new ArrayList<>();
        for (Map<String, Object> c : page.<Map<String, Object>>getList("items")) {
            out.add(c.get("kind") + ":" + c.get("customerExternalId") + ":" + c.get("cause"));
        }
        return out;
    }

    private long segmentId(String key, String segmentKey) {
        return as(key).get("/segments/" + segmentKey).then().extract().jsonPath().getLong("id");
    }

    private Set<Long> materialized(long segmentId) {
        Set<Long> ids = new TreeSet<>();
        pool.preparedQuery("select customer_id from segment_membership where segment_id = $1").execute(Tuple.of(segmentId))
                .await().atMost(Duration.ofSeconds(30)).forEach(r -> ids.add(r.getLong(0)));
        return ids;
    }

    /** The rule evaluated now (asOf: without it a saved segment's members are read from the materialization). */
    private static Set<Long> evaluated(String key, String segmentKey) {
        return new TreeSet<>(as(key).queryParam("asOf", OffsetDateTime.now(ZoneOffset.UTC).toString())
                .get("/segments/" + segmentKey + "/members?limit=1000&fields=id").then().statusCode(200)
                .extract().jsonPath().getList("items.id", Long.class));
    }

    private static void purchase(String key, String customer, String externalId, OffsetDateTime at, String amount) {
        as(key).body(Map.of("customerExternalId", customer, "externalId", externalId, "occurredAt", at.toString(),
                "amount", amount)).post("/purchases").then().statusCode(201);
    }

    @Test
    void profileWritesMoveCustomersInAndOutWithinTheRequest() {
        String key = Api.newTenant();
        Api.customer(key, "anna", Map.of("region", "Moscow"));
        Api.customer(key, "boris", Map.of("region", "Kazan"));
        segment(key, "moscow", Map.of("field", "region", "op", "eq", "value", "Moscow"));
        assertEquals(List.of("entered:anna:rule_edit"), feed(key, "moscow"));

        as(key).body(Map.of("region", "Moscow")).put("/customers/by-external-id/boris").then().statusCode(200);
        long annaId = as(key).get("/customers/by-external-id/anna").then().extract().jsonPath().getLong("id");
        as(key).contentType("application/merge-patch+json").body("{\"region\": \"Tver\"}").patch("/customers/" + annaId)
                .then().statusCode(200);
        Api.customer(key, "clara", Map.of("region", "Moscow"));
        as(key).delete("/customers/" + as(key).get("/customers/by-external-id/clara").then().extract().jsonPath().getLong("id"))
                .then().statusCode(204);

        assertEquals(List.of("entered:anna:rule_edit", "entered:boris:data_write", "exited:anna:data_write",
                "entered:clara:data_write", "exited:clara:data_write"), feed(key, "moscow"));
        long id = segmentId(key, "moscow");
        assertEquals(evaluated(key, "moscow"), materialized(id));
        as(key).get("/segments/moscow/freshness").then().statusCode(200)
                .body("memberCount", equalTo(1)).body("lastEvaluatedAt", notNullValue()).body("driftInterval", equalTo(null));
    }

    /**
     * A new customer is evaluated for every dynamic segment, not only those that read the profile: with no purchases
     * it holds {@code lastPurchaseAt notWithin P30D} and {@code not (count of purchases gte 1)}, whichever way it
     * was created (POST, PUT by external id, the NDJSON import); an update of the profile leaves those alone.
     */
    @Test
    void aNewCustomerEntersTheSegmentsThatHoldWithoutActivity() {
        String key = Api.newTenant();
        segment(key, "lapsed", Map.of("field", "lastPurchaseAt", "op", "notWithin", "value", "P30D"));
        segment(key, "never-bought", Map.of("not", Map.of("aggregate", "count", "of", "purchases", "op", "gte",
                "value", 1)));
        Api.customer(key, "posted", Map.of("name", "Posted"));
        as(key).body(Map.of("name", "Put")).put("/customers/by-external-id/put").then().statusCode(201);
        io.restassured.RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson")
                .body("{\"externalId\": \"imported\", \"name\": \"Imported\"}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .post("/customers/import").then().statusCode(200).body("created", equalTo(1));
        as(key).body(Map.of("name", "Put again")).put("/customers/by-external-id/put").then().statusCode(200);
        for (String s : List.of("lapsed", "never-bought")) {
            Set<Long> members = materialized(segmentId(key, s));
            assertEquals(3, members.size(), s + ": every new customer is a member");
            assertEquals(evaluated(key, s), members, s);
            assertEquals(List.of("entered:posted:data_write", "entered:put:data_write", "entered:imported:data_write"),
                    feed(key, s), s);
        }
    }

    @Test
    void activityRuleEditsAndStaticEditsAreRecordedWithTheirCause() {
        String key = Api.newTenant();
        Api.customer(key, "a", Map.of());
        Api.customer(key, "b", Map.of());
        segment(key, "spenders", Map.of("aggregate", "sum", "of", "purchases", "field", "amount", "op", "gt", "value", 100));
        purchase(key, "a", "p1", NOW.minusDays(3), "150");
        long p1 = as(key).get("/customers/by-external-id/a").then().extract().jsonPath().getLong("id");
        long purchaseId = as(key).get("/customers/" + p1 + "/purchases").then().extract().jsonPath().getLong("items[0].id");
        as(key).delete("/purchases/" + purchaseId).then().statusCode(204);
        purchase(key, "b", "p2", NOW.minusDays(2), "101");
        // the rule changes: b (101) leaves, nobody enters
        as(key).body(Map.of("name", "big", "rule", Map.of("field", "totalSpend", "op", "gte", "value", 200)))
                .put("/segments/spenders").then().statusCode(200);
        assertEquals(List.of("entered:a:data_write", "exited:a:data_write", "entered:b:data_write", "exited:b:rule_edit"),
                feed(key, "spenders"));

        // static segments: edits are changes too, and a dynamic segment referring to one follows it
        as(key).body(Map.of("key", "picked", "name", "picked", "kind", "static")).post("/segments").then().statusCode(201);
        segment(key, "picked-spenders", Map.of("or", List.of(Map.of("segment", "picked"), Map.of("segment", "spenders"))));
        as(key).body(Map.of("externalIds", List.of("a"))).post("/segments/picked/members").then().statusCode(200);
        as(key).body(Map.of("externalIds", List.of("a"))).post("/segments/picked/members/remove").then().statusCode(200);
        assertEquals(List.of("entered:a:static_edit", "exited:a:static_edit"), feed(key, "picked"));
        assertEquals(List.of("entered:a:static_edit", "exited:a:static_edit"), feed(key, "picked-spenders"));
    }

    @Test
    void timeAloneMovesMembersAtTheirDueInstant() {
        String key = Api.newTenant();
        Api.customer(key, "recent", Map.of());
        purchase(key, "recent", "p", NOW.minusHours(23), "10");
        segment(key, "bought-today", Map.of("field", "lastPurchaseAt", "op", "within", "value", "P1D"));
        assertEquals(List.of("entered:recent:rule_edit"), feed(key, "bought-today"));
        // the full refresh is a backstop: a thousandth of the window, clamped to 6 h .. 24 h
        as(key).get("/segments/bought-today/freshness").then().body("driftInterval", equalTo("PT6H"))
                .body("nextRefreshAt", notNullValue());

        // her due instant: the first instant at which lastPurchaseAt >= now - P1D is false
        long id = as(key).get("/customers/by-external-id/recent").then().extract().jsonPath().getLong("id");
        OffsetDateTime due = pool.preparedQuery("select d.due_at from customer_due d join customer c on c.id = d.customer_id"
                        + " where d.customer_id = $1 and d.due_at = c.last_purchase_at + interval '1 day 1 microsecond'")
                .execute(Tuple.of(id)).await().atMost(Duration.ofSeconds(30)).iterator().next().getOffsetDateTime(0);

        membership.tick(due.minusNanos(1000)).await().atMost(Duration.ofSeconds(30)); // one microsecond early
        membership.refreshDue(NOW.plusHours(2)).await().atMost(Duration.ofSeconds(30)); // the backstop is not due
        assertEquals(1, feed(key, "bought-today").size());
        membership.tick(due).await().atMost(Duration.ofSeconds(30));
        assertEquals(List.of("entered:recent:rule_edit", "exited:recent:time_drift"), feed(key, "bought-today"));
        // nothing else of hers reads the clock: no instant left
        assertEquals(0, pool.preparedQuery("select count(*) from customer_due where customer_id = $1").execute(Tuple.of(id))
                .await().atMost(Duration.ofSeconds(30)).iterator().next().getLong(0));

        // on demand, at the real now: the customer is back (the simulated clock moved past real time)
        as(key).post("/segments/bought-today/refresh").then().statusCode(200)
                .body("entered", equalTo(1)).body("exited", equalTo(0)).body("freshness.memberCount", equalTo(1));
        assertEquals("entered:recent:refresh", feed(key, "bought-today").get(2));
        as(key).body(Map.of("key", "st", "name", "st", "kind", "static")).post("/segments").then().statusCode(201);
        as(key).post("/segments/st/refresh").then().statusCode(409);
    }

    /**
     * POST /segments/refresh evaluates every dynamic segment in one shared evaluation (issue 17, shared passes): a
     * materialization gone stale behind the service's back (rows deleted, a profile changed in SQL) is repaired in
     * every segment at once, each change in the feed with cause refresh, counts and due instants recomputed; static
     * segments are not evaluated, and a segment follows the one it references.
     */
    @Test
    void refreshingAllSegmentsRepairsEachInOneSharedEvaluation() {
        String key = Api.newTenant();
        long a = Api.customer(key, "a", Map.of("region", "North"));
        long b = Api.customer(key, "b", Map.of("region", "South"));
        long c = Api.customer(key, "c", Map.of("region", "North", "tags", List.of("vip")));
        purchase(key, "a", "pa", NOW.minusDays(3), "150");
        purchase(key, "b", "pb", NOW.minusDays(5), "300");
        purchase(key, "c", "pc", NOW.minusDays(40), "500");
        as(key).post("/segments/refresh").then().statusCode(200).body("", hasSize(0)); // no segment yet
        segment(key, "spenders", Map.of("aggregate", "sum", "of", "purchases", "field", "amount", "within", "P30D",
                "op", "gt", "value", 100));
        segment(key, "north-spenders", Map.of("and", List.of(Map.of("segment", "spenders"),
                Map.of("field", "region", "op", "eq", "value", "North"))));
        segment(key, "vips", Map.of("field", "tags", "op", "hasAny", "value", List.of("vip")));
        as(key).body(Map.of("key", "picked", "name", "picked", "kind", "static")).post("/segments").then().statusCode(201);
        long spenders = segmentId(key, "spenders");
        assertEquals(Set.of(a, b), materialized(spenders));

        // behind the service's back: spenders' rows lost, b moved North, c's tag gone
        pool.preparedQuery("delete from segment_membership where segment_id = $1").execute(Tuple.of(spenders))
                .await().atMost(Duration.ofSeconds(30));
        pool.preparedQuery("update customer set region = 'North' where id = $1").execute(Tuple.of(b))
                .await().atMost(Duration.ofSeconds(30));
        pool.preparedQuery("update customer set tags = '{}' where id = $1").execute(Tuple.of(c))
                .await().atMost(Duration.ofSeconds(30));

        var results = as(key).post("/segments/refresh").then().statusCode(200).extract().jsonPath();
        assertEquals(List.of("spenders", "north-spenders", "vips"), results.getList("segment"));
        assertEquals(List.of(2, 1, 0), results.getList("entered"));
        assertEquals(List.of(0, 0, 1), results.getList("exited"));
        assertEquals(List.of(2, 2, 0), results.getList("freshness.memberCount"));
        for (String s : List.of("spenders", "north-spenders", "vips")) {
            assertEquals(evaluated(key, s), materialized(segmentId(key, s)), s);
        }
        assertEquals(List.of("entered:a:refresh", "entered:b:refresh"),
                sorted(feed(key, "spenders").subList(2, 4)));
        assertEquals("entered:b:refresh", feed(key, "north-spenders").get(1));
        assertEquals("exited:c:refresh", feed(key, "vips").get(1));
        // the due column recomputed: a and b leave spenders when their purchases leave the 30 days
        assertEquals(2L, pool.preparedQuery("select count(*) from customer_due where customer_id = any($1)")
                .execute(Tuple.of(new Long[]{a, b})).await().atMost(Duration.ofSeconds(30)).iterator().next().getLong(0));
        // nothing stale: a second refresh changes nothing
        as(key).post("/segments/refresh").then().statusCode(200).body("entered", equalTo(List.of(0, 0, 0)))
                .body("exited", equalTo(List.of(0, 0, 0)));
    }

    /**
     * A windowed aggregate's due instant is exact: the instant its oldest row still in the window leaves it
     * ({@code occurredAt + D + 1 µs}), from the write's per-customer update and from the whole tenant's recompute
     * (a refresh of every segment), for a fixed duration (the rows compared with {@code now - D}) and a calendar
     * one. (The property test cannot see an instant that is late for one leaf: its customers are due for other
     * leaves often enough that the tick evaluates every segment.)
     */
    @Test
    void aWindowedAggregatesDueInstantIsItsOldestRowInTheWindowLeavingIt() {
        String key = Api.newTenant();
        long id = Api.customer(key, "w", Map.of());
        OffsetDateTime older = NOW.minusDays(3).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        purchase(key, "w", "old", NOW.minusDays(30), "10"); // outside both windows
        purchase(key, "w", "p1", older, "10");
        purchase(key, "w", "p2", older.plusDays(1), "10");
        Map<String, ?> twoIn7Days = Map.of("aggregate", "count", "of", "purchases", "where",
                Map.of("field", "amount", "op", "gte", "value", 5), "within", "P7D", "op", "gte", "value", 2);
        segment(key, "two-in-7d", twoIn7Days);
        purchase(key, "w", "p3", NOW.minusDays(20), "1"); // a write: the per-customer recompute
        OffsetDateTime expected = older.plusDays(7).plusNanos(1000);
        assertEquals(expected.toInstant(), dueAt(id).toInstant(), "after a write");
        as(key).post("/segments/refresh").then().statusCode(200);
        assertEquals(expected.toInstant(), dueAt(id).toInstant(), "after the whole tenant's recompute");
        // a calendar window: candidates at the midnights around v + P1M (the day is clamped near a month's end) for
        // every row still in it, so possibly earlier (an early instant costs one evaluation), never later
        segment(key, "two-in-1m", Map.of("aggregate", "count", "of", "purchases", "where",
                Map.of("field", "amount", "op", "gte", "value", 5), "within", "P1M", "op", "gte", "value", 2));
        as(key).post("/segments/refresh").then().statusCode(200);
        OffsetDateTime both = dueAt(id);
        assertTrue(!both.isAfter(expected) && both.isAfter(NOW), "the earlier of the two rules' instants: " + both);
    }

    private OffsetDateTime dueAt(long customerId) {
        return pool.preparedQuery("select due_at from customer_due where customer_id = $1").execute(Tuple.of(customerId))
                .await().atMost(Duration.ofSeconds(30)).iterator().next().getOffsetDateTime(0);
    }

    /** A customer's due row: its instant, the segments it is the instant of (null: all) and the others' least. */
    private List<Object> dueSegments(long customerId) {
        var rows = pool.preparedQuery("select due_at, segments, others_due_at from customer_due where customer_id = $1")
                .execute(Tuple.of(customerId)).await().atMost(Duration.ofSeconds(30));
        if (rows.size() == 0) return List.of();
        var r = rows.iterator().next();
        Long[] segments = r.getArrayOfLongs(1);
        return java.util.Arrays.asList(r.getOffsetDateTime(0), segments == null ? null : new TreeSet<>(List.of(segments)),
                r.getOffsetDateTime(2));
    }

    /**
     * The tick evaluates a due customer only for the segments its instant is the instant of (those within 10 minutes
     * of it); once another segment's instant has passed too, for every clock-dependent segment. Rules added merge
     * into the row; a write that finds the instant passed keeps it and names every segment.
     */
    @Test
    void theTickEvaluatesACustomerForTheSegmentsItIsDueFor() {
        String key = Api.newTenant();
        long id = Api.customer(key, "c", Map.of());
        OffsetDateTime bought = NOW.minusHours(23).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        purchase(key, "c", "p", bought, "10");
        segment(key, "day", Map.of("field", "lastPurchaseAt", "op", "within", "value", "P1D"));
        segment(key, "week", Map.of("field", "lastPurchaseAt", "op", "within", "value", "P7D"));
        long day = segmentId(key, "day"), week = segmentId(key, "week");
        OffsetDateTime dayDue = bought.plusDays(1).plusNanos(1000), weekDue = bought.plusDays(7).plusNanos(1000);
        assertEquals(java.util.Arrays.asList(dayDue, Set.of(day), weekDue), dueSegments(id));

        // a segment whose instant is 5 minutes after the day's joins its segments; the week's bound stays
        segment(key, "day5", Map.of("field", "lastPurchaseAt", "op", "within", "value", "PT24H5M"));
        long day5 = segmentId(key, "day5");
        OffsetDateTime day5Due = bought.plusHours(24).plusMinutes(5).plusNanos(1000);
        assertEquals(java.util.Arrays.asList(dayDue, new TreeSet<>(Set.of(day, day5)), weekDue), dueSegments(id));

        membership.tick(dayDue).await().atMost(Duration.ofSeconds(30));
        assertEquals(List.of("entered:c:rule_edit", "exited:c:time_drift"), feed(key, "day"));
        assertEquals(List.of("entered:c:rule_edit"), feed(key, "day5"));
        assertEquals(java.util.Arrays.asList(day5Due, Set.of(day5), weekDue), dueSegments(id));

        // the tick comes after the week's instant too (the service was down): every segment is evaluated
        membership.tick(weekDue).await().atMost(Duration.ofSeconds(30));
        assertEquals(List.of("entered:c:rule_edit", "exited:c:time_drift"), feed(key, "day5"));
        assertEquals(List.of("entered:c:rule_edit", "exited:c:time_drift"), feed(key, "week"));
        assertEquals(List.of(), dueSegments(id));

        // a write of a customer whose instant has passed, before the tick: the instant stays, every segment is due
        purchase(key, "c", "p2", NOW.minusHours(1), "10");
        OffsetDateTime passed = OffsetDateTime.now(ZoneOffset.UTC).minusMinutes(1).truncatedTo(java.time.temporal.ChronoUnit.MICROS);
        pool.preparedQuery("update customer_due set due_at = $2 where customer_id = $1").execute(Tuple.of(id, passed))
                .await().atMost(Duration.ofSeconds(30));
        OffsetDateTime last = NOW.minusMinutes(30).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        purchase(key, "c", "p3", last, "10");
        assertEquals(java.util.Arrays.asList(passed, null, null), dueSegments(id));
        membership.tick(OffsetDateTime.now(ZoneOffset.UTC)).await().atMost(Duration.ofSeconds(30));
        assertEquals(java.util.Arrays.asList(last.plusDays(1).plusNanos(1000), new TreeSet<>(Set.of(day, day5)),
                last.plusDays(7).plusNanos(1000)), dueSegments(id));
        for (String s : List.of("day", "day5", "week")) {
            assertEquals(Set.of(id), materialized(segmentId(key, s)), s);
        }
    }

    /** A customer's due row: its instant and the transaction that last wrote it (xmin). */
    private List<Object> dueRow(long customerId) {
        var rows = pool.preparedQuery("select due_at, xmin::text from customer_due where customer_id = $1")
                .execute(Tuple.of(customerId)).await().atMost(Duration.ofSeconds(30));
        if (rows.size() == 0) return List.of();
        var r = rows.iterator().next();
        return List.of(r.getOffsetDateTime(0), r.getString(1));
    }

    /**
     * The scheduler's delay (segments.membership.time-events-delay): a tenant's due instants wait until the oldest
     * is that old, then every customer due at the tick's now is taken, the younger ones too, in one batch.
     */
    @Test
    void theTickWaitsForTheOldestDueInstantToBeDelayOldThenTakesEveryDueCustomer() {
        String key = Api.newTenant();
        long first = Api.customer(key, "first", Map.of());
        long second = Api.customer(key, "second", Map.of());
        purchase(key, "first", "p1", NOW.minusDays(10), "10");
        purchase(key, "second", "p2", NOW.minusDays(10).plusSeconds(2), "10");
        segment(key, "month", Map.of("field", "lastPurchaseAt", "op", "within", "value", "P30D"));
        OffsetDateTime due = (OffsetDateTime) dueRow(first).get(0);
        assertEquals(due.plusSeconds(2), dueRow(second).get(0));
        Duration delay = Duration.ofSeconds(3);

        membership.tick(due.plusSeconds(2), delay).await().atMost(Duration.ofSeconds(30)); // the oldest is 2 s old
        assertEquals(List.of("entered:first:rule_edit", "entered:second:rule_edit"), sorted(feed(key, "month")));
        assertEquals(due, dueRow(first).get(0));

        membership.tick(due.plusSeconds(3), delay).await().atMost(Duration.ofSeconds(30)); // 3 s: both, the second 1 s old
        assertEquals(List.of("entered:first:rule_edit", "entered:second:rule_edit", "exited:first:time_drift",
                "exited:second:time_drift"), sorted(feed(key, "month")));
        assertEquals(List.of(), dueRow(first));
        assertEquals(List.of(), dueRow(second));
    }

    private static List<String> sorted(List<String> feed) {
        return feed.stream().sorted().toList();
    }

    /**
     * Saving a segment merges only its own rule's instants into the due column: an instant later than the others'
     * least leaves the row untouched (not rewritten), an earlier one replaces it; an edit that makes a rule's window longer leaves the
     * early instant, which the tick then replaces without a change of membership.
     */
    @Test
    void savingASegmentWritesOnlyTheDueInstantsItMovesEarlier() {
        String key = Api.newTenant();
        Api.customer(key, "c", Map.of());
        purchase(key, "c", "p", NOW.minusDays(10), "10");
        long id = as(key).get("/customers/by-external-id/c").then().extract().jsonPath().getLong("id");
        segment(key, "month", Map.of("field", "lastPurchaseAt", "op", "within", "value", "P30D"));
        List<Object> month = dueRow(id);
        assertEquals(2, month.size(), "a due instant after the first segment");

        // a longer window: its instant is later, the instant stays; the row records it as the others' least
        segment(key, "year", Map.of("field", "lastPurchaseAt", "op", "within", "value", "P365D"));
        assertEquals(month.get(0), dueRow(id).get(0));
        List<Object> year = dueRow(id);
        // a still longer one: after that, the row is not even rewritten
        segment(key, "two-years", Map.of("field", "lastPurchaseAt", "op", "within", "value", "P730D"));
        assertEquals(year, dueRow(id));
        // the on-demand refresh of a segment does not rewrite it either
        as(key).post("/segments/year/refresh").then().statusCode(200);
        assertEquals(year, dueRow(id));

        // a shorter window: earlier, replaced
        segment(key, "fortnight", Map.of("field", "lastPurchaseAt", "op", "within", "value", "P14D"));
        OffsetDateTime fortnight = (OffsetDateTime) dueRow(id).get(0);
        assertTrue(fortnight.isBefore((OffsetDateTime) month.get(0)), fortnight + " before " + month.get(0));

        // the fortnight becomes three weeks: the early instant stays; at it, the tick finds no change and moves on
        as(key).body(Map.of("name", "three weeks", "rule", Map.of("field", "lastPurchaseAt", "op", "within", "value", "P21D")))
                .put("/segments/fortnight").then().statusCode(200);
        assertEquals(fortnight, dueRow(id).get(0));
        List<String> before = feed(key, "fortnight");
        membership.tick(fortnight).await().atMost(Duration.ofSeconds(30));
        assertEquals(before, feed(key, "fortnight"), "nothing changes at the early instant");
        OffsetDateTime next = (OffsetDateTime) dueRow(id).get(0);
        assertEquals(fortnight.plusDays(7), next, "the three weeks' instant replaces it");

        // no rule reads the clock any more: the instant left behind is cleared by the tick, nothing else changes
        for (String s : List.of("month", "year", "two-years", "fortnight")) {
            as(key).body(Map.of("name", s, "rule", Map.of("field", "totalSpend", "op", "gt", "value", 0)))
                    .put("/segments/" + s).then().statusCode(200);
        }
        assertEquals(next, dueRow(id).get(0));
        membership.tick(next).await().atMost(Duration.ofSeconds(30));
        assertEquals(List.of(), dueRow(id));
        assertEquals(before, feed(key, "fortnight"));
    }

    /**
     * Only a write of a source that a clock-dependent leaf reads touches the due column: an interaction (the only
     * clock leaf reads purchases) and an analytics run that moves the customer into a segment leave her row as it
     * was; a purchase moves it.
     */
    @Test
    void writesNoClockLeafReadsLeaveTheDueInstantsAlone() {
        String key = Api.newTenant();
        long id = Api.customer(key, "c", Map.of());
        purchase(key, "c", "p1", NOW.minusDays(10), "10");
        segment(key, "month", Map.of("field", "lastPurchaseAt", "op", "within", "value", "P30D"));
        segment(key, "consulted", Map.of("aggregate", "count", "of", "interactions", "op", "gte", "value", 1));
        segment(key, "scored", Map.of("field", "rfm.segment", "op", "isSet"));
        List<Object> row = dueRow(id);
        assertEquals(2, row.size());

        as(key).body(Map.of("customerExternalId", "c", "occurredAt", NOW.minusDays(1).toString(), "type", "consultation"))
                .post("/interactions").then().statusCode(201);
        assertEquals(List.of("entered:c:data_write"), feed(key, "consulted"));
        assertEquals(row, dueRow(id));

        as(key).post("/analytics/rfm/recompute").then().statusCode(200);
        assertEquals(List.of("entered:c:analytics"), feed(key, "scored"));
        assertEquals(row, dueRow(id));

        purchase(key, "c", "p2", NOW.minusDays(1), "10");
        OffsetDateTime later = (OffsetDateTime) dueRow(id).get(0);
        assertEquals(((OffsetDateTime) row.get(0)).plusDays(9), later, "the later purchase's instant");

        // the only clock-reading segment deleted: its instant stays (early, not wrong) until the tick clears it
        as(key).delete("/segments/month").then().statusCode(204);
        assertEquals(later, dueRow(id).get(0));
        membership.tick(later).await().atMost(Duration.ofSeconds(30));
        assertEquals(List.of(), dueRow(id));
        assertEquals(List.of("entered:c:data_write"), feed(key, "consulted"));
        assertEquals(List.of("entered:c:analytics"), feed(key, "scored"));
    }

    @Test
    void theFeedResumesFromACursorAndHistoryIsRebuiltFromIt() throws Exception {
        String key = Api.newTenant();
        segment(key, "vip", Map.of("field", "priceTier", "op", "eq", "value", "vip"));
        for (int i = 0; i < 5; i++) {
            Api.customer(key, "c" + i, Map.of("priceTier", "vip"));
        }
        OffsetDateTime between = OffsetDateTime.now(ZoneOffset.UTC);
        Thread.sleep(20);
        as(key).body(Map.of("priceTier", "low")).put("/customers/by-external-id/c0").then().statusCode(200);

        // tenant-wide feed in pages of 2: every change exactly once, in order
        List<String> seen = new ArrayList<>();
        String cursor = null;
        for (int guard = 0; guard < 10; guard++) {
            var page = as(key).queryParam("limit", 2).queryParam("after", cursor == null ? "" : cursor).get("/changes")
                    .then().statusCode(200).extract().jsonPath();
            page.<Map<String, Object>>getList("items").forEach(c -> seen.add(c.get("kind") + ":" + c.get("customerExternalId")));
            cursor = page.getString("nextCursor");
            if (!page.getBoolean("hasMore")) {
                break;
            }
        }
        assertEquals(List.of("entered:c0", "entered:c1", "entered:c2", "entered:c3", "entered:c4", "exited:c0"), seen);
        // nothing new: the cursor stays, and a new change appears after it
        as(key).queryParam("after", cursor).get("/changes").then().body("items", empty()).body("nextCursor", equalTo(cursor));
        Api.customer(key, "c5", Map.of("priceTier", "vip"));
        as(key).queryParam("after", cursor).get("/changes").then().body("items.customerExternalId", contains("c5"));

        // members at a past time, and the size per day
        as(key).queryParam("at", between.toString()).get("/segments/vip/members").then().statusCode(200)
                .body("items.externalId", contains("c0", "c1", "c2", "c3", "c4"));
        as(key).get("/segments/vip/members?at=" + NOW.minusYears(1)).then().body("items", empty());
        as(key).get("/segments/vip/history?from=" + NOW.minusDays(2)).then().statusCode(200)
                .body("size", contains(0, 0, 5))
                .body("[2].date", equalTo(NOW.toLocalDate().toString()));
    }

    /**
     * Concurrent writers on overlapping customers: afterwards the materialized membership of every segment equals
     * a fresh evaluation, and replaying the feed gives the same set.
     */
    @Test
    void underConcurrentWritesTheMaterializedMembershipEqualsAFreshEvaluation() throws Exception {
        String key = Api.newTenant();
        int customers = 12;
        for (int i = 0; i < customers; i++) {
            Api.customer(key, "k" + i, Map.of("region", i % 2 == 0 ? "Moscow" : "Kazan"));
        }
        segment(key, "big", Map.of("field", "totalSpend", "op", "gte", "value", 300));
        segment(key, "moscow-buyers", Map.of("and", List.of(Map.of("field", "region", "op", "eq", "value", "Moscow"),
                Map.of("aggregate", "count", "of", "purchases", "within", "P30D", "op", "gte", "value", 2))));
        segment(key, "few", Map.of("aggregate", "count", "of", "purchases", "op", "lt", "value", 6));

        ExecutorService pool8 = Executors.newFixedThreadPool(8);
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            work.add(pool8.submit(() -> {
                for (int n = 0; n < 10; n++) {
                    String customer = "k" + ((thread * 7 + n * 5) % customers);
                    if (n % 4 == 3) {
                        as(key).body(Map.of("region", n % 8 == 3 ? "Moscow" : "Kazan"))
                                .put("/customers/by-external-id/" + customer).then().statusCode(200);
                    } else {
                        purchase(key, customer, "t" + thread + "-" + n, NOW.minusDays(n), String.valueOf(40 + n * 10));
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : work) {
            f.get();
        }
        pool8.shutdown();

        for (String s : List.of("big", "moscow-buyers", "few")) {
            long id = segmentId(key, s);
            Set<Long> fresh = evaluated(key, s);
            assertEquals(fresh, materialized(id), "materialized membership of " + s);
            // replaying the segment's feed gives the same members
            Map<Long, String> last = new HashMap<>();
            as(key).get("/segments/" + s + "/changes?limit=1000").then().extract().jsonPath()
                    .<Map<String, Object>>getList("items")
                    .forEach(c -> last.put(((Number) c.get("customerId")).longValue(), (String) c.get("kind")));
            Set<Long> replayed = new TreeSet<>();
            last.forEach((c, kind) -> {
                if (kind.equals("entered")) {
                    replayed.add(c);
                }
            });
            assertEquals(fresh, replayed, "feed replay of " + s);
            as(key).get("/segments/" + s + "/freshness").then().body("memberCount", equalTo(fresh.size()));
        }
        // the writes moved customers both ways
        List<String> kinds = as(key).get("/changes?limit=1000").then().extract().jsonPath().getList("items.kind");
        assertTrue(kinds.contains("entered") && kinds.contains("exited"), "no movement: " + kinds);
        assertTrue(!evaluated(key, "big").isEmpty(), "big is empty");
    }
}
