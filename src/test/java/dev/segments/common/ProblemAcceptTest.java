package dev.segments.common;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

/** A client accepting only application/problem+json (as generated clients do) gets successes too (issue 13). */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class ProblemAcceptTest {

    @Test
    void problemJsonInAcceptAdmitsTheSuccessType() {
        String key = Api.newTenant();
        long id = RestAssured.given().auth().oauth2(key).contentType("application/json").accept("application/problem+json")
                .body(Map.of("externalId", "acc-1", "name", "Accepting")).post("/customers")
                .then().statusCode(201).contentType(startsWith("application/json")).extract().jsonPath().getLong("id");
        RestAssured.given().auth().oauth2(key).accept("application/problem+json").get("/customers/" + id)
                .then().statusCode(200).contentType(startsWith("application/json")).body("name", equalTo("Accepting"));
        RestAssured.given().auth().oauth2(key).accept("application/problem+json").get("/segments/nope/count")
                .then().statusCode(404).contentType(startsWith("application/problem+json"));
        // a client asking for something the endpoint cannot produce, without problem+json, still gets a 406 problem
        RestAssured.given().auth().oauth2(key).accept("image/png").get("/customers/" + id)
                .then().statusCode(406).contentType(startsWith("application/problem+json"));
    }
}
