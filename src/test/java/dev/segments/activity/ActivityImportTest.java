package dev.segments.activity;

import dev.segments.activity.service.LaneRouter;
import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bulk activity import (issue 18): COPY staging, per-line errors, dedup, rollups and membership. */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class ActivityImportTest {

    static JsonPath post(String key, String path, String contentType, String body, int status) {
        return RestAssured.given().auth().oauth2(key).contentType(contentType)
                .body(body.getBytes(StandardCharsets.UTF_8)).post(path).then().statusCode(status).extract().jsonPath();
    }

    private static void segment(String key, String segmentKey, Map<String, ?> rule) {
        as(key).body(Map.of("key", segmentKey, "name", segmentKey, "rule", rule)).post("/segments").then().statusCode(201);
    }

    private static List<String> entered(String key, String segmentKey) {
        JsonPath page = as(key).get("/segments/" + segmentKey + "/changes?limit=1000").then().statusCode(200)
                .extract().jsonPath();
        return page.<Map<String, Object>>getList("items").stream()
                .filter(c -> "entered".equals(c.get("kind"))).map(c -> (String) c.get("customerExternalId")).sorted().toList();
    }

    @Test
    void purchasesNdjsonKeepGoodLinesReportBadOnesAndARetryCountsNothingTwice() {
        String key = Api.newTenant();
        long anna = Api.customer(key, "anna", Map.of("name", "Anna"));
        Api.customer(key, "boris", Map.of("name", "Boris"));
        segment(key, "big", Map.of("field", "totalSpend", "op", "gte", "value", 100));
        String body = """
                {"customerExternalId": "anna", "externalId": "p-1", "occurredAt": "2026-01-01T10:00:00Z", "amount": 60, "product": "tea\\tpot \\\\ lid", "attributes": {}}
                {"customerId": %d, "externalId": "p-2", "occurredAt": "2026-01-02T10:00:00+03:00", "amount": 50.5}
                not json
                {"customerExternalId": "nobody", "externalId": "p-3", "occurredAt": "2026-01-03T10:00:00Z", "amount": 1}

                {"customerExternalId": "boris", "externalId": "p-4", "occurredAt": "2026-01-04T10:00:00Z", "amount": "ten"}
                {"customerExternalId": "boris", "externalId": "p-5", "amount": 5}
                {"customerExternalId": "boris", "externalId": "p-1", "occurredAt": "2026-01-05T10:00:00Z", "amount": 7}
                {"customerExternalId": "boris", "occurredAt": "2026-01-05T10:00:00Z", "amount": 7, "colour": "red"}
                {"customerExternalId": "boris", "externalId": "p-6", "occurredAt": "2026-01-06T10:00:00Z", "amount": 20}
                """.formatted(anna);
        JsonPath report = post(key, "/purchases/import", "application/x-ndjson", body, 200);
        assertEquals(9, report.getInt("lines"));
        assertEquals(3, report.getInt("stored"));
        assertEquals(1, report.getInt("duplicates")); // p-1 again, for boris: the first line wins
        assertEquals(5, report.getInt("failed"));
        assertEquals(List.of(3, 4, 6, 7, 9), report.getList("errors.line"));
        assertEquals(List.of("malformed_json", "unknown_customer", "invalid_type", "required", "unknown_property"),
                report.getList("errors.code").stream().map(c -> c.equals("not_null") ? "required" : c).toList());
        assertEquals(List.of("", "/customerExternalId", "/amount", "/occurredAt", "/colour"), report.getList("errors.pointer"));

        as(key).get("/customers/" + anna).then().body("rollups.purchaseCount", equalTo(2))
                .body("rollups.totalSpend", equalTo(110.5f));
        as(key).get("/customers/" + anna + "/purchases").then()
                .body("items.find { it.externalId == 'p-1' }.product", equalTo("tea\tpot \\ lid"));
        as(key).get("/customers/by-external-id/boris").then().body("rollups.purchaseCount", equalTo(1));
        // membership followed the import: anna entered, with a change feed entry
        assertEquals(List.of("anna"), entered(key, "big"));

        // the same body again: nothing new is stored, the segment feed has no new entry
        JsonPath again = post(key, "/purchases/import", "application/x-ndjson", body, 200);
        assertEquals(0, again.getInt("stored"));
        assertEquals(4, again.getInt("duplicates"));
        assertEquals(5, again.getInt("failed"));
        as(key).get("/customers/" + anna).then().body("rollups.purchaseCount", equalTo(2));
        assertEquals(List.of("anna"), entered(key, "big"));
    }

    @Test
    void interactionsCsvWithDeclaredAttributes() {
        String key = Api.newTenant();
        Api.customer(key, "anna", Map.of());
        Api.customer(key, "boris", Map.of());
        as(key).body(Map.of("entity", "interaction", "key", "minutes", "type", "integer")).post("/attributes")
                .then().statusCode(201);
        segment(key, "consulted", Map.of("aggregate", "count", "of", "interactions",
                "where", Map.of("field", "type", "op", "eq", "value", "consultation"), "op", "gte", "value", 2));
        String csv = """
                customerExternalId,externalId,occurredAt,type,channel,outcome,attributes.minutes
                anna,i-1,2026-02-01T09:00:00Z,consultation,phone,"booked, paid",30
                anna,i-2,2026-02-02T09:00:00Z,consultation,,,
                boris,i-3,2026-02-03T09:00:00Z,consultation,phone,,many
                boris,i-4,2026-02-03T09:00:00Z,call
                boris,i-5,2026-02-04T09:00:00Z,,email,,
                boris,i-6,yesterday,call,,,
                """;
        JsonPath report = post(key, "/interactions/import", "text/csv", csv, 200);
        assertEquals(6, report.getInt("lines"));
        assertEquals(2, report.getInt("stored"));
        assertEquals(4, report.getInt("failed"));
        assertEquals(List.of(4, 5, 6, 7), report.getList("errors.line"));
        assertEquals(List.of("/attributes/minutes", "", "/type", "/occurredAt"), report.getList("errors.pointer"));
        assertEquals("wrong_column_count", report.getString("errors[1].code"));
        as(key).get("/customers/by-external-id/anna").then().statusCode(200);
        long annaId = as(key).get("/customers/by-external-id/anna").then().extract().jsonPath().getLong("id");
        as(key).get("/customers/" + annaId + "/interactions").then().body("items.size()", equalTo(2))
                .body("items.find { it.externalId == 'i-1' }.outcome", equalTo("booked, paid"))
                .body("items.find { it.externalId == 'i-1' }.attributes.minutes", equalTo(30));
        assertEquals(List.of("anna"), entered(key, "consulted"));

        // a header naming an unknown column or attribute: 422, nothing stored
        JsonPath bad = post(key, "/interactions/import", "text/csv",
                "customerExternalId,occurredAt,type,attributes.shoe,mood\nanna,2026-02-01T09:00:00Z,call,1,ok\n", 422);
        assertEquals(List.of("/header/attributes.shoe", "/header/mood"), bad.getList("errors.pointer"));
        post(key, "/interactions/import", "text/csv", "customerExternalId,type\nanna,call\n", 422);
    }

    @Test
    void eventsNdjsonAndCsv() {
        String key = Api.newTenant();
        long anna = Api.customer(key, "anna", Map.of());
        segment(key, "viewers", Map.of("aggregate", "count", "of", "events",
                "where", Map.of("field", "name", "op", "eq", "value", "page_view"), "op", "gte", "value", 1));
        String ndjson = """
                {"customerId": %d, "externalId": "e-1", "occurredAt": "2026-03-01T08:00:00Z", "name": "page_view", "properties": {"path": "/a", "n": 2}}
                {"customerId": 999999999, "externalId": "e-2", "occurredAt": "2026-03-01T08:00:00Z", "name": "page_view"}
                {"customerId": %d, "externalId": "e-3", "occurredAt": "2026-03-01T08:00:00Z", "name": ""}
                [1, 2]
                """.formatted(anna, anna);
        JsonPath report = post(key, "/events/import", "application/x-ndjson", ndjson, 200);
        assertEquals(1, report.getInt("stored"));
        assertEquals(List.of(2, 3, 4), report.getList("errors.line"));
        assertEquals(List.of("/customerId", "/name", ""), report.getList("errors.pointer"));
        assertEquals(List.of("anna"), entered(key, "viewers"));

        String csv = "customerExternalId,externalId,occurredAt,name,properties.path\n"
                + "anna,e-10,2026-03-02T08:00:00Z,signup,/join\n"
                + "anna,e-1,2026-03-02T08:00:00Z,page_view,/b\n";
        JsonPath fromCsv = post(key, "/events/import", "text/csv", csv, 200);
        assertEquals(1, fromCsv.getInt("stored"));
        assertEquals(1, fromCsv.getInt("duplicates"));
        as(key).get("/customers/" + anna + "/events").then().body("items.size()", equalTo(2))
                .body("items.find { it.externalId == 'e-10' }.properties.path", equalTo("/join"))
                .body("items.find { it.externalId == 'e-1' }.properties.n", equalTo(2));
    }

    @Test
    void badInputIsAProblem() {
        String key = Api.newTenant();
        RestAssured.given().auth().oauth2(key).contentType("text/plain").body("x".getBytes(StandardCharsets.UTF_8)).post("/purchases/import")
                .then().statusCode(415).contentType(startsWith("application/problem+json"));
        RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson").body(new byte[0])
                .post("/purchases/import").then().statusCode(400).contentType(startsWith("application/problem+json"))
                .body("type", equalTo("/problems/malformed-request"));
        RestAssured.given().auth().oauth2(key).contentType("text/csv").body(new byte[0])
                .post("/events/import").then().statusCode(400).contentType(startsWith("application/problem+json"));
        RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson").body("nope\nnope\n".getBytes(StandardCharsets.UTF_8))
                .post("/interactions/import").then().statusCode(400).contentType(startsWith("application/problem+json"))
                .body("errors.size()", equalTo(2));
        JsonPath tooMany = post(key, "/events/import", "application/x-ndjson", "{}\n".repeat(3), 200);
        assertEquals(3, tooMany.getInt("failed"));
        assertTrue(tooMany.getInt("errorCount") >= 6, "occurredAt, name and the customer are missing on each line");
    }

    /**
     * A request's import is stored by two lanes at once (segments.imports.parallel-chunks, chunks of 1000 rows in
     * tests): each lane takes its customers' lines, and a line repeating an externalId the other lane was given is
     * deferred to the next barrier (every pending chunk committed first), so the first line wins as with one lane.
     * Here the first lines (paula's d-1..d-5) wait in a lane that has only them until the end of the body, while
     * quentin's lane stores three chunks, the first after the repeats: were the repeats stored in quentin's lane, they
     * would be committed first and paula's lines would be the duplicates.
     */
    @Test
    void twoLanesKeepTheFirstLineOfARepeatedExternalIdAndEveryCustomersRollups() {
        String key = Api.newTenant();
        String paula = "paula";
        String quentin = java.util.stream.IntStream.range(0, 100).mapToObj(i -> "quentin-" + i)
                .filter(q -> LaneRouter.customerLane(null, q) != LaneRouter.customerLane(null, paula))
                .findFirst().orElseThrow();
        long p = Api.customer(key, paula, Map.of());
        long q = Api.customer(key, quentin, Map.of());
        segment(key, "rolled", Map.of("field", "purchaseCount", "op", "gte", "value", 2500));
        segment(key, "scanned", Map.of("aggregate", "count", "of", "purchases",
                "where", Map.of("field", "amount", "op", "gte", "value", 0), "op", "gte", "value", 2500));
        StringBuilder body = new StringBuilder();
        String line = "{\"customerExternalId\": \"%s\", \"externalId\": \"%s\", \"occurredAt\": \"2026-02-01T10:00:00Z\", \"amount\": %d}\n";
        for (int i = 1; i <= 5; i++) {
            body.append(line.formatted(paula, "d-" + i, 7));
        }
        for (int i = 1; i <= 2500; i++) {
            body.append(line.formatted(quentin, "q-" + i, 1));
            if (i >= 100 && i < 105) {
                body.append(line.formatted(quentin, "d-" + (i - 99), 1000));
            }
        }
        JsonPath report = post(key, "/purchases/import", "application/x-ndjson", body.toString(), 200);
        assertEquals(2510, report.getInt("lines"));
        assertEquals(2505, report.getInt("stored"));
        assertEquals(5, report.getInt("duplicates"));
        assertEquals(0, report.getInt("failed"));
        as(key).get("/customers/" + p).then().body("rollups.purchaseCount", equalTo(5))
                .body("rollups.totalSpend", equalTo(35f));
        as(key).get("/customers/" + q).then().body("rollups.purchaseCount", equalTo(2500))
                .body("rollups.totalSpend", equalTo(2500f));
        // membership followed both lanes, by the rollup and by a scan of the rows alike
        assertEquals(List.of(quentin), entered(key, "rolled"));
        assertEquals(List.of(quentin), entered(key, "scanned"));
        // the same body again stores nothing
        JsonPath again = post(key, "/purchases/import", "application/x-ndjson", body.toString(), 200);
        assertEquals(0, again.getInt("stored"));
        assertEquals(2510, again.getInt("duplicates"));
    }
}
