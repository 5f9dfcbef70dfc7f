package dev.segments.common;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.empty;
import static org.hamcrest.Matchers.equalTo;

/**
 * The spec declares every optional list of a request body nullable (common/openapi/PartialUpdateFilter), so
 * generated clients leave unset lists out; a client may also send them as null. The service must read that null
 * like an absent member, and a merge patch that leaves a list out must keep it (issue 13).
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class NullableListsTest {

    @Test
    void nullListsInCreatesAreReadAsAbsent() {
        String key = Api.newTenant();
        long id = as(key).body("""
                {"externalId": "n-1", "tags": null, "phones": null, "contacts": null}""")
                .post("/customers").then().statusCode(201)
                .body("tags", empty()).body("phones", empty()).body("contacts", empty())
                .extract().jsonPath().getLong("id");
        as(key).body("""
                {"key": "nulls", "name": "Static", "kind": "static", "tags": null}""")
                .post("/segments").then().statusCode(201).body("tags", empty());
        as(key).body("{\"customerIds\": [" + id + "], \"externalIds\": null}")
                .post("/segments/nulls/members").then().statusCode(200).body("changed", equalTo(1));
        as(key).body("{\"customerIds\": null, \"externalIds\": [\"n-1\"]}")
                .post("/segments/nulls/members/remove").then().statusCode(200).body("changed", equalTo(1));
        long hook = as(key).body("{\"url\": \"http://127.0.0.1:9/hook\", \"segments\": null}")
                .post("/webhooks").then().statusCode(201).body("segments", empty())
                .extract().jsonPath().getLong("id");
        as(key).body("{\"segments\": [\"nulls\"]}").patch("/webhooks/" + hook).then().statusCode(200)
                .body("segments", contains("nulls"));
        // a PATCH with segments null or left out keeps the filter (an empty list would mean every segment)
        as(key).body("{\"segments\": null, \"active\": false}").patch("/webhooks/" + hook).then().statusCode(200)
                .body("segments", contains("nulls")).body("active", equalTo(false));
        as(key).body("{\"active\": true}").patch("/webhooks/" + hook).then().statusCode(200)
                .body("segments", contains("nulls"));
    }

    @Test
    void aMergePatchOfOneFieldKeepsTheLists() {
        String key = Api.newTenant();
        long id = Api.customer(key, "p-1", java.util.Map.of("region", "North", "tags", List.of("b2b"),
                "phones", List.of("+1 555 0100")));
        as(key).contentType("application/merge-patch+json").body("{\"region\": \"South\"}")
                .patch("/customers/" + id).then().statusCode(200)
                .body("region", equalTo("South")).body("tags", contains("b2b")).body("phones", contains("+1 555 0100"));
        as(key).contentType("application/merge-patch+json").body("{\"tags\": null}")
                .patch("/customers/" + id).then().statusCode(200)
                .body("tags", empty()).body("phones", contains("+1 555 0100"));
    }
}
