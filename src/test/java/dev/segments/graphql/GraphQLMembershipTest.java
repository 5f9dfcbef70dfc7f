package dev.segments.graphql;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQL;
import dev.segments.support.GraphQLSocket;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Live membership over GraphQL: freshness, the changes feed, history, refresh, and the subscription. */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class GraphQLMembershipTest {

    @TestHTTPResource("/graphql")
    URI graphql;

    @Test
    void freshnessChangesHistoryAndRefresh() {
        String key = Api.newTenant();
        as(key).body(Map.of("key", "vip", "name", "VIP", "rule", Map.of("field", "priceTier", "op", "eq", "value", "vip")))
                .post("/segments").then().statusCode(201);
        Api.customer(key, "v1", Map.of("priceTier", "vip"));
        Api.customer(key, "v2", Map.of("priceTier", "vip"));
        GraphQL.query(key, """
                { segments { key freshness { live memberCount lastEvaluatedAt }
                    changes(first: 1) { items { segment kind cause customerExternalId cursor } nextCursor hasMore }
                    history { date size } } }""")
                .body("errors", nullValue())
                .body("data.segments[0].freshness.memberCount", equalTo(2))
                .body("data.segments[0].freshness.lastEvaluatedAt", notNullValue())
                .body("data.segments[0].changes.items.customerExternalId", contains("v1"))
                .body("data.segments[0].changes.hasMore", equalTo(true))
                .body("data.segments[0].history", hasSize(30))
                .body("data.segments[0].history[29].size", equalTo(2));
        GraphQL.query(key, "{ changes(first: 10) { items { kind customerExternalId cause } } }")
                .body("data.changes.items.customerExternalId", contains("v1", "v2"))
                .body("data.changes.items.cause", contains("data_write", "data_write"));
        GraphQL.query(key, "mutation { refreshSegment(key: \"vip\") { entered exited freshness { memberCount } } }")
                .body("data.refreshSegment.entered", equalTo(0))
                .body("data.refreshSegment.freshness.memberCount", equalTo(2));
        GraphQL.query(key, "mutation { refreshSegments { segment entered exited freshness { memberCount } } }")
                .body("data.refreshSegments.segment", hasItem("vip"))
                .body("data.refreshSegments.find { it.segment == 'vip' }.freshness.memberCount", equalTo(2));
        GraphQL.query(key, "query($at: DateTime!) { segment(key: \"vip\") { membersAt(at: $at) { items { externalId } } } }",
                        Map.of("at", "2000-01-01T00:00:00Z"))
                .body("data.segment.membersAt.items", hasSize(0));
    }

    /** graphql-transport-ws over the same endpoint, authenticated with the tenant's key on the upgrade request. */
    @Test
    void subscriptionDeliversEntriesAndExits() throws Exception {
        String key = Api.newTenant();
        as(key).body(Map.of("key", "vip", "name", "VIP", "rule", Map.of("field", "priceTier", "op", "eq", "value", "vip")))
                .post("/segments").then().statusCode(201);
        Vertx vertx = Vertx.vertx();
        LinkedBlockingQueue<JsonObject> messages = new LinkedBlockingQueue<>();
        try {
            WebSocket ws = GraphQLSocket.connect(vertx, graphql, key, messages);
            GraphQLSocket.subscribe(ws, "1",
                    "subscription { membershipChanges(segment: \"vip\") { segment kind cause customerExternalId cursor } }");
            Thread.sleep(1500); // the subscription starts at the current end of the feed

            Api.customer(key, "sub-1", Map.of("priceTier", "vip"));
            as(key).body(Map.of("priceTier", "low")).put("/customers/by-external-id/sub-1").then().statusCode(200);

            JsonObject entered = next(messages);
            JsonObject exited = next(messages);
            assertEquals("entered", entered.getString("kind"));
            assertEquals("sub-1", entered.getString("customerExternalId"));
            assertEquals("exited", exited.getString("kind"));
            assertEquals("data_write", exited.getString("cause"));
            ws.close();
        } finally {
            vertx.close();
        }
    }

    private static JsonObject next(LinkedBlockingQueue<JsonObject> messages) throws InterruptedException {
        JsonObject m = messages.poll(15, TimeUnit.SECONDS);
        assertNotNull(m, "no message from the subscription");
        assertEquals("next", m.getString("type"), m.encode());
        return m.getJsonObject("payload").getJsonObject("data").getJsonObject("membershipChanges");
    }
}
