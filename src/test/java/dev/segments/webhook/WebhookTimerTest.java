package dev.segments.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.Receiver;
import dev.segments.webhook.Feed.Tenant;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import dev.segments.support.OperatorSettings;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The dispatcher as deployed: started with the application, on its timer, nobody calling runOnce(). A backlog
 * of several batches drains without waiting a poll interval per batch, and a failing receiver gets the delivery
 * again on its own.
 */
@QuarkusTest
@TestProfile(OperatorSettings.class)
@WithTestResource(EmbeddedPostgresResource.class)
class WebhookTimerTest {

    @Inject
    Pool pool;

    @Test
    void theTimerDeliversOnItsOwnAndDrainsABacklog() throws Exception {
        Feed feed = new Feed(pool);
        Tenant t = feed.tenant(List.of("vip"), 12);
        try (Receiver receiver = new Receiver().failFirst(1, 500)) {
            long id = as(t.key()).body(Map.of("url", receiver.url())).post("/webhooks").then().statusCode(201)
                    .extract().jsonPath().getLong("id");
            List<Long> changes = feed.enter(t, "vip", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9", "c10",
                    "c11", "c12");

            // 12 changes = 3 batches of 4, the first attempt of the first one fails
            Feed.await(Duration.ofSeconds(15), "three deliveries", () -> as(t.key())
                    .get("/webhooks/" + id + "/deliveries").then().extract().jsonPath()
                    .getList("items.status").equals(List.of("delivered", "delivered", "delivered")));
            List<Long> received = new ArrayList<>();
            ObjectMapper json = new ObjectMapper();
            List<String> ids = new ArrayList<>();
            for (Receiver.Request r : receiver.requests()) {
                if (!ids.contains(r.id())) {
                    ids.add(r.id());
                    json.readTree(r.body()).get("changes").forEach(c -> received.add(c.get("id").asLong()));
                }
            }
            assertEquals(changes, received);
            assertEquals(4, receiver.requests().size());
            as(t.key()).get("/webhooks/" + id).then().body("lastChangeId", equalTo(changes.get(11).intValue()));
        } finally {
            feed.sql("delete from webhook_subscription");
        }
    }
}
