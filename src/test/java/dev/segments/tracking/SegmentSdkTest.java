package dev.segments.tracking;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.Node;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.segments.support.Api.as;
import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.contains;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;

/**
 * Segment's own SDK, @segment/analytics-node 3.1.0 (src/test/node/tracking/segment-sdk.mjs), configured with
 * {@code host} and {@code path} to send to the tracking API: what it stores is read back through the REST API.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class SegmentSdkTest {

    @Test
    void analyticsNodeIdentifiesTracksAndBuys() {
        String key = Api.newTenant();
        Node.Result result = Node.run("tracking/segment-sdk.mjs", Map.of("API_KEY", key, "USER_ID", "sdk-user-1"));
        assertThat(result.describe(), result.exitCode(), equalTo(0));
        JsonObject seen = new JsonObject(result.lastLine());
        // one batch, posted to host + path with the key as the Basic user name, answered 200
        JsonObject request = seen.getJsonArray("requests").getJsonObject(0);
        assertThat(request.getString("url"), equalTo(Node.serviceUrl() + "/tracking/v1/batch"));
        assertThat(request.getJsonObject("headers").getString("Authorization"), startsWith("Basic "));
        assertThat(seen.getJsonArray("requests").getJsonObject(1).getInteger("status"), equalTo(200));

        JsonPath customer = as(key).get("/customers/by-external-id/sdk-user-1").then().statusCode(200)
                .extract().jsonPath();
        assertThat(customer.getString("name"), equalTo("Sam Segment"));
        assertThat(customer.getString("email"), equalTo("sam@example.com"));
        assertThat(customer.getString("city"), equalTo("Hamburg"));
        assertThat(customer.getString("country"), equalTo("Germany"));
        long id = customer.getLong("id");
        JsonPath events = as(key).get("/customers/" + id + "/events").then().statusCode(200).extract().jsonPath();
        assertThat(events.getList("items"), hasSize(1));
        assertThat(events.getString("items[0].name"), equalTo("Newsletter Subscribed"));
        assertThat(events.getString("items[0].properties.list"), equalTo("weekly"));
        JsonPath purchases = as(key).get("/customers/" + id + "/purchases").then().statusCode(200).extract().jsonPath();
        assertThat(purchases.getList("items.externalId"), contains("sdk-order-1"));
        assertThat(purchases.getDouble("items[0].amount"), equalTo(42.5));
        assertThat(purchases.getString("items[0].currency"), equalTo("EUR"));
        assertThat(purchases.getString("items[0].product"), equalTo("Espresso Machine"));
    }
}
