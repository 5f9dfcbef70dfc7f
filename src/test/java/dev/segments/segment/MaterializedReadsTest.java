package dev.segments.segment;

import dev.segments.segment.persistence.MembershipRepository;
import dev.segments.segment.service.MembershipService;
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
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static dev.segments.support.Api.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Saved segments are read from the materialization (docs/live-membership.md, "Reads"): count and members of a
 * saved segment (REST and GraphQL) and a customer's segments equal a fresh live evaluation (asOf = now) after
 * writes, after time passes both before the tick processes it (the reads evaluate the due customers) and after,
 * and while more customers are due than the reads evaluate or the tenant is marked for repair, when the reads say
 * {@code source: live}. Due customers are made by due instants in the past that no tick processed (the test
 * profile runs no scheduler), so no test profile of its own is needed.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class MaterializedReadsTest {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final List<String> ALL = List.of("recent", "frequent", "recent-vip", "lapsed", "vip");

    @Inject
    Pool pool;

    @Inject
    MembershipService membership;

    @Inject
    MembershipRepository repository;

    record Tenant(String key, long id, List<Long> customers) {
    }

    Tenant tenant() {
        String key = Api.newTenant();
        as(key).body(Map.of("key", "vip", "name", "vip", "kind", "static")).post("/segments").then().statusCode(201);
        segment(key, "recent", Map.of("field", "lastPurchaseAt", "op", "within", "value", "P30D"));
        segment(key, "frequent", Map.of("field", "purchaseCount", "op", "gte", "value", 2));
        segment(key, "recent-vip", Map.of("and", List.of(Map.of("segment", "recent"), Map.of("segment", "vip"))));
        segment(key, "lapsed", Map.of("field", "lastPurchaseAt", "op", "notWithin", "value", "P15D"));
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ids.add(Api.customer(key, "c" + i, Map.of("name", "C " + i)));
        }
        purchase(key, ids.get(0), now.minusDays(2), "10");
        purchase(key, ids.get(0), now.minusDays(40), "10");
        purchase(key, ids.get(1), now.minusDays(10), "10");
        purchase(key, ids.get(2), now.minusDays(100), "10");
        purchase(key, ids.get(2), now.minusDays(200), "10");
        as(key).body(Map.of("customerIds", List.of(ids.get(0), ids.get(2), ids.get(3)))).post("/segments/vip/members")
                .then().statusCode(200);
        long tenantId = pool.preparedQuery("select tenant_id from customer where id = $1").execute(Tuple.of(ids.get(0)))
                .await().atMost(WAIT).iterator().next().getLong(0);
        return new Tenant(key, tenantId, ids);
    }

    static void segment(String key, String segmentKey, Map<String, ?> rule) {
        as(key).body(Map.of("key", segmentKey, "name", segmentKey, "rule", rule)).post("/segments").then().statusCode(201);
    }

    static void purchase(String key, long customer, OffsetDateTime at, String amount) {
        as(key).body(Map.of("customerId", customer, "occurredAt", at.toString(), "amount", amount)).post("/purchases")
                .then().statusCode(201);
    }

    /** Members over every page (limit 2, so paging is exercised) and the sources and instants of the pages. */
    static Set<Long> members(String key, String segment, String asOf, List<String> sources, List<String> evaluatedAt) {
        Set<Long> ids = new TreeSet<>();
        String after = null;
        do {
            var req = as(key).queryParam("limit", 2).queryParam("fields", "id");
            if (after != null) req.queryParam("after", after);
            if (asOf != null) req.queryParam("asOf", asOf);
            JsonPath page = req.get("/segments/" + segment + "/members").then().statusCode(200).extract().jsonPath();
            ids.addAll(page.getList("items.id", Long.class));
            sources.add(page.getString("source"));
            evaluatedAt.add(page.getString("evaluatedAt"));
            after = page.getString("nextCursor");
        } while (after != null);
        return ids;
    }

    /**
     * Every saved segment read without asOf equals a fresh evaluation at now (asOf), over REST and GraphQL; the
     * reads of dynamic segments say {@code dynamicSource} (the static one always static). Returns the REST counts'
     * evaluatedAt by segment.
     */
    Map<String, OffsetDateTime> checkReads(Tenant t, String dynamicSource) {
        Map<String, OffsetDateTime> instants = new java.util.HashMap<>();
        for (String s : ALL) {
            String expected = s.equals("vip") ? "static" : dynamicSource;
            String now = OffsetDateTime.now(ZoneOffset.UTC).toString();
            List<String> sources = new ArrayList<>(), at = new ArrayList<>(), ignored = new ArrayList<>();
            Set<Long> read = members(t.key(), s, null, sources, at);
            Set<Long> fresh = members(t.key(), s, now, new ArrayList<>(), ignored);
            assertEquals(fresh, read, s + ": members read vs a fresh evaluation");
            assertTrue(sources.stream().allMatch(expected::equals), s + ": member page sources " + sources);
            assertTrue(ignored.stream().allMatch(now::equals) || ignored.stream()
                    .allMatch(x -> OffsetDateTime.parse(x).isEqual(OffsetDateTime.parse(now))), s + ": asOf is evaluatedAt");
            JsonPath count = as(t.key()).get("/segments/" + s + "/count").then().statusCode(200).extract().jsonPath();
            assertEquals(fresh.size(), count.getLong("count"), s + ": count read vs fresh");
            assertEquals(expected, count.getString("source"), s + ": count source");
            JsonPath freshCount = as(t.key()).queryParam("asOf", now).get("/segments/" + s + "/count").then()
                    .statusCode(200).extract().jsonPath();
            assertEquals("live", freshCount.getString("source"));
            assertEquals(fresh.size(), freshCount.getLong("count"));
            OffsetDateTime evaluatedAt = OffsetDateTime.parse(count.getString("evaluatedAt"));
            assertFalse(evaluatedAt.isAfter(OffsetDateTime.now(ZoneOffset.UTC)), s + ": evaluatedAt in the future");
            instants.put(s, evaluatedAt);
            // GraphQL: count, countDetails and members with their source
            JsonPath g = GraphQL.query(t.key(), "query($k: String!) { segment(key: $k) { count countDetails { count"
                            + " source evaluatedAt } members(first: 100) { source evaluatedAt totalCount nodes { id } } } }",
                    Map.of("k", s)).statusCode(200).extract().jsonPath();
            assertEquals(fresh.size(), g.getLong("data.segment.count"), s + ": GraphQL count");
            assertEquals(fresh.size(), g.getLong("data.segment.countDetails.count"));
            assertEquals(expected, g.getString("data.segment.countDetails.source"), s + ": GraphQL count source");
            assertEquals(expected, g.getString("data.segment.members.source"), s + ": GraphQL members source");
            assertEquals(fresh.size(), g.getLong("data.segment.members.totalCount"));
            assertEquals(fresh, new TreeSet<>(g.getList("data.segment.members.nodes.id", Long.class)), s + ": GraphQL members");
        }
        // a customer's segments: REST and GraphQL, equal to the evaluation at now
        for (long c : t.customers()) {
            String now = OffsetDateTime.now(ZoneOffset.UTC).toString();
            List<String> read = as(t.key()).get("/customers/" + c + "/segments").then().statusCode(200).extract()
                    .jsonPath().getList("key", String.class);
            List<String> fresh = as(t.key()).queryParam("asOf", now).get("/customers/" + c + "/segments").then()
                    .statusCode(200).extract().jsonPath().getList("key", String.class);
            assertEquals(fresh, read, "segments of customer " + c);
            List<String> graph = GraphQL.query(t.key(), "query($id: ID) { customer(id: $id) { segments { key } } }",
                    Map.of("id", String.valueOf(c))).statusCode(200).extract().jsonPath()
                    .getList("data.customer.segments.key", String.class);
            assertEquals(fresh, graph, "GraphQL segments of customer " + c);
        }
        return instants;
    }

    @Test
    void savedSegmentsReadFromTheMaterializationEqualAFreshEvaluation() throws Exception {
        Tenant t = tenant();
        checkReads(t, "materialized");
        // writes: a purchase, a profile change through a static edit, a delete
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        purchase(t.key(), t.customers().get(3), now.minusDays(1), "5");
        purchase(t.key(), t.customers().get(1), now.minusDays(20), "5");
        as(t.key()).body(Map.of("customerIds", List.of(t.customers().get(0)))).post("/segments/vip/members/remove")
                .then().statusCode(200);
        as(t.key()).delete("/customers/" + t.customers().get(5)).then().statusCode(204);
        t.customers().remove(5);
        checkReads(t, "materialized");
        // a rule edit: the edited segment and the one over it
        as(t.key()).body(Map.of("name", "recent", "rule", Map.of("field", "lastPurchaseAt", "op", "within", "value", "P15D")))
                .put("/segments/recent").then().statusCode(200);
        checkReads(t, "materialized");

        // time: customer 4's only purchase leaves P15D about a second from now
        OffsetDateTime leaves = OffsetDateTime.now(ZoneOffset.UTC).plus(Duration.ofMillis(1500)).truncatedTo(ChronoUnit.MICROS);
        purchase(t.key(), t.customers().get(4), leaves.minusDays(15), "5");
        assertTrue(members(t.key(), "recent", null, new ArrayList<>(), new ArrayList<>()).contains(t.customers().get(4)));
        while (!OffsetDateTime.now(ZoneOffset.UTC).isAfter(leaves.plus(Duration.ofMillis(200)))) {
            Thread.sleep(100);
        }
        // not processed yet (no tick): still materialized and exact at now, because the read evaluates the customers
        // whose due instant passed: customer 4 has left recent (and the segment over it) and entered lapsed
        Map<String, OffsetDateTime> before = checkReads(t, "materialized");
        for (String s : List.of("recent", "lapsed")) {
            assertTrue(before.get(s).isAfter(leaves), s + " is exact at now, after the due instant: " + before.get(s));
        }
        assertFalse(members(t.key(), "recent", null, new ArrayList<>(), new ArrayList<>()).contains(t.customers().get(4)));
        assertTrue(members(t.key(), "lapsed", null, new ArrayList<>(), new ArrayList<>()).contains(t.customers().get(4)));
        assertEquals(1L, pool.preparedQuery("select count(*) from customer_due where tenant_id = $1 and due_at <= now()")
                .execute(Tuple.of(t.id())).await().atMost(WAIT).iterator().next().getLong(0), "one customer is due");
        assertTrue(pool.preparedQuery("select 1 from segment_membership m join segment s on s.id = m.segment_id"
                        + " where s.tenant_id = $1 and s.key = 'recent' and m.customer_id = $2")
                .execute(Tuple.of(t.id(), t.customers().get(4))).await().atMost(WAIT).size() == 1,
                "the stored membership still has customer 4 in recent: the read corrected it");
        // the tick processes the passed instant: the stored membership now says the same
        membership.tick(OffsetDateTime.now(ZoneOffset.UTC)).await().atMost(WAIT);
        checkReads(t, "materialized");
        assertFalse(members(t.key(), "recent", null, new ArrayList<>(), new ArrayList<>()).contains(t.customers().get(4)));
    }

    @Test
    void readsEvaluateLiveWhileTimeEventsLagOrTheTenantIsRepaired() {
        Tenant t = tenant();
        checkReads(t, "materialized");
        long c0 = t.customers().get(0);
        // a due instant a minute ago that no tick processed: the read evaluates that customer, exact at now
        pool.preparedQuery("insert into customer_due (tenant_id, customer_id, due_at) values ($1, $2, now() - interval '1 minute')"
                        + " on conflict (tenant_id, customer_id) do update set due_at = excluded.due_at")
                .execute(Tuple.of(t.id(), c0)).await().atMost(WAIT);
        checkReads(t, "materialized");
        // more due customers than segments.membership.read-due-limit (1000): the clock-reading segments are evaluated
        // live; frequent does not read the clock and stays materialized
        pool.preparedQuery("insert into customer (tenant_id, external_id, name) select $1, 'bulk-' || g, 'Bulk ' || g"
                        + " from generate_series(1, 1001) g").execute(Tuple.of(t.id())).await().atMost(WAIT);
        pool.preparedQuery("insert into customer_due (tenant_id, customer_id, due_at) select tenant_id, id,"
                        + " now() - interval '1 minute' from customer where tenant_id = $1 and external_id like 'bulk-%'")
                .execute(Tuple.of(t.id())).await().atMost(WAIT);
        JsonPath recent = as(t.key()).get("/segments/recent/count").then().statusCode(200).extract().jsonPath();
        assertEquals("live", recent.getString("source"));
        OffsetDateTime at = OffsetDateTime.parse(recent.getString("evaluatedAt"));
        assertTrue(Duration.between(at, OffsetDateTime.now(ZoneOffset.UTC)).abs().toSeconds() < 5, "live: evaluatedAt is now");
        assertEquals("live", as(t.key()).get("/segments/recent-vip/members").then().extract().jsonPath().getString("source"));
        assertEquals("live", as(t.key()).get("/segments/lapsed/members").then().extract().jsonPath().getString("source"));
        assertEquals("materialized", as(t.key()).get("/segments/frequent/count").then().extract().jsonPath().getString("source"));
        List<String> fresh = as(t.key()).queryParam("asOf", OffsetDateTime.now(ZoneOffset.UTC).toString())
                .get("/customers/" + c0 + "/segments").then().extract().jsonPath().getList("key", String.class);
        assertEquals(fresh, as(t.key()).get("/customers/" + c0 + "/segments").then().statusCode(200).extract()
                .jsonPath().getList("key", String.class));
        // the bulk customers were never evaluated (inserted behind the service's back): removed before the tick, so
        // that what follows compares the test's own customers
        pool.preparedQuery("delete from customer where tenant_id = $1 and external_id like 'bulk-%'")
                .execute(Tuple.of(t.id())).await().atMost(WAIT);
        // the tick catches up: materialized again
        membership.tick(OffsetDateTime.now(ZoneOffset.UTC)).await().atMost(WAIT);
        checkReads(t, "materialized");

        // marked for repair (what a failed membership update does): every dynamic read is live until refreshed
        repository.markAllDue(t.id()).await().atMost(WAIT);
        checkReads(t, "live");
        membership.refreshDue(OffsetDateTime.now(ZoneOffset.UTC)).await().atMost(WAIT);
        checkReads(t, "materialized");

        // a materialization not of the segment's current version (a rule saved, its evaluation not yet committed):
        // that segment and the segment over it are live
        pool.preparedQuery("update segment_state st set segment_version = -1 from segment s"
                        + " where s.id = st.segment_id and s.tenant_id = $1 and s.key = 'recent'")
                .execute(Tuple.of(t.id())).await().atMost(WAIT);
        assertEquals("live", as(t.key()).get("/segments/recent/count").then().extract().jsonPath().getString("source"));
        assertEquals("live", as(t.key()).get("/segments/recent-vip/count").then().extract().jsonPath().getString("source"));
        assertEquals("materialized", as(t.key()).get("/segments/frequent/members").then().extract().jsonPath().getString("source"));
        assertEquals(fresh, as(t.key()).get("/customers/" + c0 + "/segments").then().statusCode(200).extract()
                .jsonPath().getList("key", String.class));
        as(t.key()).post("/segments/recent/refresh").then().statusCode(200);
        checkReads(t, "materialized");
        // history and asOf are unchanged: at reads the feed, asOf evaluates
        assertEquals("history", as(t.key()).queryParam("at", OffsetDateTime.now(ZoneOffset.UTC).toString())
                .get("/segments/recent/members").then().statusCode(200).extract().jsonPath().getString("source"));
        assertEquals("live", as(t.key()).queryParam("asOf", OffsetDateTime.now(ZoneOffset.UTC).plusDays(3).toString())
                .get("/segments/recent/count").then().statusCode(200).extract().jsonPath().getString("source"));
        as(t.key()).get("/customers/999999999/segments").then().statusCode(404);
    }
}
