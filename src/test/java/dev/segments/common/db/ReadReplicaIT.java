package dev.segments.common.db;

import dev.segments.support.Api;
import dev.segments.support.GraphQL;
import dev.segments.support.StreamingReplicaResource;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import static dev.segments.support.Api.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Heavy reads against a real streaming replica (StreamingReplicaResource: a hot standby of the primary on the same
 * PostgreSQL 17 binaries). The proof that a read ran on the replica is what it sees: with replay paused on the
 * standby, a customer written through the API is on the primary and not on the replica, so a rule search that does
 * not find it was answered by the replica, and one that finds it by the primary.
 *
 * <p>An IT (failsafe, after package, in a JVM of its own) rather than a surefire test: sharing a JVM with the suite's
 * other Quarkus apps, the app started after this one ran its GraphQL requests on Vert.x worker threads that kept the
 * context class loader of an earlier app (seen in GraphQLApiTest and, the other way round, in this test: SmallRye
 * GraphQL's lazy engine build then fails, hidden behind an NPE in its TracingService). That is an artifact of several
 * apps restarting in one JVM (a deployed service is one app); run alone, every request here sees the right loader.
 */
@QuarkusTest
@WithTestResource(StreamingReplicaResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReadReplicaIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    ReadPools reads;

    @Inject
    MeterRegistry registry;

    @Test
    @Order(1)
    void theReplicaIsARealStandbyStreamingFromThePrimary() throws Exception {
        try (Connection c = DriverManager.getConnection(StreamingReplicaResource.standbyJdbc(), "postgres", "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select pg_is_in_recovery(),"
                     + " (select status from pg_stat_wal_receiver)")) {
            rs.next();
            assertTrue(rs.getBoolean(1));
            assertEquals("streaming", rs.getString(2));
        }
        waitFor("the replica in use", () -> reads.replicaState() == ReadPools.Reason.REPLICA);
    }

    @Test
    @Order(2)
    void readsGoToTheReplicaAndAReadAfterItsWriteToThePrimaryWhileTheReplicaLags() {
        waitFor("the replica in use", () -> reads.replicaState() == ReadPools.Reason.REPLICA);
        String key = Api.newTenant();
        String external = "c-" + UUID.randomUUID();
        // warm both paths up, so that the reads below fit well inside the lag bound
        search(key, external, null);
        GraphQL.query(key, "query($r: JSON) { customers(rule: $r) { nodes { id } } }", Map.of("r", rule(external)))
                .statusCode(200);
        StreamingReplicaResource.onStandby("select pg_wal_replay_pause()");
        try {
            Response created = as(key).body(Map.of("externalId", external)).post("/customers");
            assertEquals(201, created.statusCode());
            String token = created.header(ReadConsistency.READ_AFTER);
            assertNotNull(token, "a write response carries the Read-After token");
            double replicaBefore = count("replica");
            double tokenBefore = count("token");

            // a plain read: the replica answers, without the customer the primary has
            assertEquals(List.of(), search(key, external, null));
            assertTrue(count("replica") > replicaBefore);
            // a token the replica has passed reads the replica (a zero token); the write's token is ahead of it, and
            // the same read with it is answered by the primary
            assertEquals(List.of(), search(key, external, "0/0"));
            assertEquals(1, search(key, external, token).size());
            assertTrue(count("token") > tokenBefore);
            // GraphQL queries read the replica too
            assertEquals(List.of(), GraphQL.query(key, "query($r: JSON) { customers(rule: $r) { nodes { id } } }",
                    Map.of("r", rule(external))).statusCode(200).extract().jsonPath().getList("data.customers.nodes"));
            // a token that is not a WAL position is refused
            as(key).header(ReadConsistency.READ_AFTER, "yesterday").body(Map.of("rule", rule(external)))
                    .post("/customers/search").then().statusCode(400).contentType("application/problem+json");

            // past the lag bound every read falls back to the primary, with a metric
            waitFor("the replica seen lagging", () -> reads.replicaState() == ReadPools.Reason.LAGGING);
            double laggingBefore = count("lagging");
            assertEquals(1, search(key, external, null).size());
            assertTrue(count("lagging") > laggingBefore);
            RestAssured.get("/q/health/ready").then().statusCode(200);
            assertEquals(0.0, registry.get(ReadPools.AVAILABLE).gauge().value());
        } finally {
            StreamingReplicaResource.onStandby("select pg_wal_replay_resume()");
        }
        // caught up: back on the replica, which now has the customer
        waitFor("the replica back in use", () -> reads.replicaState() == ReadPools.Reason.REPLICA);
        double replicaBefore = count("replica");
        assertEquals(1, search(key, external, null).size());
        assertTrue(count("replica") > replicaBefore);
    }

    @Test
    @Order(3)
    void aKilledReplicaFallsBackToThePrimaryWithoutErrorsAndIsUsedAgainWhenBack() throws Exception {
        waitFor("the replica in use", () -> reads.replicaState() == ReadPools.Reason.REPLICA);
        String key = Api.newTenant();
        String external = "k-" + UUID.randomUUID();
        Api.customer(key, external, Map.of());
        waitFor("the customer on the replica", () -> search(key, external, null).size() == 1);

        StreamingReplicaResource.killStandby();
        double failedBefore = count("failed") + count("down");
        // the first reads may still pick the replica (before the probe sees it gone): they are run again on the primary
        for (int i = 0; i < 5; i++) {
            assertEquals(1, search(key, external, null).size());
        }
        waitFor("the replica seen down", () -> reads.replicaState() == ReadPools.Reason.DOWN);
        assertEquals(1, search(key, external, null).size());
        assertTrue(count("failed") + count("down") > failedBefore);
        RestAssured.get("/q/health/ready").then().statusCode(200);

        // written while the replica is down, replayed when it is back
        String later = "l-" + UUID.randomUUID();
        Api.customer(key, later, Map.of());
        StreamingReplicaResource.restartStandby();
        waitFor("the replica back in use", () -> reads.replicaState() == ReadPools.Reason.REPLICA);
        double replicaBefore = count("replica");
        waitFor("the later customer read from the replica", () -> search(key, later, null).size() == 1);
        assertTrue(count("replica") > replicaBefore);
    }

    private static Map<String, Object> rule(String external) {
        return Map.of("field", "externalId", "op", "eq", "value", external);
    }

    private static List<Object> search(String key, String external, String token) {
        var request = as(key).body(Map.of("rule", rule(external)));
        if (token != null) {
            request.header(ReadConsistency.READ_AFTER, token);
        }
        return request.post("/customers/search?fields=id").then().statusCode(200).extract().jsonPath().getList("items");
    }

    private double count(String reason) {
        Counter c = registry.find(ReadPools.ROUTED).tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    private static void waitFor(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertFalse(System.nanoTime() > deadline, "timed out waiting for " + what);
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
