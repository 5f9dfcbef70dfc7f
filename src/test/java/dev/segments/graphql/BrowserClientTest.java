package dev.segments.graphql;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.Node;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.segments.support.Api.as;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A frontend in a real browser on another origin (headless Chromium driven by playwright-core, see
 * src/test/node/browser): it reads segments and previews a rule over GraphQL through CORS, subscribes with graphql-ws
 * (the key in connectionParams) and receives the entered event of a customer created meanwhile. Needs Debian's
 * {@code chromium} (installed by .ci/run; elsewhere {@code apt-get install chromium}, or CHROMIUM=/path).
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class BrowserClientTest {

    @Test
    void aPageFromAnotherOriginReadsPreviewsAndSubscribes() {
        String key = Api.newTenant();
        as(key).body(Map.of("key", "vip", "name", "VIP", "rule", Map.of("field", "priceTier", "op", "eq", "value", "vip")))
                .post("/segments").then().statusCode(201);
        Api.customer(key, "vip-1", Map.of("priceTier", "vip"));
        Api.customer(key, "low-1", Map.of("priceTier", "low"));

        Node.Result result = Node.run("browser/run-page.mjs", Map.of("API_KEY", key,
                "SCREENSHOT", System.getProperty("java.io.tmpdir") + "/segments-browser-test.png"));
        assertEquals(0, result.exitCode(), result.describe());
        JsonObject seen = new JsonObject(result.lastLine());
        assertEquals("vip", seen.getJsonArray("segments").getJsonObject(0).getString("key"), seen.encode());
        assertEquals(1, seen.getJsonArray("segments").getJsonObject(0).getInteger("count"), seen.encode());
        assertEquals(1, seen.getJsonObject("preview").getInteger("count"), seen.encode());
        assertEquals("vip-1", seen.getJsonObject("preview").getJsonArray("sample").getJsonObject(0).getString("externalId"));
        assertEquals("entered", seen.getJsonObject("event").getString("kind"), seen.encode());
        assertEquals("browser-vip", seen.getJsonObject("event").getString("customerExternalId"), seen.encode());
        assertEquals(false, seen.containsKey("error"), seen.encode());
    }
}
