package dev.segments.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.Receiver;
import dev.segments.support.Receiver.Answer;
import dev.segments.webhook.Feed.Tenant;
import dev.segments.webhook.service.WebhookDispatcher.Cycle;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dispatcher against a local receiver and the real database, driven cycle by cycle with runOnce() (the timer
 * is off in tests; WebhookTimerTest covers it). Test settings: batches of 4, 500 ms request timeout, 300 ms
 * lease margin, 3 attempts, backoff 100 ms doubling up to 300 ms.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class WebhookDeliveryTest extends DispatcherFixture {

    static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    long subscribe(Tenant t, Map<String, ?> extra) {
        var body = new java.util.HashMap<String, Object>(extra);
        body.putIfAbsent("url", receiver.url());
        body.putIfAbsent("secret", SECRET);
        return as(t.key()).body(body).post("/webhooks").then().statusCode(201).extract().jsonPath().getLong("id");
    }

    // ------------------------------------------------------------------ delivery, signature, order

    @Test
    void deliversSignedBatchesOfChangesInFeedOrder() throws Exception {
        Tenant t = feed.tenant(List.of("vip"), 6);
        List<Long> before = feed.enter(t, "vip", "c1");
        long id = subscribe(t, Map.of());
        as(t.key()).get("/webhooks/" + id).then().statusCode(200).body("lastChangeId", equalTo(before.get(0).intValue()));

        List<Long> changes = feed.enter(t, "vip", "c2", "c3", "c4", "c5", "c6");
        List<Long> exited = feed.changes(t, "vip", "exited", "c2");
        List<Long> all = new ArrayList<>(changes);
        all.addAll(exited);

        assertEquals(new Cycle(1, 1, 1), cycle());
        assertEquals(new Cycle(1, 1, 1), cycle());
        assertEquals(new Cycle(0, 0, 0), cycle());

        List<Receiver.Request> got = receiver.requests();
        assertEquals(2, got.size());
        List<Long> received = new ArrayList<>();
        for (Receiver.Request r : got) {
            assertEquals("application/json", r.contentType());
            assertTrue(verify(SECRET, r), "signature of " + r.body());
            assertTrue(Math.abs(Long.parseLong(r.timestamp()) - Instant.now().getEpochSecond()) < 60);
            JsonNode body = JSON.readTree(r.body());
            assertEquals(r.id(), body.get("deliveryId").asText());
            assertEquals(id, body.get("subscriptionId").asLong());
            assertEquals("membership.changed", body.get("type").asText());
            assertEquals(body.get("changes").size(), body.get("count").asInt());
            body.get("changes").forEach(c -> received.add(c.get("id").asLong()));
        }
        // the change from before the subscription is not sent; the others arrive once each, in feed order
        assertEquals(all, received);
        JsonNode first = JSON.readTree(got.get(0).body());
        assertEquals(4, first.get("changes").size());
        JsonNode c = first.get("changes").get(0);
        assertEquals("vip", c.get("segment").asText());
        assertEquals(t.customer("c2"), c.get("customerId").asLong());
        assertTrue(c.get("customerExternalId").asText().endsWith("-2"));
        assertEquals("entered", c.get("kind").asText());
        assertEquals("static_edit", c.get("cause").asText());
        assertNotNull(OffsetDateTime.parse(c.get("at").asText()));
        JsonNode second = JSON.readTree(got.get(1).body());
        assertEquals("exited", second.get("changes").get(1).get("kind").asText());
        assertEquals(first.get("lastChangeId").asLong() + 1, second.get("firstChangeId").asLong());

        as(t.key()).get("/webhooks/" + id).then().statusCode(200)
                .body("lastChangeId", equalTo(exited.get(0).intValue()));

        // the delivery log, newest first, keyset-paginated
        JsonPath page1 = as(t.key()).get("/webhooks/" + id + "/deliveries?limit=1").then().statusCode(200)
                .body("items.size()", equalTo(1))
                .body("items[0].id", equalTo(got.get(1).id()))
                .body("items[0].status", equalTo("delivered"))
                .body("items[0].attempts", equalTo(1))
                .body("items[0].count", equalTo(2))
                .body("items[0].firstChangeId", equalTo(changes.get(4).intValue()))
                .body("items[0].lastChangeId", equalTo(exited.get(0).intValue()))
                .body("items[0].lastStatusCode", equalTo(200))
                .body("items[0].lastError", nullValue())
                .body("items[0].nextAttemptAt", nullValue())
                .body("items[0].payload", nullValue())
                .extract().jsonPath();
        assertNotNull(page1.getString("items[0].deliveredAt"));
        assertNotNull(page1.getString("items[0].createdAt"));
        as(t.key()).get("/webhooks/" + id + "/deliveries?limit=1&after=" + page1.getString("nextCursor"))
                .then().statusCode(200)
                .body("items.size()", equalTo(1))
                .body("items[0].id", equalTo(got.get(0).id()))
                .body("items[0].count", equalTo(4))
                .body("nextCursor", nullValue());
        as(t.key()).get("/webhooks/" + id + "/deliveries?after=garbage").then().statusCode(422)
                .body("errors[0].code", equalTo("invalid_cursor"));

        // one delivery with the exact payload sent
        String payload = as(t.key()).get("/webhooks/" + id + "/deliveries/" + got.get(0).id()).then().statusCode(200)
                .body("status", equalTo("delivered")).extract().jsonPath().prettify();
        assertEquals(JSON.readTree(got.get(0).body()), JSON.readTree(payload).get("payload"));
    }

    // ------------------------------------------------------------------ segment filter, cursor, from=beginning

    /** What receivers run: every delivery verifies with the official Standard Webhooks library (node). */
    @Test
    void theStandardWebhooksVerifierAcceptsEveryDelivery() throws Exception {
        Tenant t = feed.tenant(List.of("vip"), 5);
        subscribe(t, Map.of());
        feed.enter(t, "vip", "c1", "c2", "c3", "c4", "c5");
        assertEquals(new Cycle(1, 1, 1), cycle());
        assertEquals(new Cycle(1, 1, 1), cycle());
        List<Map<String, String>> deliveries = receiver.requests().stream().map(r -> Map.of("id", r.id(),
                "timestamp", r.timestamp(), "signature", r.signature(), "body", r.body())).toList();
        java.nio.file.Path file = java.nio.file.Files.createTempFile("deliveries", ".json");
        try {
            JSON.writeValue(file.toFile(), deliveries);
            dev.segments.support.Node.Result result = dev.segments.support.Node.run(
                    "webhooks/verify-standardwebhooks.mjs", Map.of("DELIVERIES", file.toString(), "SECRET", SECRET));
            assertEquals(0, result.exitCode(), result.describe());
            assertEquals(JSON.readTree("{\"verified\":2,\"refusedTampered\":4}"), JSON.readTree(result.lastLine()));
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void onlyChangesOfTheSubscribedSegmentsAreSentAndOthersAreSkipped() throws Exception {
        Tenant t = feed.tenant(List.of("vip", "churn"), 4);
        List<Long> old = feed.enter(t, "vip", "c4");
        long vipOnly = subscribe(t, Map.of("segments", List.of("vip")));
        try (Receiver everything = new Receiver()) {
            long all = subscribe(t, Map.of("url", everything.url(), "from", "beginning"));

            List<Long> ids = new ArrayList<>();
            ids.addAll(feed.changes(t, "churn", "entered", "c1"));
            ids.addAll(feed.enter(t, "vip", "c2"));
            ids.addAll(feed.changes(t, "churn", "exited", "c1"));
            ids.addAll(feed.enter(t, "vip", "c3"));
            ids.addAll(feed.changes(t, "churn", "entered", "c2"));

            cycle();
            assertEquals(1, receiver.requests().size());
            JsonNode vip = JSON.readTree(receiver.requests().get(0).body());
            assertEquals(List.of(ids.get(1), ids.get(3)), changeIds(vip));
            vip.get("changes").forEach(c -> assertEquals("vip", c.get("segment").asText()));
            // the cursor moved past the trailing churn change too
            as(t.key()).get("/webhooks/" + vipOnly).then().body("lastChangeId", equalTo(ids.get(4).intValue()));

            // from=beginning: the change from before the subscription comes first; 6 changes make 2 batches of 4 and 2
            cycle();
            cycle();
            List<Long> everyId = new ArrayList<>();
            for (Receiver.Request r : everything.requests()) {
                everyId.addAll(changeIds(JSON.readTree(r.body())));
            }
            List<Long> expected = new ArrayList<>(old);
            expected.addAll(ids);
            assertEquals(expected, everyId);
            assertEquals(2, everything.requests().size());
            as(t.key()).get("/webhooks/" + all + "/deliveries").then().body("items.count", equalTo(List.of(2, 4)));

            // only non-matching changes: no delivery, but the cursor moves on
            List<Long> churn = feed.changes(t, "churn", "exited", "c2");
            int before = receiver.requests().size();
            cycle();
            assertEquals(before, receiver.requests().size());
            as(t.key()).get("/webhooks/" + vipOnly).then().body("lastChangeId", equalTo(churn.get(0).intValue()));
            as(t.key()).get("/webhooks/" + vipOnly + "/deliveries").then().body("items.size()", equalTo(1));
        }
    }

    // ------------------------------------------------------------------ retries

    @Test
    void failedAttemptsAreRetriedWithBackoffUnderTheSameWebhookId() throws Exception {
        Tenant t = feed.tenant(List.of("vip"), 2);
        long id = subscribe(t, Map.of());
        receiver.failFirst(2, 500);
        List<Long> changes = feed.enter(t, "vip", "c1", "c2");

        assertEquals(new Cycle(1, 1, 0), cycle());
        JsonPath log = as(t.key()).get("/webhooks/" + id + "/deliveries").then().statusCode(200)
                .body("items[0].status", equalTo("pending"))
                .body("items[0].attempts", equalTo(1))
                .body("items[0].lastStatusCode", equalTo(500))
                .body("items[0].lastError", equalTo("HTTP 500"))
                .extract().jsonPath();
        OffsetDateTime due1 = OffsetDateTime.parse(log.getString("items[0].nextAttemptAt"));

        // while it is pending, changes wait in the feed: no second delivery is created
        List<Long> meanwhile = feed.changes(t, "vip", "exited", "c1");
        Feed.await(WAIT, "second attempt", () -> {
            Cycle c = cycle();
            assertEquals(0, c.created());
            return c.sent() == 1;
        });
        OffsetDateTime due2 = OffsetDateTime.parse(as(t.key()).get("/webhooks/" + id + "/deliveries").then()
                .body("items.size()", equalTo(1))
                .body("items[0].attempts", equalTo(2)).body("items[0].status", equalTo("pending"))
                .extract().jsonPath().getString("items[0].nextAttemptAt"));
        Instant secondAttempt = receiver.requests().get(1).receivedAt();
        // not sent before it was due, and the backoff doubles: ~100 ms after the first failure, ~200 ms after the
        // second (plus up to 10% jitter)
        assertTrue(!secondAttempt.isBefore(due1.toInstant().minusMillis(5)), "retried early");
        long wait1 = Duration.between(receiver.requests().get(0).receivedAt(), due1.toInstant()).toMillis();
        long wait2 = Duration.between(secondAttempt, due2.toInstant()).toMillis();
        assertTrue(wait1 >= 60 && wait1 < 200, "first backoff " + wait1);
        assertTrue(wait2 >= 160 && wait2 < 300, "second backoff " + wait2);

        Feed.await(WAIT, "third attempt", () -> cycle().delivered() == 1);
        List<Receiver.Request> got = receiver.requests();
        assertEquals(3, got.size());
        assertTrue(!got.get(2).receivedAt().isBefore(due2.toInstant().minusMillis(5)), "retried early");
        // every attempt: the same id and body, each freshly signed
        assertEquals(1, got.stream().map(Receiver.Request::id).distinct().count());
        assertEquals(1, got.stream().map(Receiver.Request::body).distinct().count());
        got.forEach(r -> assertTrue(verify(SECRET, r)));
        assertEquals(changes, changeIds(JSON.readTree(got.get(0).body())));
        as(t.key()).get("/webhooks/" + id + "/deliveries").then()
                .body("items[0].status", equalTo("delivered")).body("items[0].attempts", equalTo(3))
                .body("items[0].lastStatusCode", equalTo(200)).body("items[0].lastError", nullValue());

        // the change written while the first batch was retried comes next
        assertEquals(new Cycle(1, 1, 1), cycle());
        assertEquals(meanwhile, changeIds(JSON.readTree(receiver.requests().get(3).body())));
    }

    @Test
    void aReceiverThatHangsTimesOutAndGetsTheDeliveryAgain() {
        Tenant t = feed.tenant(List.of("vip"), 1);
        long id = subscribe(t, Map.of());
        receiver.respond(n -> n == 0 ? new Answer(200, Duration.ofSeconds(3)) : Answer.of(204));
        feed.enter(t, "vip", "c1");

        long start = System.nanoTime();
        assertEquals(new Cycle(1, 1, 0), cycle());
        long took = Duration.ofNanos(System.nanoTime() - start).toMillis();
        assertTrue(took < 2000, "the cycle waited " + took + " ms for a 500 ms timeout");
        as(t.key()).get("/webhooks/" + id + "/deliveries").then()
                .body("items[0].status", equalTo("pending"))
                .body("items[0].lastStatusCode", nullValue())
                .body("items[0].lastError", equalTo("timeout"));

        Feed.await(WAIT, "retry", () -> cycle().delivered() == 1);
        assertEquals(2, receiver.requests().size());
        assertEquals(receiver.requests().get(0).id(), receiver.requests().get(1).id());
        as(t.key()).get("/webhooks/" + id + "/deliveries").then()
                .body("items[0].status", equalTo("delivered")).body("items[0].lastStatusCode", equalTo(204));
    }

    @Test
    void afterTheLastAttemptADeliveryFailsTheNextOneProceedsAndAManualRetrySendsItFirst() throws Exception {
        Tenant t = feed.tenant(List.of("vip"), 3);
        long id = subscribe(t, Map.of());
        receiver.respond(n -> Answer.of(503));
        List<Long> first = feed.enter(t, "vip", "c1");

        Feed.await(WAIT, "three failed attempts", () -> {
            cycle();
            return "failed".equals(as(t.key()).get("/webhooks/" + id + "/deliveries").then().extract().path("items[0].status"));
        });
        assertEquals(3, receiver.requests().size());
        String failedId = receiver.requests().get(0).id();
        as(t.key()).get("/webhooks/" + id + "/deliveries").then()
                .body("items[0].id", equalTo(failedId))
                .body("items[0].attempts", equalTo(3))
                .body("items[0].lastStatusCode", equalTo(503))
                .body("items[0].nextAttemptAt", nullValue());
        cycle();
        assertEquals(3, receiver.requests().size(), "a failed delivery is not sent again by itself");

        // the subscription moves on: later changes make the next delivery (which fails once here)
        List<Long> second = feed.enter(t, "vip", "c2");
        assertEquals(new Cycle(1, 1, 0), cycle());
        String secondId = receiver.requests().get(3).id();
        assertEquals(second, changeIds(JSON.readTree(receiver.requests().get(3).body())));

        // retrying anything but a failed delivery is a conflict; unknown ids are 404
        as(t.key()).post("/webhooks/" + id + "/deliveries/" + secondId + "/retry").then().statusCode(409)
                .contentType("application/problem+json").body("type", equalTo("/problems/conflict"));
        as(t.key()).post("/webhooks/" + id + "/deliveries/" + java.util.UUID.randomUUID() + "/retry").then().statusCode(404);
        as(t.key()).post("/webhooks/" + id + "/deliveries/not-a-uuid/retry").then().statusCode(404)
                .contentType("application/problem+json");

        // a manual retry: a fresh set of attempts under the same id ...
        receiver.respond(n -> Answer.of(200));
        as(t.key()).post("/webhooks/" + id + "/deliveries/" + failedId + "/retry").then().statusCode(200)
                .body("id", equalTo(failedId)).body("status", equalTo("pending")).body("attempts", equalTo(0));
        // ... sent before the later pending delivery, even once that one is due too
        Thread.sleep(150);
        assertEquals(new Cycle(0, 1, 1), cycle());
        assertEquals(failedId, receiver.requests().get(4).id());
        assertEquals(first, changeIds(JSON.readTree(receiver.requests().get(4).body())));
        assertEquals(new Cycle(0, 1, 1), cycle());
        assertEquals(secondId, receiver.requests().get(5).id());
        as(t.key()).get("/webhooks/" + id + "/deliveries/" + failedId).then()
                .body("status", equalTo("delivered")).body("attempts", equalTo(1));
        as(t.key()).get("/webhooks/" + id + "/deliveries").then()
                .body("items.status", equalTo(List.of("delivered", "delivered")));
    }

    // ------------------------------------------------------------------ a restart mid-delivery

    /**
     * The instance stops after claiming deliveries: one before its HTTP call, one after the receiver got it but
     * before the outcome was recorded (runOnce's steps are called one by one, and the rest is never run). Nothing
     * is lost: both are still pending, are left alone while leased, and the next cycle after the lease sends them
     * again with the same Webhook-Id, so the receiver can drop the one it already has. Changes written meanwhile
     * follow in order.
     */
    @Test
    void deliveriesClaimedByAnInstanceThatStoppedAreSentAgainAfterTheLease() throws Exception {
        Tenant a = feed.tenant(List.of("vip"), 3);
        Tenant b = feed.tenant(List.of("vip"), 3);
        long idA = subscribe(a, Map.of());
        long idB = subscribe(b, Map.of());
        List<Long> changesA = feed.enter(a, "vip", "c1", "c2");
        List<Long> changesB = feed.enter(b, "vip", "c1");

        // the "old instance": claims both, gets one out to the receiver, then dies
        assertEquals(2, dispatcher.enqueue().await().atMost(WAIT));
        var claimed = dispatcher.claim(10).await().atMost(WAIT);
        assertEquals(2, claimed.size());
        var sentOne = claimed.stream().filter(d -> d.subscriptionId() == idA).findFirst().orElseThrow();
        assertTrue(dispatcher.send(sentOne).await().atMost(WAIT).ok());
        assertEquals(1, receiver.requests().size());

        // the "new instance": nothing is due while the lease (500 ms timeout + 300 ms margin) lasts
        assertEquals(Duration.ofMillis(800), dispatcher.lease());
        assertEquals(new Cycle(0, 0, 0), cycle());
        assertEquals(1, receiver.requests().size());

        for (long id : List.of(idA, idB)) {
            Tenant t = id == idA ? a : b;
            JsonPath d = as(t.key()).get("/webhooks/" + id + "/deliveries").then()
                    .body("items[0].status", equalTo("pending")).body("items[0].attempts", equalTo(1))
                    .extract().jsonPath();
            assertTrue(OffsetDateTime.parse(d.getString("items[0].nextAttemptAt")).isAfter(OffsetDateTime.now()),
                    "leased");
        }

        // changes keep coming while it is down
        List<Long> laterA = feed.enter(a, "vip", "c3");

        // after the lease both are sent again
        Instant leaseEnd = OffsetDateTime.parse(as(a.key()).get("/webhooks/" + idA + "/deliveries").then().extract()
                .path("items[0].nextAttemptAt")).toInstant();
        Feed.await(WAIT, "the lease to end", () -> cycle().delivered() == 2);
        List<Receiver.Request> got = receiver.requests();
        assertEquals(3, got.size());
        assertTrue(!got.get(1).receivedAt().isBefore(leaseEnd.minusMillis(5)), "sent again before the lease ended");
        assertEquals(2, got.stream().filter(r -> r.id().equals(got.get(0).id())).count(),
                "the delivery the receiver already had comes again under the same id");
        assertEquals(1, got.stream().filter(r -> r.id().equals(got.get(0).id())).map(Receiver.Request::body).distinct().count());
        assertEquals(2, new LinkedHashSet<>(got.stream().map(Receiver.Request::id).toList()).size());
        as(a.key()).get("/webhooks/" + idA + "/deliveries").then()
                .body("items[0].status", equalTo("delivered")).body("items[0].attempts", equalTo(2));
        as(b.key()).get("/webhooks/" + idB + "/deliveries").then()
                .body("items[0].status", equalTo("delivered")).body("items[0].attempts", equalTo(2));

        // then what was written meanwhile: after dedup by Webhook-Id, every change exactly once, in order per tenant
        assertEquals(new Cycle(1, 1, 1), cycle());
        List<Long> seenA = new ArrayList<>();
        List<Long> seenB = new ArrayList<>();
        var ids = new LinkedHashSet<String>();
        for (Receiver.Request r : receiver.requests()) {
            if (ids.add(r.id())) {
                JsonNode body = JSON.readTree(r.body());
                (body.get("subscriptionId").asLong() == idA ? seenA : seenB).addAll(changeIds(body));
            }
        }
        List<Long> expectedA = new ArrayList<>(changesA);
        expectedA.addAll(laterA);
        assertEquals(expectedA, seenA);
        assertEquals(changesB, seenB);
    }

    // ------------------------------------------------------------------ pause and resume

    @Test
    void aPausedSubscriptionKeepsItsPlaceAndCatchesUpWhenResumed() throws Exception {
        Tenant t = feed.tenant(List.of("vip"), 2);
        long id = subscribe(t, Map.of());
        as(t.key()).body(Map.of("active", false)).patch("/webhooks/" + id).then().statusCode(200)
                .body("active", equalTo(false));
        List<Long> changes = feed.enter(t, "vip", "c1", "c2");
        assertEquals(new Cycle(0, 0, 0), cycle());
        assertTrue(receiver.requests().isEmpty());

        as(t.key()).body(Map.of("active", true)).patch("/webhooks/" + id).then().statusCode(200);
        assertEquals(new Cycle(1, 1, 1), cycle());
        assertEquals(changes, changeIds(JSON.readTree(receiver.requests().get(0).body())));
    }

    /** End to end: data writes and a rule edit move customers of a dynamic segment; each move reaches the receiver. */
    @Test
    void dynamicSegmentMovesReachTheReceiver() throws Exception {
        Tenant t = feed.tenant(List.of(), 2);
        subscribe(t, Map.of());
        as(t.key()).body(Map.of("key", "moscow", "name", "Moscow", "rule", Map.of("field", "region", "op", "eq", "value", "Moscow")))
                .post("/segments").then().statusCode(201);
        long c1 = t.customer("c1");
        as(t.key()).contentType("application/merge-patch+json").body("{\"region\": \"Moscow\"}").patch("/customers/" + c1)
                .then().statusCode(200);
        as(t.key()).contentType("application/merge-patch+json").body("{\"region\": \"Omsk\"}").patch("/customers/" + c1)
                .then().statusCode(200);
        cycle();
        cycle();
        List<String> moves = new java.util.ArrayList<>();
        for (Receiver.Request r : receiver.requests()) {
            JSON.readTree(r.body()).get("changes").forEach(c -> moves.add(c.get("kind").asText() + ":" + c.get("cause").asText()));
        }
        assertEquals(List.of("entered:data_write", "exited:data_write"), moves);
    }

    @Test
    void deliveriesGoToTheTenantsOwnSubscriptionsOnly() throws Exception {
        Tenant a = feed.tenant(List.of("vip"), 1);
        Tenant b = feed.tenant(List.of("vip"), 2);
        subscribe(a, Map.of("from", "beginning"));
        feed.enter(b, "vip", "c1");
        List<Long> mine = feed.enter(a, "vip", "c1");
        feed.enter(b, "vip", "c2");
        cycle();
        cycle();
        assertEquals(1, receiver.requests().size());
        assertEquals(mine, changeIds(JSON.readTree(receiver.requests().get(0).body())));
    }

    // ------------------------------------------------------------------ helpers

    static List<Long> changeIds(JsonNode body) {
        return StreamSupport.stream(body.get("changes").spliterator(), false).map(c -> c.get("id").asLong()).toList();
    }

    /**
     * What a Standard Webhooks receiver does (written independently of the service's code): base64 HMAC-SHA256,
     * keyed with the base64-decoded secret after whsec_, of "id.timestamp.body".
     */
    static boolean verify(String secret, Receiver.Request r) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(java.util.Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
            String expected = "v1," + java.util.Base64.getEncoder().encodeToString(
                    mac.doFinal((r.id() + "." + r.timestamp() + "." + r.body()).getBytes(StandardCharsets.UTF_8)));
            return java.security.MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                    r.signature().getBytes(StandardCharsets.UTF_8));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
