package dev.segments.activity;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class ActivityApiTest {

    @Test
    void purchasesFeedExactRollupsAndRetriesDoNotDoubleCount() {
        String key = Api.newTenant();
        long id = Api.customer(key, "r-1", Map.of());
        as(key).body("""
                {"customerId": %d, "externalId": "o-1", "occurredAt": "2026-01-10T10:00:00Z", "amount": 100.10,
                 "currency": "EUR", "product": "Pro", "category": "plans", "quantity": 1, "channel": "web"}""".formatted(id))
                .post("/purchases").then().statusCode(201).body("amount", equalTo(100.10f));
        // the same externalId again: nothing is written, the recorded item comes back
        as(key).body("""
                {"customerId": %d, "externalId": "o-1", "occurredAt": "2026-01-10T10:00:00Z", "amount": 100.10}""".formatted(id))
                .post("/purchases").then().statusCode(200);
        as(key).body("""
                {"items": [
                  {"customerExternalId": "r-1", "externalId": "o-2", "occurredAt": "2026-03-01T00:00:00+03:00", "amount": 0.20},
                  {"customerExternalId": "r-1", "externalId": "o-1", "occurredAt": "2026-01-10T10:00:00Z", "amount": 100.10},
                  {"customerExternalId": "r-1", "occurredAt": "2025-12-31T23:59:59Z", "amount": 9.70}]}""")
                .post("/purchases/batch").then().statusCode(200)
                .body("created", equalTo(2)).body("duplicates", equalTo(1))
                .body("items.status", contains("created", "duplicate", "created"));
        as(key).get("/customers/" + id).then().statusCode(200)
                .body("rollups.purchaseCount", equalTo(3))
                .body("rollups.totalSpend", equalTo(110.0f))
                .body("rollups.averageOrderValue", equalTo(36.6667f))
                .body("rollups.firstPurchaseAt", equalTo("2025-12-31T23:59:59Z"))
                .body("rollups.lastPurchaseAt", equalTo("2026-02-28T21:00:00Z"))
                .body("rollups.lastSeenAt", equalTo("2026-02-28T21:00:00Z"))
                .body("rollups.lastInteractionAt", nullValue());

        as(key).body("""
                {"customerId": %d, "occurredAt": "2026-04-01T09:00:00Z", "type": "consultation", "outcome": "done"}""".formatted(id))
                .post("/interactions").then().statusCode(201);
        as(key).body("""
                {"customerId": %d, "occurredAt": "2026-05-01T09:00:00Z", "name": "page_view", "properties": {"path": "/pricing"}}""".formatted(id))
                .post("/events").then().statusCode(201).body("properties.path", equalTo("/pricing"));
        as(key).get("/customers/" + id).then()
                .body("rollups.lastInteractionAt", equalTo("2026-04-01T09:00:00Z"))
                .body("rollups.lastSeenAt", equalTo("2026-05-01T09:00:00Z"));

        // deleting a purchase corrects the rollups
        long first = as(key).get("/customers/" + id + "/purchases").then().statusCode(200)
                .body("items.amount", contains(0.20f, 100.10f, 9.70f))
                .extract().jsonPath().getLong("items[1].id");
        as(key).delete("/purchases/" + first).then().statusCode(204);
        as(key).get("/customers/" + id).then().body("rollups.purchaseCount", equalTo(2))
                .body("rollups.totalSpend", equalTo(9.9f));
    }

    /**
     * lastSeenAt is the time of the customer's latest activity of any kind (purchase, interaction or event), as
     * docs/rule-language.md defines it: the rollup follows the latest of the three streams, also after a delete, and
     * a rule on it selects by that time. A profile write is not activity.
     */
    @Test
    void lastSeenAtIsTheLatestActivityOfAnyKind() {
        String key = Api.newTenant();
        long onlyEvent = Api.customer(key, "only-event", Map.of());
        long onlyInteraction = Api.customer(key, "only-interaction", Map.of());
        long mixed = Api.customer(key, "mixed", Map.of());
        long quiet = Api.customer(key, "quiet", Map.of());
        as(key).body("""
                {"customerId": %d, "occurredAt": "2026-03-05T08:00:00Z", "name": "login"}""".formatted(onlyEvent))
                .post("/events").then().statusCode(201);
        as(key).body("""
                {"customerId": %d, "occurredAt": "2026-03-04T08:00:00Z", "type": "call"}""".formatted(onlyInteraction))
                .post("/interactions").then().statusCode(201);
        as(key).body("""
                {"customerId": %d, "occurredAt": "2026-02-01T10:00:00Z", "amount": 5}""".formatted(mixed))
                .post("/purchases").then().statusCode(201);
        as(key).body("""
                {"customerId": %d, "occurredAt": "2026-01-01T10:00:00Z", "type": "email"}""".formatted(mixed))
                .post("/interactions").then().statusCode(201);
        as(key).body("""
                {"customerId": %d, "occurredAt": "2026-01-15T10:00:00Z", "name": "login"}""".formatted(mixed))
                .post("/events").then().statusCode(201);
        as(key).get("/customers/" + onlyEvent).then().body("rollups.lastSeenAt", equalTo("2026-03-05T08:00:00Z"));
        as(key).get("/customers/" + onlyInteraction).then().body("rollups.lastSeenAt", equalTo("2026-03-04T08:00:00Z"));
        as(key).get("/customers/" + mixed).then().body("rollups.lastSeenAt", equalTo("2026-02-01T10:00:00Z"));
        as(key).get("/customers/" + quiet).then().body("rollups.lastSeenAt", nullValue());

        // a newer event moves it; deleting that event moves it back to the latest remaining activity
        long newer = as(key).body("""
                {"customerId": %d, "occurredAt": "2026-03-10T10:00:00Z", "name": "page_view"}""".formatted(mixed))
                .post("/events").then().statusCode(201).extract().jsonPath().getLong("id");
        as(key).get("/customers/" + mixed).then().body("rollups.lastSeenAt", equalTo("2026-03-10T10:00:00Z"));
        String after = """
                {"rule": {"field": "lastSeenAt", "op": "after", "value": "2026-03-04T12:00:00Z"}}""";
        as(key).body(after).post("/segments/preview").then().statusCode(200)
                .body("count", equalTo(2)).body("sample.externalId", containsInAnyOrder("only-event", "mixed"));
        as(key).delete("/events/" + newer).then().statusCode(204);
        as(key).get("/customers/" + mixed).then().body("rollups.lastSeenAt", equalTo("2026-02-01T10:00:00Z"));
        as(key).body(after).post("/segments/preview").then().statusCode(200)
                .body("count", equalTo(1)).body("sample.externalId", contains("only-event"));
        as(key).body("""
                {"rule": {"field": "lastSeenAt", "op": "isNotSet"}}""").post("/segments/preview").then().statusCode(200)
                .body("count", equalTo(1)).body("sample.externalId", contains("quiet"));
        // the field catalog says so
        as(key).get("/fields").then().statusCode(200).body("customer.find { it.name == 'lastSeenAt' }.description",
                equalTo("time of the customer's latest activity of any kind (purchase, interaction or event) (rollup)"));
    }

    @Test
    void aBatchIsValidatedWholeAndWrittenAllOrNothing() {
        String key = Api.newTenant();
        long id = Api.customer(key, "b-1", Map.of());
        as(key).body("""
                {"items": [
                  {"customerId": %d, "occurredAt": "2026-01-10T10:00:00Z", "amount": 5},
                  {"customerId": %d, "amount": 5},
                  {"occurredAt": "2026-01-10T10:00:00Z", "amount": 5},
                  {"customerId": %d, "customerExternalId": "b-1", "occurredAt": "2026-01-10T10:00:00Z"}]}""".formatted(id, id, id))
                .post("/purchases/batch").then().statusCode(422)
                .body("errors.pointer", hasItem("/items/1/occurredAt"))
                .body("errors.pointer", hasItem("/items/2/customerId"))
                .body("errors.pointer", hasItem("/items/3/customerId"))
                .body("errors.pointer", hasItem("/items/3/amount"));
        // a value of the wrong JSON type stops reading at that value
        as(key).body("""
                {"items": [{"customerId": %d, "occurredAt": "2026-01-10T10:00:00Z", "amount": "x"}]}""".formatted(id))
                .post("/purchases/batch").then().statusCode(422)
                .body("errors[0].pointer", equalTo("/items/0/amount"));
        as(key).body("""
                {"items": [
                  {"customerId": %d, "occurredAt": "2026-01-10T10:00:00Z", "amount": 5},
                  {"customerExternalId": "nobody", "occurredAt": "2026-01-10T10:00:00Z", "amount": 5}]}""".formatted(id))
                .post("/purchases/batch").then().statusCode(422)
                .body("errors[0].pointer", equalTo("/items/1/customerExternalId"))
                .body("errors[0].code", equalTo("unknown_customer"));
        as(key).get("/customers/" + id).then().body("rollups.purchaseCount", equalTo(0));
    }

    @Test
    void rollupsStayExactUnderConcurrentIngestForOneCustomer() throws Exception {
        String key = Api.newTenant();
        long id = Api.customer(key, "hot", Map.of());
        int writers = 8;
        int batches = 5;
        int perBatch = 10;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> futures = new java.util.ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                futures.add(pool.submit(() -> {
                    for (int b = 0; b < batches; b++) {
                        StringBuilder items = new StringBuilder();
                        for (int i = 0; i < perBatch; i++) {
                            if (i > 0) {
                                items.append(',');
                            }
                            // every item twice across writers: the external id keeps it counted once
                            String ext = "w" + (writer % (writers / 2)) + "-b" + b + "-i" + i;
                            items.append("""
                                    {"customerId": %d, "externalId": "%s", "occurredAt": "2026-02-%02dT10:00:00Z", "amount": 1.25}"""
                                    .formatted(id, ext, 1 + i));
                        }
                        as(key).body("{\"items\": [" + items + "]}").post("/purchases/batch").then().statusCode(200);
                        as(key).body("""
                                {"customerId": %d, "occurredAt": "2026-03-01T10:00:00Z", "type": "call"}""".formatted(id))
                                .post("/interactions").then().statusCode(201);
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        int distinct = (writers / 2) * batches * perBatch;
        var customer = as(key).get("/customers/" + id).then().statusCode(200).extract().jsonPath();
        assertEquals(distinct, customer.getInt("rollups.purchaseCount"));
        assertEquals(new java.math.BigDecimal("1.25").multiply(java.math.BigDecimal.valueOf(distinct)),
                new java.math.BigDecimal(customer.getString("rollups.totalSpend")).setScale(2));
        assertEquals("2026-02-01T10:00:00Z", customer.getString("rollups.firstPurchaseAt"));
        assertEquals("2026-03-01T10:00:00Z", customer.getString("rollups.lastSeenAt"));
    }

    @Test
    void idempotencyKeyReplaysTheFirstResponse() {
        String key = Api.newTenant();
        long id = Api.customer(key, "idem", Map.of());
        String idem = UUID.randomUUID().toString();
        String body = """
                {"customerId": %d, "occurredAt": "2026-01-10T10:00:00Z", "amount": 7}""".formatted(id);
        long first = as(key).header("Idempotency-Key", idem).body(body).post("/purchases").then().statusCode(201)
                .extract().jsonPath().getLong("id");
        long replay = as(key).header("Idempotency-Key", idem).body(body).post("/purchases").then().statusCode(201)
                .header("Idempotency-Replayed", "true").extract().jsonPath().getLong("id");
        assertEquals(first, replay);
        as(key).get("/customers/" + id).then().body("rollups.purchaseCount", equalTo(1));
        as(key).header("Idempotency-Key", idem).body("{\"name\": \"x\", \"entity\": \"customer\"}").post("/attributes")
                .then().statusCode(422).body("errors[0].code", equalTo("key_reused"));
    }

    @Test
    void activityPagesNewestFirst() {
        String key = Api.newTenant();
        long id = Api.customer(key, "pg", Map.of());
        StringBuilder items = new StringBuilder();
        for (int i = 1; i <= 5; i++) {
            items.append(i > 1 ? "," : "").append("""
                    {"customerId": %d, "occurredAt": "2026-01-0%dT00:00:00Z", "name": "e%d"}""".formatted(id, i, i));
        }
        as(key).body("{\"items\": [" + items + "]}").post("/events/batch").then().statusCode(200);
        var page1 = as(key).queryParam("limit", 2).get("/customers/" + id + "/events").then().statusCode(200)
                .body("items.name", contains("e5", "e4")).extract().jsonPath();
        var page2 = as(key).queryParam("limit", 2).queryParam("after", page1.getString("nextCursor"))
                .get("/customers/" + id + "/events").then().body("items.name", contains("e3", "e2")).extract().jsonPath();
        as(key).queryParam("limit", 2).queryParam("after", page2.getString("nextCursor"))
                .get("/customers/" + id + "/events").then().body("items.name", contains("e1"))
                .body("nextCursor", nullValue());
    }
}
