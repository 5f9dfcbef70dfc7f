package dev.segments.customer;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class CustomerApiTest {

    @Test
    void createGetPatchDelete() {
        String key = Api.newTenant();
        as(key).body("""
                {"externalId": "c-1", "name": "Anna", "email": "anna@example.com", "phone": "+7 900 1",
                 "phones": ["+7 900 1", "+7 900 2", "+7 900 1"], "gender": "female", "birthDate": "1990-05-17",
                 "country": "RU", "region": "Moscow", "city": "Moscow", "priceTier": "vip", "paymentTerms": "net30",
                 "lifecycleStage": "customer", "source": "ads", "channel": "web", "tags": ["b2b", "b2b", "newsletter"],
                 "contacts": [{"name": "Oleg", "role": "CFO", "phone": "+7 900 3", "decisionMaker": true}]}""")
                .post("/customers").then().statusCode(201)
                .header("Location", org.hamcrest.Matchers.containsString("/customers/"))
                .body("tags", contains("b2b", "newsletter"))
                .body("phones", contains("+7 900 1", "+7 900 2"))
                .body("rollups.purchaseCount", equalTo(0))
                .body("rollups.averageOrderValue", nullValue())
                .body("contacts[0].decisionMaker", equalTo(true))
                .body("version", equalTo(1));
        long id = as(key).get("/customers/by-external-id/c-1").then().statusCode(200).header("ETag", "\"1\"")
                .extract().jsonPath().getLong("id");

        as(key).contentType("application/merge-patch+json").header("If-Match", "\"1\"")
                .body("{\"city\": \"Kazan\", \"email\": null, \"tags\": [\"vip-club\"]}")
                .patch("/customers/" + id).then().statusCode(200)
                .body("city", equalTo("Kazan")).body("email", nullValue()).body("name", equalTo("Anna"))
                .body("tags", contains("vip-club")).body("version", equalTo(2)).header("ETag", "\"2\"");
        // a stale If-Match is refused, the data is untouched
        as(key).contentType("application/merge-patch+json").header("If-Match", "\"1\"")
                .body("{\"city\": \"Omsk\"}").patch("/customers/" + id).then().statusCode(412)
                .body("type", equalTo("/problems/precondition-failed"));
        as(key).get("/customers/" + id).then().body("city", equalTo("Kazan"));

        as(key).delete("/customers/" + id).then().statusCode(204);
        as(key).get("/customers/" + id).then().statusCode(404);
        as(key).delete("/customers/" + id).then().statusCode(404);
    }

    @Test
    void duplicateExternalIdIsConflict() {
        String key = Api.newTenant();
        Api.customer(key, "dup", Map.of());
        as(key).body(Map.of("externalId", "dup")).post("/customers").then().statusCode(409)
                .contentType("application/problem+json").body("type", equalTo("/problems/conflict"));
    }

    @Test
    void upsertByExternalIdIsIdempotent() {
        String key = Api.newTenant();
        String body = "{\"name\": \"Boris\", \"region\": \"Kazan\"}";
        as(key).body(body).put("/customers/by-external-id/u-1").then().statusCode(201).body("version", equalTo(1));
        as(key).body(body).put("/customers/by-external-id/u-1").then().statusCode(200).body("version", equalTo(1));
        as(key).body("{\"name\": \"Boris\"}").put("/customers/by-external-id/u-1").then().statusCode(200)
                .body("version", equalTo(2)).body("region", nullValue());
        as(key).body("{\"externalId\": \"other\"}").put("/customers/by-external-id/u-1").then().statusCode(422)
                .body("errors[0].pointer", equalTo("/externalId"));
    }

    @Test
    void listPagesWithoutGapsOrDuplicates() {
        String key = Api.newTenant();
        for (int i = 0; i < 7; i++) {
            Api.customer(key, "p-" + i, Map.of());
        }
        Set<String> seen = new HashSet<>();
        List<String> order = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            var spec = as(key).queryParam("limit", 3);
            if (cursor != null) {
                spec = spec.queryParam("after", cursor);
            }
            var page = spec.get("/customers").then().statusCode(200).extract().jsonPath();
            List<String> ids = page.getList("items.externalId");
            order.addAll(ids);
            seen.addAll(ids);
            cursor = page.getString("nextCursor");
            pages++;
        } while (cursor != null);
        assertEquals(3, pages);
        assertEquals(7, order.size());
        assertEquals(7, seen.size());
    }

    @Test
    void attributesAreValidatedAgainstTheCatalog() {
        String key = Api.newTenant();
        as(key).body(Map.of("entity", "customer", "key", "employees", "type", "integer")).post("/attributes")
                .then().statusCode(201).body("type", equalTo("integer"));
        as(key).body(Map.of("entity", "customer", "key", "employees", "type", "integer", "description", "headcount"))
                .post("/attributes").then().statusCode(200).body("description", equalTo("headcount"));
        as(key).body(Map.of("entity", "customer", "key", "employees", "type", "string")).post("/attributes")
                .then().statusCode(409);
        as(key).body(Map.of("entity", "customer", "key", "renewal", "type", "date")).post("/attributes")
                .then().statusCode(201);
        as(key).body(Map.of("entity", "customer", "key", "industries", "type", "stringList")).post("/attributes")
                .then().statusCode(201);
        as(key).body(Map.of("entity", "customer", "key", "1bad", "type", "string")).post("/attributes")
                .then().statusCode(422).body("errors[0].pointer", equalTo("/key"));
        as(key).body(Map.of("entity", "customer", "key", "x", "type", "decimal")).post("/attributes")
                .then().statusCode(422).body("errors[0].pointer", equalTo("/type"));

        as(key).body("""
                {"externalId": "a-1", "attributes": {"employees": 12.5, "renewal": "2026-13-01", "industries": [1],
                 "undeclared": true}}""").post("/customers").then().statusCode(422)
                .body("errors.pointer", hasItem("/attributes/employees"))
                .body("errors.pointer", hasItem("/attributes/renewal"))
                .body("errors.pointer", hasItem("/attributes/industries"))
                .body("errors.find { it.pointer == '/attributes/undeclared' }.code", equalTo("unknown_attribute"));
        as(key).body("""
                {"externalId": "a-1", "attributes": {"employees": 120, "renewal": "2026-12-01", "industries": ["retail"]}}""")
                .post("/customers").then().statusCode(201).body("attributes.employees", equalTo(120))
                .body("attributes.industries", contains("retail"));
        as(key).get("/attributes").then().statusCode(200).body("key", contains("employees", "industries", "renewal"));
    }
}
