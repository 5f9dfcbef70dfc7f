package dev.segments.tenant;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.RawHttp;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static dev.segments.support.Api.as;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.matchesPattern;
import static org.hamcrest.Matchers.notNullValue;

/** Per-tenant and per-key token buckets, and throttling of failed authentication per client address (issue 12, item 4). */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class RateLimitTest {

    @Test
    void aTenantOverItsRateGets429WithRetryAfterAndRateLimitHeaders() {
        var created = RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                .body(Map.of("name", "limited")).post("/admin/tenants").then().statusCode(201).extract().jsonPath();
        long tenantId = created.getLong("tenant.id");
        String key = created.getString("apiKey.key");
        String other = Api.newTenant();
        RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                .body(Map.of("rateLimit", Map.of("perSecond", 1, "burst", 3)))
                .patch("/admin/tenants/" + tenantId).then().statusCode(200)
                .body("rateLimit.perSecond", equalTo(1)).body("rateLimit.burst", equalTo(3));

        // REST and GraphQL alternate and draw from the same buckets: 3 at once, then 1 per second
        int allowed = 0;
        Response restRefused = null;
        Response graphQLRefused = null;
        long started = System.nanoTime();
        for (int i = 0; i < 30 && (restRefused == null || graphQLRefused == null); i++) {
            Response r = i % 2 == 0 ? as(key).get("/customers")
                    : RestAssured.given().auth().oauth2(key).contentType("application/json")
                    .body(Map.of("query", "{ segments { key } }")).post("/graphql");
            if (r.statusCode() == 200) {
                allowed++;
                assertThat(r.header("RateLimit-Policy"), matchesPattern("\"(tenant|key)\";q=3;w=3"));
                assertThat(r.header("RateLimit"), matchesPattern("\"(tenant|key)\";r=\\d+;t=\\d+"));
            } else if (i % 2 == 0) {
                restRefused = r;
            } else {
                graphQLRefused = r;
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        assertThat(allowed, greaterThanOrEqualTo(3));
        assertThat(allowed, lessThanOrEqualTo(3 + (int) Math.ceil(seconds)));
        assertThat(restRefused, notNullValue());
        assertThat(graphQLRefused, notNullValue());
        graphQLRefused.then().statusCode(429);
        restRefused.then().statusCode(429).contentType("application/problem+json")
                .body("type", equalTo("/problems/too-many-requests"));
        assertThat(Integer.parseInt(restRefused.header("Retry-After")), greaterThanOrEqualTo(1));
        assertThat(restRefused.header("RateLimit"), matchesPattern("\"(tenant|key)\";r=0;t=\\d+"));
        // another tenant is not affected
        as(other).get("/customers").then().statusCode(200);

        // back to the defaults: the bucket is rebuilt with the default size
        RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                .body("{\"rateLimit\": null}").patch("/admin/tenants/" + tenantId).then().statusCode(200);
        as(key).get("/customers").then().statusCode(200);
    }

    @Test
    void aTenantLimitIsValidated() {
        var created = RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                .body(Map.of("name", "invalid-limit")).post("/admin/tenants").then().statusCode(201).extract().jsonPath();
        RestAssured.given().auth().oauth2(Api.ADMIN_KEY).contentType("application/json")
                .body(Map.of("rateLimit", Map.of("perSecond", 0, "burst", 5)))
                .patch("/admin/tenants/" + created.getLong("tenant.id")).then().statusCode(422)
                .contentType("application/problem+json").body("errors[0].pointer", equalTo("/rateLimit/perSecond"));
    }

    @Test
    void anAddressThatKeepsFailingAuthenticationIsThrottled() {
        // a loopback source address of this test's own, so the budget of 127.0.0.1 (every other test) is untouched
        String address = "127.0." + ThreadLocalRandom.current().nextInt(1, 250) + "." + ThreadLocalRandom.current().nextInt(2, 250);
        String key = Api.newTenant();
        int failures = 0;
        RawHttp.Response response;
        do {
            response = RawHttp.send(address, "GET", "/customers", "sk_wrong_" + failures, null);
            failures++;
        } while (response.status() == 401 && failures < 100);
        assertThat(response.status(), equalTo(429));
        assertThat(failures - 1, equalTo(30));
        assertThat(response.body(), org.hamcrest.Matchers.containsString("/problems/too-many-requests"));
        assertThat(Integer.parseInt(response.header("retry-after")), greaterThanOrEqualTo(1));
        // while throttled, the address cannot try any key, a valid one included; other addresses can
        assertThat(RawHttp.send(address, "GET", "/customers", key, null).status(), equalTo(429));
        assertThat(RawHttp.send("GET", "/customers", key, null).status(), equalTo(200));
    }
}
