package dev.segments.graphql;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQLSocket;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.segments.support.Api.as;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Subscriptions are bounded (per connection), read the feed once per interval for all subscribers (not once per
 * subscription), and end when their key is revoked (issue 12, items 4 and 7).
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class SubscriptionLimitsTest {

    private static final String FEED_READ = "%cross join lateral (select * from membership_change m%";

    @TestHTTPResource("/graphql")
    URI graphql;

    @Inject
    Pool pool;

    @Test
    void manySubscriptionsShareOneFeedReadAndTheCapHolds() throws Exception {
        String key = Api.newTenant();
        as(key).body(Map.of("key", "vip", "name", "VIP", "rule", Map.of("field", "priceTier", "op", "eq", "value", "vip")))
                .post("/segments").then().statusCode(201);
        Vertx vertx = Vertx.vertx();
        LinkedBlockingQueue<JsonObject> messages = new LinkedBlockingQueue<>();
        try {
            WebSocket ws = connect(vertx, key, messages);
            for (int i = 1; i <= 21; i++) {
                subscribe(ws, String.valueOf(i));
            }
            // one of them (the one registered last: they register concurrently) is over the per-connection cap of 20
            JsonObject refused = poll(messages, m -> m.getValue("payload") != null && !m.getString("type").equals("ping"));
            assertEquals(429, errorStatus(refused), refused.encode());

            long before = feedReads();
            Thread.sleep(3000);
            long reads = feedReads() - before;
            // 20 live subscriptions for 3 s at a 500 ms interval: about 6 reads in all (one per interval), not 120
            assertThat(reads, lessThanOrEqualTo(10L));

            Api.customer(key, "sub-1", Map.of("priceTier", "vip"));
            List<String> got = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                JsonObject m = poll(messages, x -> "next".equals(x.getString("type")));
                assertEquals("entered", m.getJsonObject("payload").getJsonObject("data").getJsonObject("membershipChanges").getString("kind"));
                got.add(m.getString("id"));
            }
            assertEquals(20, got.stream().distinct().count());
            assertTrue(!got.contains(refused.getString("id")), "the refused subscription delivered");
            ws.close();
        } finally {
            vertx.close();
        }
    }

    @Test
    void aRevokedKeyEndsItsSubscriptionsAndClosesTheSocket() throws Exception {
        var created = RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                .body(Map.of("name", "revoked-stream")).post("/admin/tenants").then().statusCode(201).extract().jsonPath();
        String key = created.getString("apiKey.key");
        as(key).body(Map.of("key", "vip", "name", "VIP", "rule", Map.of("field", "priceTier", "op", "eq", "value", "vip")))
                .post("/segments").then().statusCode(201);
        Vertx vertx = Vertx.vertx();
        LinkedBlockingQueue<JsonObject> messages = new LinkedBlockingQueue<>();
        try {
            WebSocket ws = connect(vertx, key, messages);
            CompletableFuture<Void> closed = new CompletableFuture<>();
            ws.closeHandler(v -> closed.complete(null));
            subscribe(ws, "1");
            Thread.sleep(1000);
            RestAssured.given().auth().oauth2(Api.ADMIN_KEY)
                    .delete("/admin/tenants/" + created.getLong("tenant.id") + "/keys/" + created.getLong("apiKey.id"))
                    .then().statusCode(200);
            JsonObject error = poll(messages, m -> "1".equals(m.getString("id")));
            assertEquals(403, errorStatus(error), error.encode());
            closed.get(10, TimeUnit.SECONDS);
            assertTrue(closed.isDone());
        } finally {
            vertx.close();
        }
    }

    private WebSocket connect(Vertx vertx, String key, LinkedBlockingQueue<JsonObject> messages) throws Exception {
        return GraphQLSocket.connect(vertx, graphql, key, messages);
    }

    /** The status of a subscription's error: graphql-transport-ws sends it as {@code next} with errors, or {@code error}. */
    private static int errorStatus(JsonObject message) {
        var payload = message.getValue("payload");
        var errors = payload instanceof io.vertx.core.json.JsonArray a ? a : ((JsonObject) payload).getJsonArray("errors");
        return errors.getJsonObject(0).getJsonObject("extensions").getInteger("status");
    }

    private static void subscribe(WebSocket ws, String id) {
        GraphQLSocket.subscribe(ws, id, "subscription { membershipChanges(segment: \"vip\") { segment kind customerExternalId } }");
    }

    private static JsonObject poll(LinkedBlockingQueue<JsonObject> messages, java.util.function.Predicate<JsonObject> wanted)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        List<String> seen = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            JsonObject m = messages.poll(1, TimeUnit.SECONDS);
            if (m != null && wanted.test(m)) {
                return m;
            }
            if (m != null) {
                seen.add(m.encode());
            }
        }
        assertNotNull(null, "no such message from the subscription; seen: " + seen);
        return null;
    }

    private long feedReads() {
        pool.query("create extension if not exists pg_stat_statements").execute().await().atMost(java.time.Duration.ofSeconds(30));
        return pool.preparedQuery("select coalesce(sum(calls), 0) from pg_stat_statements where query like $1")
                .execute(io.vertx.mutiny.sqlclient.Tuple.of(FEED_READ)).await().atMost(java.time.Duration.ofSeconds(10))
                .iterator().next().getLong(0);
    }
}
