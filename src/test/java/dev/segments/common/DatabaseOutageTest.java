package dev.segments.common;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 of the embedded postmaster under the running service (the test resource starts it through the same
 * EmbeddedDatabase and watchdog as Main): readiness goes DOWN, comes back UP on its own, and requests caught by
 * the outage get a 503 problem with Retry-After, never a 500.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class DatabaseOutageTest {

    static final Duration BOUND = Duration.ofSeconds(30);

    @Inject
    Pool pool;

    @Test
    void readinessFollowsAKilledPostmasterAndRequestsCaughtByTheLossGet503() throws Exception {
        RestAssured.get("/q/health/ready").then().statusCode(200);
        String key = Api.newTenant();
        long id = Api.customer(key, "outage-1", Map.of());
        String dataDir = pool.query("show data_directory").execute().await().indefinitely()
                .iterator().next().getString(0);
        long pid = Long.parseLong(Files.readAllLines(Path.of(dataDir, "postmaster.pid")).get(0).trim());
        // the throwaway test server runs with synchronous_commit off: make the tenant and customer durable first
        pool.query("checkpoint").execute().await().indefinitely();

        ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // kill -9 of the postmaster

        long start = System.nanoTime();
        long deadline = start + BOUND.toNanos();
        boolean sawDown = false;
        long upAfterMs = -1;
        List<Response> failures = new ArrayList<>();
        List<String> wrong = new ArrayList<>();
        try {
            while (System.nanoTime() < deadline) {
                for (Response r : List.of(
                        RestAssured.given().auth().oauth2(Api.ADMIN_KEY).get("/admin/tenants"),
                        Api.as(key).get("/customers/" + id))) {
                    if (r.statusCode() == 503) {
                        failures.add(r);
                    } else if (r.statusCode() != 200) {
                        wrong.add(r.statusCode() + " " + r.asString());
                    }
                }
                int ready = RestAssured.get("/q/health/ready").statusCode();
                if (ready == 503) {
                    sawDown = true;
                } else if (ready == 200 && (sawDown || !failures.isEmpty())) {
                    upAfterMs = (System.nanoTime() - start) / 1_000_000;
                    break;
                }
            }
        } finally {
            awaitReady(); // whatever failed above, the tests after this one get a live database
        }
        assertTrue(wrong.isEmpty(), "a request caught by the outage is 200 or 503, got " + wrong);
        // the outage is seen by readiness or by a request (a restart can be quicker than one round of probes)
        assertTrue(sawDown || !failures.isEmpty(), "the outage was observed");
        assertTrue(upAfterMs >= 0, "readiness came back UP on its own within " + BOUND);
        for (Response r : failures) {
            assertEquals("application/problem+json", r.contentType().split(";")[0].trim(), r.asString());
            assertEquals("/problems/unavailable", r.jsonPath().getString("type"), r.asString());
            assertEquals(503, r.jsonPath().getInt("status"));
            assertNotNull(r.header("Retry-After"), "Retry-After on " + r.asString());
            assertFalse(r.asString().contains("Error id"), r.asString());
        }

        // once ready, it stays ready and the pools serve again: no dead pooled connection is handed out
        for (int i = 0; i < 10; i++) {
            RestAssured.get("/q/health/ready").then().statusCode(200);
            Api.as(key).get("/customers/" + id).then().statusCode(200);
            RestAssured.given().auth().oauth2(Api.ADMIN_KEY).get("/admin/tenants").then().statusCode(200);
        }
        System.out.printf("outage: ready again after %d ms, %d requests answered 503%n", upAfterMs, failures.size());
    }

    private static void awaitReady() throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (System.nanoTime() < deadline && RestAssured.get("/q/health/ready").statusCode() != 200) {
            Thread.sleep(200);
        }
    }
}
