package dev.segments.segment;

import dev.segments.segment.persistence.EvaluationSlots;
import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQL;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Transaction;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One request, many statements (issue 12, item 3): a GraphQL query with 24 previewSegment aliases whose evaluations
 * hang (the static segment they read is locked) holds only max-concurrent-per-request (4) connections, and a tenant
 * only max-concurrent-per-tenant (8); meanwhile another tenant's REST read is fast and readiness stays UP (it uses
 * the reserved pool). Without the caps the 48 statements (count and sample of each preview) take all 20 connections.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class RuleEvaluationLimitsTest {

    /** Client threads: the common fork-join pool has one thread on two cores. */
    static final java.util.concurrent.ExecutorService CLIENTS = java.util.concurrent.Executors.newCachedThreadPool();

    @Inject
    Pool pool;

    @Inject
    EvaluationSlots slots;

    @Test
    void manyPreviewsInOneRequestDoNotStarveOtherTenantsOrReadiness() throws Exception {
        String a = Api.newTenant();
        long tenantA = tenantOf(a);
        Api.customer(a, "a1", Map.of());
        as(a).body("{\"key\": \"picked\", \"name\": \"Picked\", \"kind\": \"static\"}").post("/segments").then().statusCode(201);
        String b = Api.newTenant();
        long other = Api.customer(b, "b1", Map.of("city", "Kazan"));

        StringBuilder q = new StringBuilder("query($r: JSON!) {");
        for (int i = 0; i < 24; i++) {
            q.append(" p").append(i).append(": previewSegment(rule: $r, sampleSize: 5) { count }");
        }
        String previews = q.append(" }").toString();
        Map<String, Object> vars = Map.of("r", Map.of("segment", "picked"));

        SqlConnection conn = pool.getConnection().await().atMost(Duration.ofSeconds(10));
        Transaction tx = conn.begin().await().atMost(Duration.ofSeconds(10));
        List<CompletableFuture<JsonPath>> requests = new ArrayList<>();
        try {
            // every evaluation of the static segment now waits for this lock
            conn.query("lock table segment_member in access exclusive mode").execute().await().atMost(Duration.ofSeconds(10));
            for (int i = 0; i < 3; i++) {
                requests.add(CompletableFuture.supplyAsync(() ->
                        GraphQL.query(a, previews, vars).statusCode(200).extract().jsonPath(), CLIENTS));
            }
            // three requests could run 3 x 4; the tenant cap holds them at 8
            awaitRunning(tenantA, 8);
            Thread.sleep(300);
            assertEquals(8, slots.running(tenantA), "evaluations running for tenant A");

            long t0 = System.nanoTime();
            as(b).get("/customers/" + other).then().statusCode(200).body("city", equalTo("Kazan"));
            long readMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(readMs < 1000, "another tenant's read took " + readMs + " ms");

            t0 = System.nanoTime();
            RestAssured.get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
            long readyMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(readyMs < 1000, "readiness took " + readyMs + " ms");
        } finally {
            tx.rollback().await().atMost(Duration.ofSeconds(10));
            conn.close().await().atMost(Duration.ofSeconds(10));
        }

        // every alias either ran or was turned away with a clear error after max-wait
        int ran = 0;
        int refused = 0;
        for (CompletableFuture<JsonPath> r : requests) {
            JsonPath body = r.get();
            for (int i = 0; i < 24; i++) {
                Object count = body.get("data.p" + i + ".count");
                if (count != null) {
                    assertEquals(0, ((Number) count).intValue());
                    ran++;
                }
            }
            List<Map<String, Object>> errors = body.getList("errors");
            for (Map<String, Object> e : errors == null ? List.<Map<String, Object>>of() : errors) {
                @SuppressWarnings("unchecked")
                Map<String, Object> ext = (Map<String, Object>) e.get("extensions");
                assertEquals("/problems/unavailable", ext.get("type"), "error: " + e);
                refused++;
            }
        }
        assertTrue(ran >= 4, "previews that ran: " + ran);
        assertEquals(72, ran + refused, "ran " + ran + ", refused " + refused);
        assertEquals(0, slots.running(tenantA));

        // once the lock is gone, the same request succeeds in full
        GraphQL.query(a, previews, vars).body("errors", org.hamcrest.Matchers.nullValue())
                .body("data.p23.count", equalTo(0));
    }

    /**
     * Three tenants at their caps would want more connections than the main pool has: the instance cap holds them
     * to half the pool, so another tenant's plain read and readiness (on the reserved pool) still answer at once.
     */
    @Test
    void allTenantsTogetherLeaveConnectionsForPlainReads() throws Exception {
        String bystander = Api.newTenant();
        long bystanderCustomer = Api.customer(bystander, "b-1", Map.of("name", "Bystander"));
        List<String> keys = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            String k = Api.newTenant();
            as(k).body("{\"key\": \"picked\", \"name\": \"Picked\", \"kind\": \"static\"}").post("/segments").then().statusCode(201);
            keys.add(k);
        }
        StringBuilder q = new StringBuilder("query($r: JSON!) {");
        for (int i = 0; i < 4; i++) {
            q.append(" p").append(i).append(": previewSegment(rule: $r, sampleSize: 5) { count }");
        }
        String previews = q.append(" }").toString();
        Map<String, Object> vars = Map.of("r", Map.of("segment", "picked"));

        SqlConnection conn = pool.getConnection().await().atMost(Duration.ofSeconds(10));
        Transaction tx = conn.begin().await().atMost(Duration.ofSeconds(10));
        List<CompletableFuture<Integer>> requests = new ArrayList<>();
        try {
            conn.query("lock table segment_member in access exclusive mode").execute().await().atMost(Duration.ofSeconds(10));
            for (String k : keys) {
                for (int r = 0; r < 2; r++) {
                    requests.add(CompletableFuture.supplyAsync(() -> GraphQL.query(k, previews, vars).extract().statusCode(), CLIENTS));
                }
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline && slots.running() < 10) {
                Thread.sleep(20);
            }
            // 24 evaluations wanted (3 tenants x 2 requests x 4 aliases): 10 run (the instance cap), the rest wait
            assertEquals(10, slots.running(), "evaluations running on the instance");
            long t0 = System.nanoTime();
            RestAssured.get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
            long readyMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(readyMs < 1000, "readiness took " + readyMs + " ms");
            t0 = System.nanoTime();
            as(bystander).get("/customers/" + bystanderCustomer).then().statusCode(200);
            long readMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(readMs < 1000, "another tenant's read took " + readMs + " ms");
        } finally {
            tx.rollback().await().atMost(Duration.ofSeconds(10));
            conn.close().await().atMost(Duration.ofSeconds(10));
        }
        for (CompletableFuture<Integer> r : requests) {
            assertEquals(200, r.get());
        }
    }

    @Test
    void restEvaluationsOverTheCapGetA503WithRetryAfter() throws Exception {
        String a = Api.newTenant();
        long tenantA = tenantOf(a);
        as(a).body("{\"key\": \"picked\", \"name\": \"Picked\", \"kind\": \"static\"}").post("/segments").then().statusCode(201);
        as(a).body("{\"key\": \"via\", \"name\": \"Via\", \"rule\": {\"segment\": \"picked\"}}").post("/segments").then().statusCode(201);

        SqlConnection conn = pool.getConnection().await().atMost(Duration.ofSeconds(10));
        Transaction tx = conn.begin().await().atMost(Duration.ofSeconds(10));
        List<CompletableFuture<Integer>> held = new ArrayList<>();
        // asOf: the rule is evaluated (without it a saved segment's count is read from the materialization)
        String asOf = java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).toString();
        try {
            conn.query("lock table segment_member in access exclusive mode").execute().await().atMost(Duration.ofSeconds(10));
            for (int i = 0; i < 8; i++) {
                held.add(CompletableFuture.supplyAsync(() -> as(a).queryParam("asOf", asOf).get("/segments/via/count").then().extract().statusCode(), CLIENTS));
            }
            awaitRunning(tenantA, 8);
            long t0 = System.nanoTime();
            as(a).queryParam("asOf", asOf).get("/segments/via/count").then().statusCode(503)
                    .contentType("application/problem+json")
                    .header("Retry-After", "1")
                    .body("type", equalTo("/problems/unavailable"));
            long waitedMs = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(waitedMs >= 1500 && waitedMs < 5000, "waited " + waitedMs + " ms (max-wait 2s)");
        } finally {
            tx.rollback().await().atMost(Duration.ofSeconds(10));
            conn.close().await().atMost(Duration.ofSeconds(10));
        }
        for (CompletableFuture<Integer> h : held) {
            assertEquals(200, h.get());
        }
    }

    private void awaitRunning(long tenantId, int expected) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (slots.running(tenantId) < expected && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(expected, slots.running(tenantId), "evaluations running");
    }

    private long tenantOf(String key) {
        return pool.preparedQuery("select tenant_id from api_key where key_hash = $1")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(dev.segments.common.tenancy.ApiKeys.hash(key)))
                .await().atMost(Duration.ofSeconds(10)).iterator().next().getLong(0);
    }
}
