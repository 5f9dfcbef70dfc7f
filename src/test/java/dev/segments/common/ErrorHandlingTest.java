package dev.segments.common;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;

/** Every client mistake gets a problem+json with a stable type; nothing leaks Java internals. */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class ErrorHandlingTest {

    @Test
    void missingAndInvalidKeysAre401() {
        RestAssured.given().get("/customers").then().statusCode(401)
                .contentType("application/problem+json").body("type", equalTo("/problems/unauthorized"))
                .header("WWW-Authenticate", "Bearer");
        RestAssured.given().auth().oauth2("sk_nope").get("/customers").then().statusCode(401)
                .body("type", equalTo("/problems/unauthorized"));
    }

    @Test
    void tenantKeyCannotUseAdminApi() {
        String key = Api.newTenant();
        as(key).get("/admin/tenants").then().statusCode(403).contentType("application/problem+json")
                .body("type", equalTo("/problems/forbidden"));
    }

    @Test
    void malformedJsonIs400() {
        String key = Api.newTenant();
        as(key).body("{\"externalId\": ").post("/customers").then().statusCode(400)
                .contentType("application/problem+json").body("type", equalTo("/problems/malformed-request"))
                .body("detail", not(containsString("com.fasterxml")));
    }

    @Test
    void wrongTypesAndUnknownFieldsAre422WithPointers() {
        String key = Api.newTenant();
        as(key).body("{\"externalId\": \"x\", \"birthDate\": \"not-a-date\"}").post("/customers").then()
                .statusCode(422).contentType("application/problem+json")
                .body("type", equalTo("/problems/validation"))
                .body("errors[0].pointer", equalTo("/birthDate"))
                .body("detail", not(containsString("java.")));
        as(key).body("{\"externalId\": \"x\", \"colour\": \"red\"}").post("/customers").then()
                .statusCode(422).body("errors[0].pointer", equalTo("/colour"))
                .body("errors[0].code", equalTo("unknown_property"));
        as(key).body("{\"externalId\": \"\", \"email\": \"nope\", \"contacts\": [{\"name\": \"\"}]}").post("/customers")
                .then().statusCode(422)
                .body("errors.pointer", hasItem("/externalId"))
                .body("errors.pointer", hasItem("/email"))
                .body("errors.pointer", hasItem("/contacts/0/name"));
    }

    @Test
    void unknownResourceIs404AndWrongMethodIs405() {
        String key = Api.newTenant();
        as(key).get("/customers/999999999").then().statusCode(404).contentType("application/problem+json")
                .body("type", equalTo("/problems/not-found"));
        as(key).get("/no-such-thing").then().statusCode(404).contentType("application/problem+json");
        as(key).put("/customers").then().statusCode(405).contentType("application/problem+json")
                .body("type", equalTo("/problems/method-not-allowed"));
    }

    @Test
    void wrongContentTypeIs415() {
        String key = Api.newTenant();
        RestAssured.given().auth().oauth2(key).contentType(ContentType.XML).body("<customer/>")
                .post("/customers").then().statusCode(415).contentType("application/problem+json")
                .body("type", equalTo("/problems/unsupported-media-type"));
    }

    @Test
    void oversizedBodyIs413() {
        String key = Api.newTenant();
        String big = "{\"externalId\": \"big\", \"name\": \"" + "x".repeat(1_100_000) + "\"}";
        as(key).body(big).post("/customers").then().statusCode(413).contentType("application/problem+json")
                .body("type", equalTo("/problems/payload-too-large"));
    }

    @Test
    void badCursorAndPageSizeAre422() {
        String key = Api.newTenant();
        as(key).queryParam("after", "!!!").get("/customers").then().statusCode(422)
                .body("errors[0].code", equalTo("invalid_cursor"));
        as(key).queryParam("limit", 0).get("/customers").then().statusCode(422)
                .body("errors[0].pointer", equalTo("limit"));
        as(key).get("/customers/abc").then().statusCode(404).contentType(startsWith("application/problem+json"));
    }
}
