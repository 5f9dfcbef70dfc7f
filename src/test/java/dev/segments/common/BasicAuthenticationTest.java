package dev.segments.common;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * The tenant API key as the Basic user name with an empty password, as Segment, RudderStack and the other CDP
 * pipelines send a write key (docs/security.md): accepted on every endpoint like Bearer; anything else is a 401.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class BasicAuthenticationTest {

    private static String basic(String userColonPassword) {
        return "Basic " + Base64.getEncoder().encodeToString(userColonPassword.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theKeyAsBasicUserNameWithAnEmptyPasswordAuthenticates() {
        String key = Api.newTenant();
        Api.customer(key, "basic-1", java.util.Map.of());
        RestAssured.given().header("Authorization", basic(key + ":")).get("/customers/by-external-id/basic-1")
                .then().statusCode(200).body("externalId", equalTo("basic-1"));
        // the scheme name is case-insensitive, as RFC 9110 says
        RestAssured.given().header("Authorization", basic(key + ":").replace("Basic", "basic"))
                .get("/customers/by-external-id/basic-1").then().statusCode(200);
    }

    @Test
    void aWrongKeyIs401Problem() {
        RestAssured.given().header("Authorization", basic("sk_not_a_key:")).get("/customers").then().statusCode(401)
                .contentType("application/problem+json").body("type", equalTo("/problems/unauthorized"))
                .body("detail", equalTo("The API key is not valid"));
    }

    @Test
    void malformedBasicCredentialsAre401Problems() {
        String key = Api.newTenant();
        for (String header : new String[]{
                "Basic %%%not-base64%%%",             // not base64
                basic(key),                           // no colon
                basic(key + ":secret"),               // a password: the key goes in the user name, the password is empty
                basic(":" + key),                     // the key as the password
                "Basic " + Base64.getEncoder().encodeToString(new byte[]{(byte) 0xff, (byte) 0xfe, ':'}), // not UTF-8
                "Basic "}) {
            RestAssured.given().header("Authorization", header).get("/customers").then().statusCode(401)
                    .contentType("application/problem+json").body("type", equalTo("/problems/unauthorized"))
                    .body("detail", containsString("Basic"));
        }
    }
}
