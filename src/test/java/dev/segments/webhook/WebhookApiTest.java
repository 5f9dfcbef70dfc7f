package dev.segments.webhook;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQL;
import dev.segments.webhook.Feed.Tenant;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasKey;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.nullValue;

/** The webhooks API over REST and GraphQL: subscriptions, validation, the delivery log, tenant isolation. */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class WebhookApiTest {

    /** Nothing listens there; the dispatcher is not run by these tests anyway. */
    static final String URL = "http://127.0.0.1:9/hook";

    @Inject
    Pool pool;

    Feed feed;

    @BeforeEach
    void setUp() {
        feed = new Feed(pool);
    }

    @AfterEach
    void tearDown() {
        feed.sql("delete from webhook_subscription");
    }

    /** A Standard Webhooks secret: whsec_ and the base64 of 24 bytes. */
    static final String CHOSEN_SECRET = "whsec_" + java.util.Base64.getEncoder().encodeToString("0123456789abcdefghijklmn".getBytes());

    @Test
    void createReadUpdateDelete() {
        Tenant t = feed.tenant(List.of("vip", "churn"), 1);
        List<Long> existing = feed.changes(t, "vip", "entered", "c1");

        // without a secret one is generated, and shown only in this response
        var created = as(t.key()).body(Map.of("url", URL, "segments", List.of("vip", "vip", "churn")))
                .post("/webhooks").then().statusCode(201)
                .header("Location", matchesPattern(".*/webhooks/\\d+"))
                .body("url", equalTo(URL))
                .body("segments", equalTo(List.of("vip", "churn")))
                .body("active", equalTo(true))
                .body("lastChangeId", equalTo(existing.get(0).intValue()))
                .body("secret", matchesPattern("whsec_[A-Za-z0-9+/]{43}="))
                .body("createdAt", notNullValue())
                .extract().jsonPath();
        long id = created.getLong("id");
        String secret = created.getString("secret");
        assertSecretStored(id, secret);

        as(t.key()).get("/webhooks/" + id).then().statusCode(200)
                .body("id", equalTo((int) id)).body("$", not(hasKey("secret")));
        as(t.key()).get("/webhooks").then().statusCode(200)
                .body("items.id", equalTo(List.of((int) id))).body("items[0]", not(hasKey("secret")));

        // a chosen secret; from=beginning starts before every change
        long second = as(t.key()).body(Map.of("url", "https://example.com/x?y=1", "secret", CHOSEN_SECRET, "from", "beginning"))
                .post("/webhooks").then().statusCode(201)
                .body("secret", equalTo(CHOSEN_SECRET)).body("lastChangeId", equalTo(0)).body("segments", empty())
                .extract().jsonPath().getLong("id");

        // keyset pages in id order
        String next = as(t.key()).get("/webhooks?limit=1").then().statusCode(200)
                .body("items.id", equalTo(List.of((int) id))).body("nextCursor", notNullValue())
                .extract().path("nextCursor");
        as(t.key()).get("/webhooks?limit=1&after=" + next).then().statusCode(200)
                .body("items.id", equalTo(List.of((int) second))).body("nextCursor", nullValue());

        // PATCH changes only what is given; an empty segment list means every segment; the position stays
        as(t.key()).body(Map.of("url", "https://example.org/hook", "active", false)).patch("/webhooks/" + id)
                .then().statusCode(200)
                .body("url", equalTo("https://example.org/hook")).body("active", equalTo(false))
                .body("segments", equalTo(List.of("vip", "churn")))
                .body("lastChangeId", equalTo(existing.get(0).intValue()))
                .body("$", not(hasKey("secret")));
        as(t.key()).contentType("application/merge-patch+json").body(Map.of("segments", List.of()))
                .patch("/webhooks/" + id).then().statusCode(200)
                .body("segments", empty()).body("active", equalTo(false)).body("url", equalTo("https://example.org/hook"));
        as(t.key()).body(Map.of("secret", "whsec_" + "B".repeat(32))).patch("/webhooks/" + id).then().statusCode(200)
                .body("$", not(hasKey("secret")));
        // a chosen secret must have the Standard Webhooks form, so that every verifier can load it
        as(t.key()).body(Map.of("secret", "s".repeat(16))).patch("/webhooks/" + id).then().statusCode(422)
                .body("errors[0].pointer", equalTo("/secret")).body("errors[0].code", equalTo("invalid_secret"));
        assertSecretStored(id, "whsec_" + "B".repeat(32));

        // delete takes the delivery log along
        as(t.key()).delete("/webhooks/" + id).then().statusCode(204);
        as(t.key()).get("/webhooks/" + id).then().statusCode(404)
                .contentType("application/problem+json").body("type", equalTo("/problems/not-found"));
        as(t.key()).get("/webhooks/" + id + "/deliveries").then().statusCode(404);
        as(t.key()).delete("/webhooks/" + id).then().statusCode(404);
        as(t.key()).get("/webhooks").then().body("items.id", equalTo(List.of((int) second)));
    }

    @Test
    void invalidBodiesAre422ProblemsWithPointers() {
        Tenant t = feed.tenant(List.of("vip"), 1);
        as(t.key()).body(Map.of("url", "ftp://example.com/x", "segments", List.of("vip", "nope", "Bad Key"),
                        "secret", "short", "from", "yesterday"))
                .post("/webhooks").then().statusCode(422)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/validation"))
                .body("errors.pointer", equalTo(List.of("/from", "/secret", "/segments/1", "/segments/2", "/url")))
                .body("errors.code", equalTo(List.of("invalid_format", "out_of_range", "unknown_segment",
                        "invalid_format", "invalid_url")));
        as(t.key()).body(Map.of("segments", List.of())).post("/webhooks").then().statusCode(422)
                .body("errors[0].pointer", equalTo("/url")).body("errors[0].code", equalTo("required"));
        for (String url : List.of("not a url", "example.com/hook", "http:///path", "https://user:pw@example.com/",
                "https://example.com/#frag", "javascript:alert(1)")) {
            as(t.key()).body(Map.of("url", url)).post("/webhooks").then().statusCode(422)
                    .body("errors[0].pointer", equalTo("/url")).body("errors[0].code", equalTo("invalid_url"));
        }
        as(t.key()).body(Map.of("url", URL, "events", List.of())).post("/webhooks").then().statusCode(422)
                .body("errors[0].pointer", equalTo("/events")).body("errors[0].code", equalTo("unknown_property"));
        as(t.key()).body("{").post("/webhooks").then().statusCode(400)
                .contentType("application/problem+json");

        long id = as(t.key()).body(Map.of("url", URL)).post("/webhooks").then().statusCode(201)
                .extract().jsonPath().getLong("id");
        as(t.key()).body(Map.of("url", "mailto:x@example.com", "segments", List.of("gone"))).patch("/webhooks/" + id)
                .then().statusCode(422)
                .body("errors.pointer", equalTo(List.of("/segments/0", "/url")));
        as(t.key()).body(Map.of("active", "maybe")).patch("/webhooks/" + id).then().statusCode(422)
                .body("errors[0].pointer", equalTo("/active"));
        as(t.key()).get("/webhooks?limit=0").then().statusCode(422).body("errors[0].pointer", equalTo("limit"));
        as(t.key()).get("/webhooks/" + id + "/deliveries?limit=5000").then().statusCode(422);
    }

    @Test
    void anotherTenantsWebhooksAndDeliveriesAreNotFound() {
        Tenant a = feed.tenant(List.of("vip"), 1);
        Tenant b = feed.tenant(List.of("vip"), 1);
        long id = as(a.key()).body(Map.of("url", URL, "segments", List.of("vip"), "from", "beginning"))
                .post("/webhooks").then().statusCode(201).extract().jsonPath().getLong("id");
        feed.changes(a, "vip", "entered", "c1");
        String delivery = UUID.randomUUID().toString();
        feed.sql("""
                insert into webhook_delivery (id, subscription_id, tenant_id, first_change_id, last_change_id,
                                              change_count, body, status, attempts)
                values ($1::text::uuid, $2, $3, 1, 1, 1, '{}', 'failed', 3)""", delivery, id, a.id());

        as(b.key()).get("/webhooks").then().statusCode(200).body("items", empty());
        as(b.key()).get("/webhooks/" + id).then().statusCode(404).contentType("application/problem+json");
        as(b.key()).body(Map.of("active", false)).patch("/webhooks/" + id).then().statusCode(404);
        as(b.key()).delete("/webhooks/" + id).then().statusCode(404);
        as(b.key()).get("/webhooks/" + id + "/deliveries").then().statusCode(404);
        as(b.key()).get("/webhooks/" + id + "/deliveries/" + delivery).then().statusCode(404);
        as(b.key()).post("/webhooks/" + id + "/deliveries/" + delivery + "/retry").then().statusCode(404);
        // B's own webhook cannot reach A's delivery either
        long bId = as(b.key()).body(Map.of("url", URL)).post("/webhooks").then().statusCode(201)
                .extract().jsonPath().getLong("id");
        as(b.key()).get("/webhooks/" + bId + "/deliveries/" + delivery).then().statusCode(404);
        as(b.key()).post("/webhooks/" + bId + "/deliveries/" + delivery + "/retry").then().statusCode(404);
        GraphQL.query(b.key(), "{ webhook(id: " + id + ") { id } }").statusCode(200)
                .body("errors[0].extensions.code", equalTo("not_found"));
        GraphQL.query(b.key(), "mutation { deleteWebhook(id: " + id + ") }").statusCode(200)
                .body("errors[0].extensions.code", equalTo("not_found"));
        GraphQL.query(b.key(), "{ webhooks { nodes { id deliveries { nodes { id } } } } }").statusCode(200)
                .body("data.webhooks.nodes.id", equalTo(List.of(String.valueOf(bId))))
                .body("data.webhooks.nodes[0].deliveries.nodes", empty());

        // A still has everything, and B's requests changed nothing
        as(a.key()).get("/webhooks/" + id).then().statusCode(200).body("active", equalTo(true));
        as(a.key()).get("/webhooks/" + id + "/deliveries").then().statusCode(200)
                .body("items.id", equalTo(List.of(delivery))).body("items[0].status", equalTo("failed"));
        as(a.key()).post("/webhooks/" + id + "/deliveries/" + delivery + "/retry").then().statusCode(200)
                .body("status", equalTo("pending"));
        Api.as(a.key()).get("/webhooks/" + id + "/deliveries/" + delivery).then().statusCode(200)
                .body("payload", equalTo(Map.of()));
    }

    @Test
    void graphQLWebhooksWithTheirDeliveryLogs() {
        Tenant t = feed.tenant(List.of("vip"), 1);
        var created = GraphQL.query(t.key(), """
                        mutation($url: String!) {
                          createWebhook(input: {url: $url, segments: ["vip"]}) { secret webhook { id url segments active } }
                        }""", Map.of("url", URL)).statusCode(200)
                .body("errors", nullValue())
                .body("data.createWebhook.secret", matchesPattern("whsec_[A-Za-z0-9+/]{43}="))
                .body("data.createWebhook.webhook.segments", equalTo(List.of("vip")))
                .extract().jsonPath();
        String id = created.getString("data.createWebhook.webhook.id");
        long other = as(t.key()).body(Map.of("url", URL)).post("/webhooks").then().statusCode(201)
                .extract().jsonPath().getLong("id");

        // three deliveries for the first webhook, one for the other, inserted as the dispatcher would
        for (int i = 1; i <= 3; i++) {
            feed.sql("""
                    insert into webhook_delivery (id, subscription_id, tenant_id, first_change_id, last_change_id,
                                                  change_count, body, status, created_at)
                    values (gen_random_uuid(), $1, $2, $3, $3, 1, '{}', 'delivered', now() + $3 * interval '1 second')""",
                    Long.parseLong(id), t.id(), i);
        }
        feed.sql("""
                insert into webhook_delivery (id, subscription_id, tenant_id, first_change_id, last_change_id,
                                              change_count, body, status)
                values (gen_random_uuid(), $1, $2, 1, 1, 1, '{}', 'pending')""", other, t.id());

        var page = GraphQL.query(t.key(), """
                        { webhooks { nodes { id deliveries(first: 2) { nodes { status firstChangeId attempts }
                                                                       pageInfo { hasNextPage endCursor } } } } }""")
                .statusCode(200).body("errors", nullValue())
                .body("data.webhooks.nodes[0].id", equalTo(id))
                .body("data.webhooks.nodes[0].deliveries.nodes.firstChangeId", equalTo(List.of(3, 2)))
                .body("data.webhooks.nodes[0].deliveries.pageInfo.hasNextPage", equalTo(true))
                .body("data.webhooks.nodes[1].deliveries.nodes.status", equalTo(List.of("pending")))
                .body("data.webhooks.nodes[1].deliveries.pageInfo.hasNextPage", equalTo(false))
                .extract().jsonPath();
        String after = page.getString("data.webhooks.nodes[0].deliveries.pageInfo.endCursor");
        GraphQL.query(t.key(), "query($id: ID!, $after: String) { webhook(id: $id) { deliveries(first: 2, after: $after) "
                        + "{ nodes { firstChangeId } pageInfo { hasNextPage } } } }", Map.of("id", id, "after", after))
                .statusCode(200).body("errors", nullValue())
                .body("data.webhook.deliveries.nodes.firstChangeId", equalTo(List.of(1)))
                .body("data.webhook.deliveries.pageInfo.hasNextPage", equalTo(false));

        GraphQL.query(t.key(), "mutation($id: ID!) { updateWebhook(id: $id, input: {active: false, segments: []}) "
                        + "{ active segments url } }", Map.of("id", id)).statusCode(200)
                .body("errors", nullValue())
                .body("data.updateWebhook.active", equalTo(false))
                .body("data.updateWebhook.segments", empty())
                .body("data.updateWebhook.url", equalTo(URL));

        // errors carry the same problem details as REST
        GraphQL.query(t.key(), "mutation { createWebhook(input: {url: \"ftp://x\", segments: [\"nope\"]}) { secret } }")
                .statusCode(200)
                .body("errors[0].extensions.type", equalTo("/problems/validation"))
                .body("errors[0].extensions.pointer", equalTo("/segments/0"))
                .body("errors[0].extensions.errors.pointer", equalTo(List.of("/segments/0", "/url")));
        GraphQL.query(t.key(), "mutation($id: ID!) { retryWebhookDelivery(webhookId: $id, deliveryId: \""
                        + UUID.randomUUID() + "\") { id } }", Map.of("id", id)).statusCode(200)
                .body("errors[0].extensions.code", equalTo("not_found"));

        GraphQL.query(t.key(), "mutation($id: ID!) { deleteWebhook(id: $id) }", Map.of("id", id)).statusCode(200)
                .body("data.deleteWebhook", equalTo(true));
        GraphQL.query(t.key(), "{ webhooks { nodes { id } } }").statusCode(200)
                .body("data.webhooks.nodes.id", equalTo(List.of(String.valueOf(other))));
        GraphQL.query(t.key(), "{ webhooks { nodes { id url } } }").statusCode(200)
                .body("data.webhooks.nodes[0].url", containsString("127.0.0.1"));
    }

    private void assertSecretStored(long id, String secret) {
        org.junit.jupiter.api.Assertions.assertEquals(secret,
                feed.one("select secret from webhook_subscription where id = $1", id).getString(0));
    }
}
