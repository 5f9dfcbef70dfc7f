package dev.segments.common;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.hamcrest.Matchers.containsStringIgnoringCase;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

/** Browsers from an allowed origin get answered preflights (before authentication) and CORS headers (issue 13). */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class CorsTest {

    static final String APP = "http://app.example.test";

    @Test
    void aPreflightFromAnAllowedOriginIsAnsweredWithoutAKey() {
        RestAssured.given().header("Origin", APP).header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization,content-type")
                .options("/graphql")
                .then().statusCode(200)
                .header("Access-Control-Allow-Origin", equalTo(APP))
                .header("Access-Control-Allow-Headers", containsStringIgnoringCase("authorization"));
    }

    @Test
    void requestsFromAnAllowedOriginCarryCorsHeadersAndOthersDoNot() {
        String key = Api.newTenant();
        RestAssured.given().auth().oauth2(key).header("Origin", APP).contentType("application/json")
                .body(Map.of("query", "{ segments { key } }")).post("/graphql")
                .then().statusCode(200).header("Access-Control-Allow-Origin", equalTo(APP))
                .header("Access-Control-Expose-Headers", containsStringIgnoringCase("RateLimit"));
        RestAssured.given().header("Origin", "http://evil.example.test").header("Access-Control-Request-Method", "POST")
                .options("/graphql")
                .then().statusCode(not(equalTo(200))).header("Access-Control-Allow-Origin", nullValue());
    }
}
