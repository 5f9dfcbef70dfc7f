package dev.segments.graphql;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQLSocket;
import dev.segments.support.Node;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static dev.segments.support.Api.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A browser cannot set headers on a WebSocket upgrade: a subscription socket authenticates with the key in its
 * connection_init payload (issue 13), refused keys close it with 4403, and a socket that never authenticates is
 * closed after segments.subscriptions.auth-timeout (issue 12: every connection is bounded).
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class SubscriptionConnectionInitTest {

    @TestHTTPResource("/graphql")
    URI graphql;

    private Vertx vertx;
    private final LinkedBlockingQueue<JsonObject> messages = new LinkedBlockingQueue<>();
    private final CompletableFuture<Integer> closed = new CompletableFuture<>();

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() {
        vertx.close();
    }

    @Test
    void theKeyInConnectionInitAuthenticatesTheSocket() throws Exception {
        String key = Api.newTenant();
        as(key).body(Map.of("key", "vip", "name", "VIP", "rule", Map.of("field", "priceTier", "op", "eq", "value", "vip")))
                .post("/segments").then().statusCode(201);
        WebSocket ws = GraphQLSocket.open(vertx, graphql, null, messages, closed);
        GraphQLSocket.init(ws, new JsonObject().put("Authorization", "Bearer " + key));
        assertEquals("connection_ack", next().getString("type"));
        GraphQLSocket.subscribe(ws, "1", "subscription { membershipChanges(segment: \"vip\") { kind customerExternalId } }");
        Thread.sleep(1500); // the subscription starts at the current end of the feed
        Api.customer(key, "browser-1", Map.of("priceTier", "vip"));
        JsonObject event = next();
        assertEquals("next", event.getString("type"), event.encode());
        JsonObject change = event.getJsonObject("payload").getJsonObject("data").getJsonObject("membershipChanges");
        assertEquals("entered", change.getString("kind"));
        assertEquals("browser-1", change.getString("customerExternalId"));
        // authenticated in time: the auth timeout (1 s in tests) does not close it
        Thread.sleep(1500);
        assertEquals(false, closed.isDone());
        ws.close();
    }

    /** The same with the real client: graphql-ws in node, the key in connectionParams. */
    @Test
    void graphqlWsWithConnectionParamsReceivesAnEnteredEvent() {
        String key = Api.newTenant();
        as(key).body(Map.of("key", "vip", "name", "VIP", "rule", Map.of("field", "priceTier", "op", "eq", "value", "vip")))
                .post("/segments").then().statusCode(201);
        Node.Result result = Node.run("graphql/subscription-connection-params.mjs",
                Map.of("API_KEY", key, "SEGMENT", "vip", "EXTERNAL_ID", "graphql-ws-1"));
        assertEquals(0, result.exitCode(), result.describe());
        JsonObject change = new JsonObject(result.lastLine());
        assertEquals("entered", change.getString("kind"));
        assertEquals("graphql-ws-1", change.getString("customerExternalId"));
    }

    /**
     * graphql-ws, retrying as it does by default, while its key is revoked: the subscription gets a 403 error and
     * the socket is closed; the reconnect is refused with 4403, after which graphql-ws stops for good.
     */
    @Test
    void graphqlWsStopsWith4403WhenItsKeyIsRevoked() {
        var created = RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                .body(Map.of("name", "revoked-graphql-ws")).post("/admin/tenants").then().statusCode(201).extract().jsonPath();
        String key = created.getString("apiKey.key");
        as(key).body(Map.of("key", "vip", "name", "VIP", "rule", Map.of("field", "priceTier", "op", "eq", "value", "vip")))
                .post("/segments").then().statusCode(201);
        Node.Result result = Node.run("graphql/subscription-revoked.mjs", Map.of("API_KEY", key, "ADMIN_KEY", Api.ADMIN_KEY,
                "TENANT_ID", created.getString("tenant.id"), "KEY_ID", created.getString("apiKey.id"), "SEGMENT", "vip"));
        assertEquals(0, result.exitCode(), result.describe());
        JsonObject seen = new JsonObject(result.lastLine());
        assertEquals(true, seen.getJsonArray("errors").contains(403), result.describe());
        var codes = seen.getJsonArray("closeCodes");
        assertEquals(4403, codes.getInteger(codes.size() - 1), result.describe());
    }

    @Test
    void anInvalidKeyInConnectionInitClosesWith4403() throws Exception {
        WebSocket ws = GraphQLSocket.open(vertx, graphql, null, messages, closed);
        GraphQLSocket.init(ws, new JsonObject().put("Authorization", "Bearer sk_not-a-key"));
        assertEquals(4403, closed.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aRevokedKeyCannotReconnect() throws Exception {
        var created = RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                .body(Map.of("name", "revoked-browser")).post("/admin/tenants").then().statusCode(201).extract().jsonPath();
        RestAssured.given().auth().oauth2(Api.ADMIN_KEY)
                .delete("/admin/tenants/" + created.getLong("tenant.id") + "/keys/" + created.getLong("apiKey.id"))
                .then().statusCode(200);
        WebSocket ws = GraphQLSocket.open(vertx, graphql, null, messages, closed);
        GraphQLSocket.init(ws, new JsonObject().put("Authorization", "Bearer " + created.getString("apiKey.key")));
        assertEquals(4403, closed.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aKeyOnTheUpgradeAndInConnectionInitClosesWith4400() throws Exception {
        String key = Api.newTenant();
        WebSocket ws = GraphQLSocket.open(vertx, graphql, key, messages, closed);
        GraphQLSocket.init(ws, new JsonObject().put("Authorization", "Bearer " + key));
        assertEquals(4400, closed.get(10, TimeUnit.SECONDS));
    }

    @Test
    void aSocketWithoutAKeyCanDoNothingAndIsClosedAfterTheAuthTimeout() throws Exception {
        WebSocket ws = GraphQLSocket.open(vertx, graphql, null, messages, closed);
        GraphQLSocket.init(ws, null);
        assertEquals("connection_ack", next().getString("type"));
        GraphQLSocket.subscribe(ws, "1", "subscription { membershipChanges(segment: \"vip\") { kind } }");
        JsonObject refused = next();
        assertEquals("1", refused.getString("id"), refused.encode());
        assertEquals(true, refused.encode().contains("401"), refused.encode());
        assertNotNull(closed.get(10, TimeUnit.SECONDS));
    }

    private JsonObject next() throws InterruptedException {
        JsonObject m = messages.poll(15, TimeUnit.SECONDS);
        assertNotNull(m, "no message on the socket");
        return m;
    }
}
