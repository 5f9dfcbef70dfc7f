package dev.segments.tracking;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static dev.segments.support.Api.as;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.containsInAnyOrder;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.nullValue;

/**
 * The tracking API with payloads in the exact shapes of the Segment Spec (docs/tracking.md), authenticated as CDP
 * pipelines do (the key as the Basic user name), on a real PostgreSQL.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class TrackingApiTest {

    /** A request as Segment sends it to a destination: Basic auth with the write key and an empty password. */
    static RequestSpecification segment(String key) {
        return RestAssured.given().header("Authorization", "Basic "
                        + Base64.getEncoder().encodeToString((key + ":").getBytes(StandardCharsets.UTF_8)))
                .contentType("application/json");
    }

    private static JsonPath customer(String key, String externalId) {
        return as(key).get("/customers/by-external-id/" + externalId).then().statusCode(200).extract().jsonPath();
    }

    private static long customerId(String key, String externalId) {
        return customer(key, externalId).getLong("id");
    }

    private static JsonPath events(String key, String externalId) {
        return as(key).get("/customers/" + customerId(key, externalId) + "/events").then().statusCode(200)
                .extract().jsonPath();
    }

    private static void declare(String key, String attribute, String type) {
        as(key).body(Map.of("entity", "customer", "key", attribute, "type", type)).post("/attributes")
                .then().statusCode(201);
    }

    @Test
    void identifyMapsSpecTraitsToCustomerFieldsAndDeclaredAttributes() {
        String key = Api.newTenant();
        declare(key, "plan", "string");
        declare(key, "logins", "integer");
        segment(key).body("""
                {
                  "type": "identify",
                  "userId": "97980cfea0067",
                  "anonymousId": "507f191e810c19729de860ea",
                  "messageId": "022bb90c-bbac-11e4-8dfc-aa07a5b093db",
                  "timestamp": "2024-05-01T12:00:00.000Z",
                  "sentAt": "2024-05-01T12:00:01.000Z",
                  "context": {"ip": "8.8.8.8", "library": {"name": "analytics.js", "version": "2.11.1"}},
                  "traits": {
                    "name": "Peter Gibbons",
                    "email": "peter@example.com",
                    "phone": "+49 89 1234567",
                    "gender": "male",
                    "birthday": "1985-03-14T00:00:00.000Z",
                    "address": {"street": "6th St", "city": "Munich", "state": "Bavaria", "postalCode": "80331", "country": "Germany"},
                    "plan": "premium",
                    "logins": 5,
                    "createdAt": "2024-01-01T00:00:00.000Z"
                  },
                  "integrations": {"All": true}
                }""").post("/tracking/v1/identify").then().statusCode(200)
                .body("success", is(true)).body("received", equalTo(1)).body("stored", equalTo(1))
                .body("rejected", equalTo(0)).body("errors", empty());
        JsonPath c = customer(key, "97980cfea0067");
        assertThat(c.getString("name"), equalTo("Peter Gibbons"));
        assertThat(c.getString("email"), equalTo("peter@example.com"));
        assertThat(c.getString("phone"), equalTo("+49 89 1234567"));
        assertThat(c.getString("gender"), equalTo("male"));
        assertThat(c.getString("birthDate"), equalTo("1985-03-14"));
        assertThat(c.getString("country"), equalTo("Germany"));
        assertThat(c.getString("region"), equalTo("Bavaria"));
        assertThat(c.getString("city"), equalTo("Munich"));
        assertThat(c.getMap("attributes"), equalTo(Map.of("plan", "premium", "logins", 5)));

        // firstName + lastName make the name when no name trait is sent
        segment(key).body("""
                {"type": "identify", "userId": "u-2", "messageId": "m-2", "traits": {"firstName": "Joanna", "lastName": "Ortiz"}}""")
                .post("/tracking/v1/identify").then().statusCode(200).body("stored", equalTo(1));
        assertThat(customer(key, "u-2").getString("name"), equalTo("Joanna Ortiz"));
    }

    @Test
    void aPartialIdentifyKeepsEveryFieldItDoesNotMention() {
        String key = Api.newTenant();
        Api.customer(key, "crm-7", Map.of("name", "Ann", "email", "ann@example.com", "priceTier", "vip",
                "tags", List.of("b2b")));
        segment(key).body("""
                {"type": "identify", "userId": "crm-7", "messageId": "m-1", "traits": {"address": {"city": "Berlin"}}}""")
                .post("/tracking/v1/identify").then().statusCode(200).body("stored", equalTo(1));
        JsonPath c = customer(key, "crm-7");
        assertThat(c.getString("city"), equalTo("Berlin"));
        assertThat(c.getString("name"), equalTo("Ann"));
        assertThat(c.getString("email"), equalTo("ann@example.com"));
        assertThat(c.getString("priceTier"), equalTo("vip"));
        assertThat(c.getList("tags"), contains("b2b"));
        long version = c.getLong("version");
        // the same identify again changes nothing, not even the version
        segment(key).body("""
                {"type": "identify", "userId": "crm-7", "messageId": "m-1", "traits": {"address": {"city": "Berlin"}}}""")
                .post("/tracking/v1/identify").then().statusCode(200).body("stored", equalTo(0)).body("unchanged", equalTo(1));
        assertThat(customer(key, "crm-7").getLong("version"), equalTo(version));
        // a null trait clears its field (a merge patch), and only that one
        segment(key).body("""
                {"type": "identify", "userId": "crm-7", "traits": {"email": null}}""")
                .post("/tracking/v1/identify").then().statusCode(200).body("stored", equalTo(1));
        c = customer(key, "crm-7");
        assertThat(c.getString("email"), nullValue());
        assertThat(c.getString("city"), equalTo("Berlin"));
    }

    @Test
    void trackStoresAnEventOnceCorrectedForTheSendersClock() {
        String key = Api.newTenant();
        // the device clock is 2 hours behind: it stamped the event 10 s before it sent it
        OffsetDateTime sentAt = OffsetDateTime.now(ZoneOffset.UTC).minusHours(2);
        OffsetDateTime deviceTime = sentAt.minusSeconds(10);
        String body = """
                {
                  "type": "track",
                  "event": "Article Bookmarked",
                  "userId": "reader-1",
                  "messageId": "track-1",
                  "timestamp": "%s",
                  "sentAt": "%s",
                  "properties": {"title": "Snow Fall", "subtitle": "The Avalanche at Tunnel Creek", "author": "John Branch"},
                  "context": {"library": {"name": "analytics-node", "version": "3.1.0"}}
                }""".formatted(deviceTime, sentAt);
        OffsetDateTime before = OffsetDateTime.now(ZoneOffset.UTC);
        segment(key).body(body).post("/tracking/v1/track").then().statusCode(200)
                .body("stored", equalTo(1)).body("duplicates", equalTo(0));
        OffsetDateTime after = OffsetDateTime.now(ZoneOffset.UTC);
        // the unknown user became a customer with only its externalId
        JsonPath c = customer(key, "reader-1");
        assertThat(c.getString("name"), nullValue());
        JsonPath e = events(key, "reader-1");
        assertThat(e.getList("items"), hasSize(1));
        assertThat(e.getString("items[0].name"), equalTo("Article Bookmarked"));
        assertThat(e.getString("items[0].externalId"), equalTo("track-1"));
        assertThat(e.getString("items[0].properties.author"), equalTo("John Branch"));
        // occurredAt = timestamp + (receivedAt - sentAt): about 10 s before the receipt, not 2 hours before
        OffsetDateTime occurredAt = OffsetDateTime.parse(e.getString("items[0].occurredAt"));
        assertThat(Duration.between(occurredAt, before.minusSeconds(10)).abs().toMillis(),
                lessThan(Duration.between(before, after).toMillis() + 1000));

        // a retried message (same messageId) is not counted twice
        segment(key).body(body).post("/tracking/v1/track").then().statusCode(200)
                .body("stored", equalTo(0)).body("duplicates", equalTo(1));
        assertThat(events(key, "reader-1").getList("items"), hasSize(1));
    }

    @Test
    void withoutSentAtTheTimestampIsTakenAsSentAndOriginalTimestampIsCorrectedLikewise() {
        String key = Api.newTenant();
        segment(key).body("""
                {"batch": [
                  {"type": "track", "event": "Exact", "userId": "t-1", "messageId": "ts-1", "timestamp": "2023-02-03T04:05:06.789Z"},
                  {"type": "track", "event": "Rudder", "userId": "t-1", "messageId": "ts-2",
                   "originalTimestamp": "2023-02-03T04:05:06.000Z", "sentAt": "2023-02-03T04:05:16.000Z"},
                  {"type": "track", "event": "Forwarded", "userId": "t-1", "messageId": "ts-3",
                   "timestamp": "2023-02-03T04:05:00.000Z", "sentAt": "2023-02-03T03:00:00.000Z",
                   "receivedAt": "2023-02-03T04:05:01.000Z"}
                ]}""").post("/tracking/v1/batch").then().statusCode(200).body("stored", equalTo(3));
        JsonPath e = events(key, "t-1");
        Map<String, String> at = new java.util.HashMap<>();
        for (int i = 0; i < 3; i++) {
            at.put(e.getString("items[" + i + "].name"), e.getString("items[" + i + "].occurredAt"));
        }
        assertThat(OffsetDateTime.parse(at.get("Exact")).toInstant().toString(), equalTo("2023-02-03T04:05:06.789Z"));
        // originalTimestamp + (now - sentAt): 10 s before now
        Duration age = Duration.between(OffsetDateTime.parse(at.get("Rudder")), OffsetDateTime.now(ZoneOffset.UTC));
        assertThat(age.toSeconds() >= 9 && age.toSeconds() < 60, is(true));
        // already received (and corrected) by a pipeline: as is
        assertThat(OffsetDateTime.parse(at.get("Forwarded")).toInstant().toString(), equalTo("2023-02-03T04:05:00Z"));
    }

    @Test
    void orderCompletedIsAPurchaseDeduplicatedByOrderId() {
        String key = Api.newTenant();
        String body = """
                {
                  "type": "track",
                  "userId": "buyer-1",
                  "event": "Order Completed",
                  "messageId": "msg-order-1",
                  "timestamp": "2024-06-01T10:00:00Z",
                  "properties": {
                    "checkout_id": "fksdjfsdjfisjf9sdfjsd9f",
                    "order_id": "50314b8e9bcf000000000000",
                    "affiliation": "Google Store",
                    "total": 27.50,
                    "subtotal": 22.50,
                    "revenue": 25.00,
                    "shipping": 3,
                    "tax": 2,
                    "discount": 2.5,
                    "coupon": "hasbros",
                    "currency": "USD",
                    "products": [
                      {"product_id": "507f1f77bcf86cd799439011", "sku": "45790-32", "name": "Monopoly: 3rd Edition",
                       "price": 19, "quantity": 1, "category": "Games"},
                      {"product_id": "505bd76785ebb509fc183733", "sku": "46493-32", "name": "Uno Card Game",
                       "price": 3, "quantity": 2, "category": "Games"}
                    ]
                  }
                }""";
        segment(key).body(body).post("/tracking/v1/track").then().statusCode(200).body("stored", equalTo(1));
        long id = customerId(key, "buyer-1");
        JsonPath p = as(key).get("/customers/" + id + "/purchases").then().statusCode(200).extract().jsonPath();
        assertThat(p.getList("items"), hasSize(1));
        assertThat(p.getString("items[0].externalId"), equalTo("50314b8e9bcf000000000000"));
        assertThat(p.getDouble("items[0].amount"), equalTo(25.0));
        assertThat(p.getString("items[0].currency"), equalTo("USD"));
        assertThat(p.getString("items[0].product"), equalTo("Monopoly: 3rd Edition"));
        assertThat(p.getString("items[0].category"), equalTo("Games"));
        // no event besides the purchase; the rollups follow
        assertThat(events(key, "buyer-1").getList("items"), empty());
        assertThat(customer(key, "buyer-1").getInt("rollups.purchaseCount"), equalTo(1));
        // the same order again (even with a new messageId) is not counted twice
        segment(key).body(body.replace("msg-order-1", "msg-order-1-retry")).post("/tracking/v1/track").then()
                .statusCode(200).body("stored", equalTo(0)).body("duplicates", equalTo(1));
        assertThat(customer(key, "buyer-1").getInt("rollups.purchaseCount"), equalTo(1));
    }

    @Test
    void pageAndGroupAreEvents() {
        String key = Api.newTenant();
        segment(key).body("""
                {"type": "page", "userId": "v-1", "messageId": "p-1", "name": "Pricing", "category": "Docs",
                 "properties": {"title": "Pricing | Acme", "url": "https://acme.test/pricing", "path": "/pricing"},
                 "context": {"page": {"referrer": "https://search.test/", "url": "https://ignored.test/"}}}""")
                .post("/tracking/v1/page").then().statusCode(200).body("stored", equalTo(1));
        segment(key).body("""
                {"type": "group", "userId": "v-1", "messageId": "g-1", "groupId": "0e8c78ea9d97a7b8185e8632",
                 "traits": {"name": "Initech", "industry": "Technology", "employees": 329}}""")
                .post("/tracking/v1/group").then().statusCode(200).body("stored", equalTo(1));
        JsonPath e = events(key, "v-1");
        Map<String, Object> byName = new java.util.HashMap<>();
        for (int i = 0; i < 2; i++) {
            byName.put(e.getString("items[" + i + "].name"), e.getMap("items[" + i + "].properties"));
        }
        assertThat(byName.get("page"), equalTo(Map.of("name", "Pricing", "category", "Docs", "title", "Pricing | Acme",
                "url", "https://acme.test/pricing", "path", "/pricing", "referrer", "https://search.test/")));
        assertThat(byName.get("group"), equalTo(Map.of("groupId", "0e8c78ea9d97a7b8185e8632",
                "traits", Map.of("name", "Initech", "industry", "Technology", "employees", 329))));
    }

    @Test
    void aBadMessageNeverCostsAGoodOneInTheSameBatch() {
        String key = Api.newTenant();
        declare(key, "score", "integer");
        segment(key).body("""
                {"batch": [
                  {"type": "identify", "userId": "b-1", "messageId": "b-m0", "traits": {"email": "b1@example.com"}},
                  {"type": "track", "anonymousId": "anon-1", "event": "Viewed", "messageId": "b-m1"},
                  {"type": "track", "userId": "b-1", "event": "Viewed", "messageId": "b-m2", "timestamp": "yesterday"},
                  {"type": "alias", "userId": "b-1", "previousId": "anon-1", "messageId": "b-m3"},
                  {"type": "identify", "userId": "b-2", "messageId": "b-m4", "traits": {"email": "not an email"}},
                  {"type": "identify", "userId": "b-3", "messageId": "b-m5", "traits": {"score": "high"}},
                  {"type": "track", "userId": "b-1", "event": "Order Completed", "messageId": "b-m6", "properties": {"currency": "EUR"}},
                  {"type": "track", "userId": "b-1", "event": "Viewed", "messageId": "b-m7"},
                  "not a message",
                  {"type": "group", "userId": "b-1", "messageId": "b-m9"}
                ], "sentAt": "%s"}""".formatted(OffsetDateTime.now(ZoneOffset.UTC)))
                .post("/tracking/v1/batch").then().statusCode(200)
                .body("success", is(true)).body("received", equalTo(10)).body("stored", equalTo(2))
                .body("rejected", equalTo(8))
                .body("errors.index", contains(1, 2, 3, 4, 5, 6, 8, 9))
                .body("errors.pointer", contains("/batch/1/userId", "/batch/2/timestamp", "/batch/3/type",
                        "/batch/4/traits/email", "/batch/5/traits/score", "/batch/6/properties/revenue", "/batch/8",
                        "/batch/9/groupId"))
                .body("errors.code", contains("anonymous", "invalid_timestamp", "unsupported_type", "invalid_email",
                        "invalid_type", "missing_amount", "invalid_type", "required"));
        assertThat(customer(key, "b-1").getString("email"), equalTo("b1@example.com"));
        assertThat(events(key, "b-1").getList("items.externalId"), contains("b-m7"));
        as(key).get("/customers/by-external-id/b-2").then().statusCode(404);
    }

    @Test
    void malformedBodiesAreProblems() {
        String key = Api.newTenant();
        segment(key).body("{\"batch\": [").post("/tracking/v1/batch").then().statusCode(400)
                .contentType("application/problem+json").body("type", equalTo("/problems/malformed-request"));
        segment(key).body("{\"messages\": []}").post("/tracking/v1/batch").then().statusCode(422)
                .contentType("application/problem+json").body("errors[0].pointer", equalTo("/batch"))
                .body("errors[0].code", equalTo("required"));
        segment(key).body("{\"batch\": {}}").post("/tracking/v1/batch").then().statusCode(422)
                .body("errors[0].code", equalTo("invalid_type"));
        segment(key).body("[]").post("/tracking/v1/track").then().statusCode(422).body("errors[0].pointer", equalTo(""));
        // the type of a single call is its endpoint's
        segment(key).body("{\"type\": \"identify\", \"userId\": \"x\"}").post("/tracking/v1/track").then()
                .statusCode(200).body("rejected", equalTo(1)).body("errors[0].code", equalTo("type_mismatch"))
                .body("errors[0].pointer", equalTo("/type"));
    }

    @Test
    void aGzippedBatchIsRead() throws Exception {
        String key = Api.newTenant();
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(zipped)) {
            gz.write("""
                    {"batch": [{"type": "track", "userId": "z-1", "event": "Zipped", "messageId": "z-m1"}],
                     "sentAt": "2024-01-01T00:00:00Z"}""".getBytes(StandardCharsets.UTF_8));
        }
        segment(key).header("Content-Encoding", "gzip").body(zipped.toByteArray()).post("/tracking/v1/batch")
                .then().statusCode(200).body("stored", equalTo(1));
        assertThat(events(key, "z-1").getString("items[0].name"), equalTo("Zipped"));
        segment(key).header("Content-Encoding", "gzip").body("not gzip").post("/tracking/v1/batch")
                .then().statusCode(400).contentType("application/problem+json");
    }

    @Test
    void theMappingIsValidatedLikeARuleAndThenApplied() {
        String key = Api.newTenant();
        declare(key, "plan", "string");
        as(key).get("/tracking/mapping").then().statusCode(200)
                .body("traits.birthday", equalTo("birthDate"))
                .body("traits.'address.state'", equalTo("region"))
                .body("purchases.'Order Completed'.amount", contains("revenue", "total"));
        as(key).body("""
                {"traits": {"email": "mail", "tier": "attributes.tier", "a..b": "city", "plan": 5},
                 "purchases": {"Subscribed": {"price": "value", "currency": ["currency", ""]}},
                 "streams": {}}""").put("/tracking/mapping").then().statusCode(422)
                .contentType("application/problem+json")
                .body("errors.pointer", containsInAnyOrder("/streams", "/traits/email", "/traits/tier", "/traits/a..b",
                        "/traits/plan", "/purchases/Subscribed/price", "/purchases/Subscribed/currency/1",
                        "/purchases/Subscribed/amount"))
                .body("errors.code", containsInAnyOrder("unknown_member", "unknown_field", "unknown_attribute",
                        "invalid_path", "invalid_type", "unknown_field", "invalid_path", "required"));
        // nothing was stored
        as(key).get("/tracking/mapping").then().body("traits.birthday", equalTo("birthDate"));

        as(key).body("""
                {"traits": {"contact.mail": "email", "subscription.plan": "attributes.plan", "tier": "priceTier"},
                 "purchases": {"Subscribed": {"amount": "price.value", "externalId": "subscription_id", "product": "plan"}}}""")
                .put("/tracking/mapping").then().statusCode(200)
                .body("purchases.Subscribed.amount", contains("price.value"));
        as(key).get("/tracking/mapping").then().body("traits.tier", equalTo("priceTier"))
                .body("purchases.'Order Completed'", nullValue());
        segment(key).body("""
                {"batch": [
                  {"type": "identify", "userId": "m-1", "messageId": "mm-1",
                   "traits": {"email": "ignored@example.com", "contact": {"mail": "m1@example.com"}, "subscription": {"plan": "pro"}, "tier": "gold"}},
                  {"type": "track", "userId": "m-1", "event": "Subscribed", "messageId": "mm-2",
                   "properties": {"price": {"value": "49.90"}, "subscription_id": "sub-9", "plan": "pro"}},
                  {"type": "track", "userId": "m-1", "event": "Order Completed", "messageId": "mm-3", "properties": {"revenue": 10}}
                ]}""").post("/tracking/v1/batch").then().statusCode(200).body("stored", equalTo(3));
        JsonPath c = customer(key, "m-1");
        assertThat(c.getString("email"), equalTo("m1@example.com"));
        assertThat(c.getString("priceTier"), equalTo("gold"));
        assertThat(c.getMap("attributes"), equalTo(Map.of("plan", "pro")));
        JsonPath p = as(key).get("/customers/" + c.getLong("id") + "/purchases").then().extract().jsonPath();
        assertThat(p.getList("items.externalId"), contains("sub-9"));
        assertThat(p.getDouble("items[0].amount"), equalTo(49.9));
        assertThat(p.getString("items[0].product"), equalTo("pro"));
        // Order Completed is no purchase under this mapping: an ordinary event
        assertThat(events(key, "m-1").getList("items.name"), contains("Order Completed"));
    }

    @Test
    void membershipIsEnteredWhenAnIdentifyMakesTheCustomerMatch() {
        String key = Api.newTenant();
        as(key).body(Map.of("key", "bavarians", "name", "Bavarians",
                "rule", Map.of("field", "region", "op", "eq", "value", "Bavaria"))).post("/segments").then().statusCode(201);
        segment(key).body("""
                {"type": "track", "userId": "s-1", "event": "Signed Up", "messageId": "s-m1"}""")
                .post("/tracking/v1/track").then().statusCode(200);
        as(key).get("/segments/bavarians/members").then().body("items", empty());
        segment(key).body("""
                {"type": "identify", "userId": "s-1", "messageId": "s-m2", "traits": {"address": {"state": "Bavaria"}}}""")
                .post("/tracking/v1/identify").then().statusCode(200).body("stored", equalTo(1));
        as(key).get("/segments/bavarians/members").then().body("items.externalId", contains("s-1"));
        as(key).get("/segments/bavarians/changes").then().statusCode(200)
                .body("items.customerExternalId", contains("s-1")).body("items.kind", contains("entered"));
    }

    @Test
    void theReadmeBatchExampleAnswersAsTheReadmeSays() throws Exception {
        String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
        int from = readme.indexOf("curl -s -X POST $API/tracking/v1/batch");
        assertThat("the README has its tracking example", from >= 0);
        int start = readme.indexOf("-d '", from) + 4;
        int end = readme.indexOf("}'\n", start) + 1;
        String body = readme.substring(start, end)
                .replace("'\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"'", OffsetDateTime.now(ZoneOffset.UTC).toString());
        String key = Api.newTenant();
        segment(key).body(body).post("/tracking/v1/batch").then().statusCode(200)
                .body("received", equalTo(4)).body("stored", equalTo(3)).body("rejected", equalTo(1))
                .body("errors[0].pointer", equalTo("/batch/3/userId")).body("errors[0].code", equalTo("anonymous"));
        assertThat(customer(key, "crm-1042").getString("city"), equalTo("Moscow"));
        assertThat(customer(key, "crm-1042").getInt("rollups.purchaseCount"), equalTo(1));
    }
}
