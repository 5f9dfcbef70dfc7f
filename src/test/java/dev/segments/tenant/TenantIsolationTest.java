package dev.segments.tenant;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.GraphQL;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;

/** Tenant A cannot read, list, change or delete tenant B's customers or activity by any id. */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class TenantIsolationTest {

    @Test
    void tenantsNeverSeeEachOther() {
        String a = Api.newTenant();
        String b = Api.newTenant();
        long bCustomer = Api.customer(b, "shared-ext", Map.of("name", "B's customer"));
        long bPurchase = as(b).body("""
                {"customerId": %d, "externalId": "p-b", "occurredAt": "2026-01-01T00:00:00Z", "amount": 10}""".formatted(bCustomer))
                .post("/purchases").then().statusCode(201).extract().jsonPath().getLong("id");
        long bInteraction = as(b).body("""
                {"customerId": %d, "occurredAt": "2026-01-01T00:00:00Z", "type": "call"}""".formatted(bCustomer))
                .post("/interactions").then().statusCode(201).extract().jsonPath().getLong("id");
        long bEvent = as(b).body("""
                {"customerId": %d, "occurredAt": "2026-01-01T00:00:00Z", "name": "x"}""".formatted(bCustomer))
                .post("/events").then().statusCode(201).extract().jsonPath().getLong("id");

        // read
        as(a).get("/customers/" + bCustomer).then().statusCode(404);
        as(a).get("/customers/by-external-id/shared-ext").then().statusCode(404);
        as(a).get("/purchases/" + bPurchase).then().statusCode(404);
        as(a).get("/interactions/" + bInteraction).then().statusCode(404);
        as(a).get("/events/" + bEvent).then().statusCode(404);
        // list
        as(a).get("/customers").then().statusCode(200).body("items", empty());
        as(a).get("/customers/" + bCustomer + "/purchases").then().statusCode(404);
        as(a).get("/customers/" + bCustomer + "/interactions").then().statusCode(404);
        as(a).get("/customers/" + bCustomer + "/events").then().statusCode(404);
        // change
        as(a).contentType("application/merge-patch+json").body("{\"name\": \"hijacked\"}")
                .patch("/customers/" + bCustomer).then().statusCode(404);
        as(a).body("""
                {"customerId": %d, "occurredAt": "2026-01-01T00:00:00Z", "amount": 999}""".formatted(bCustomer))
                .post("/purchases").then().statusCode(422).body("errors[0].code", equalTo("unknown_customer"));
        as(a).body("""
                {"customerExternalId": "shared-ext", "occurredAt": "2026-01-01T00:00:00Z", "amount": 999}""")
                .post("/purchases").then().statusCode(422);
        // the same external id in A is A's own customer, B's stays untouched
        as(a).body("{\"name\": \"A's\"}").put("/customers/by-external-id/shared-ext").then().statusCode(201);
        // a purchase external id used by B is free in A
        long aCustomer = as(a).get("/customers/by-external-id/shared-ext").then().extract().jsonPath().getLong("id");
        as(a).body("""
                {"customerId": %d, "externalId": "p-b", "occurredAt": "2026-01-01T00:00:00Z", "amount": 1}""".formatted(aCustomer))
                .post("/purchases").then().statusCode(201);
        // delete
        as(a).delete("/customers/" + bCustomer).then().statusCode(404);
        as(a).delete("/purchases/" + bPurchase).then().statusCode(404);
        as(a).delete("/interactions/" + bInteraction).then().statusCode(404);
        as(a).delete("/events/" + bEvent).then().statusCode(404);

        // B's data is intact
        as(b).get("/customers/" + bCustomer).then().statusCode(200).body("name", equalTo("B's customer"))
                .body("rollups.purchaseCount", equalTo(1)).body("rollups.totalSpend", equalTo(10.0f));
        as(b).get("/purchases/" + bPurchase).then().statusCode(200);
        as(b).get("/customers").then().body("items.size()", equalTo(1));
    }

    @Test
    void graphQLKeepsTenantsApartToo() {
        String a = Api.newTenant();
        String b = Api.newTenant();
        long bCustomer = Api.customer(b, "b-only", Map.of("region", "Secret"));
        as(b).body(Map.of("key", "b-seg", "name", "B", "rule", Map.of("field", "region", "op", "isSet")))
                .post("/segments").then().statusCode(201);
        as(b).body(Map.of("key", "b-static", "name", "B static", "kind", "static")).post("/segments").then().statusCode(201);

        // reads by id, externalId, key, and lists
        GraphQL.query(a, "query($id: ID) { customer(id: $id) { externalId } }", Map.of("id", bCustomer))
                .body("data.customer", nullValue()).body("errors[0].extensions.code", equalTo("not_found"));
        GraphQL.query(a, "{ customer(externalId: \"b-only\") { externalId } }")
                .body("data.customer", nullValue()).body("errors[0].extensions.status", equalTo(404));
        GraphQL.query(a, "{ segment(key: \"b-seg\") { key } }").body("data.segment", nullValue());
        GraphQL.query(a, "{ segments { key } customers { nodes { id } totalCount } }")
                .body("data.segments", empty()).body("data.customers.nodes", empty())
                .body("data.customers.totalCount", equalTo(0));
        GraphQL.query(a, "{ customers(rule: {field: \"region\", op: \"eq\", value: \"Secret\"}) { nodes { id } } }")
                .body("data.customers.nodes", empty());
        GraphQL.query(a, "{ previewSegment(rule: {segment: \"b-seg\"}) { count } }")
                .body("errors[0].extensions.code", equalTo("unknown_segment"));
        // writes against B's ids
        GraphQL.query(a, "mutation($id: ID) { recordPurchase(input: {customerId: $id, occurredAt: \"2026-01-01T00:00:00Z\", amount: 5}) { created } }",
                        Map.of("id", bCustomer))
                .body("errors[0].extensions.code", equalTo("unknown_customer"));
        GraphQL.query(a, "mutation($id: ID!) { deleteCustomer(id: $id) }", Map.of("id", bCustomer))
                .body("errors[0].extensions.status", equalTo(404));
        GraphQL.query(a, "mutation { deleteSegment(key: \"b-seg\") }").body("errors[0].extensions.status", equalTo(404));
        GraphQL.query(a, "mutation($ids: [String]) { addSegmentMembers(key: \"b-static\", customerIds: $ids) { changed } }",
                        Map.of("ids", java.util.List.of(String.valueOf(bCustomer))))
                .body("errors[0].extensions.status", equalTo(404));
        as(a).body(Map.of("key", "a-static", "name", "A static", "kind", "static")).post("/segments").then().statusCode(201);
        GraphQL.query(a, "mutation($ids: [String]) { addSegmentMembers(key: \"a-static\", customerIds: $ids) { changed unknown } }",
                        Map.of("ids", java.util.List.of(String.valueOf(bCustomer))))
                .body("data.addSegmentMembers.changed", equalTo(0))
                .body("data.addSegmentMembers.unknown", org.hamcrest.Matchers.contains(String.valueOf(bCustomer)));

        // B's data is intact
        GraphQL.query(b, "query($id: ID) { customer(id: $id) { externalId rollups { purchaseCount } segments { key } } }",
                        Map.of("id", bCustomer))
                .body("data.customer.rollups.purchaseCount", equalTo(0))
                .body("data.customer.segments.key", org.hamcrest.Matchers.contains("b-seg"));
    }

    @Test
    void revokedKeysStopWorking() {
        var created = RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                .body(Map.of("name", "revoking")).post("/admin/tenants").then().statusCode(201).extract().jsonPath();
        long tenantId = created.getLong("tenant.id");
        String key = created.getString("apiKey.key");
        long keyId = created.getLong("apiKey.id");
        as(key).get("/customers").then().statusCode(200);
        RestAssured.given().auth().oauth2(Api.ADMIN_KEY).delete("/admin/tenants/" + tenantId + "/keys/" + keyId)
                .then().statusCode(200);
        as(key).get("/customers").then().statusCode(401);
        RestAssured.given().auth().oauth2(Api.ADMIN_KEY).get("/admin/tenants/" + tenantId + "/keys")
                .then().statusCode(200).body("[0].key", org.hamcrest.Matchers.nullValue());
    }
}
