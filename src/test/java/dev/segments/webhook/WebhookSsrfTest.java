package dev.segments.webhook;

import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.support.FakeResolver;
import dev.segments.support.GraphQL;
import dev.segments.support.Receiver;
import dev.segments.support.Receiver.Answer;
import dev.segments.webhook.Feed.Tenant;
import dev.segments.webhook.service.WebhookDispatcher.Cycle;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Webhook SSRF (issue 12, item 6): private, loopback, link-local and metadata targets are refused at registration
 * (POST, PATCH, GraphQL) and again at connect time on the address actually connected to; redirects are not
 * followed; the log never shows what the receiver sent. Test settings: http allowed, 127.0.0.1/32 allowlisted
 * (the local receivers), host names answered by {@link FakeResolver} (no DNS). Nothing here connects anywhere but
 * 127.0.0.1: every other target is refused before a connection is opened.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class WebhookSsrfTest extends DispatcherFixture {

    static final String FORBIDDEN_MESSAGE = "url must name a host that resolves to public addresses only";

    /** Every form of the report, and more notations of the same addresses. */
    static final List<String> FORBIDDEN = List.of(
            "http://169.254.169.254/latest/meta-data/",
            "http://10.0.0.1/",
            "http://localhost:5432/",
            "http://[::1]:5432/",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://[fd00:ec2::254]/",
            "http://192.168.0.1/",
            "http://172.16.0.1/",
            "http://0.0.0.0/",
            "http://[::ffff:127.0.0.1]/",
            "http://100.64.0.1/",
            "http://224.0.0.1/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://017700000001/",
            "http://127.0.0.1./",
            "http://[::ffff:7f00:1]/",
            "http://[64:ff9b::a00:1]/",
            "http://[fe80::1%25eth0]/",
            "http://[::]/",
            "http://127.0.0.2/",
            "http://app.localhost/",
            // names that resolve to private addresses (one private answer is enough)
            "http://internal.example.test/",
            "http://mixed.example.test/",
            "http://v6.example.test/",
            // a name that does not resolve is refused alike (it tells nothing about the service's DNS)
            "http://nowhere.example.test/");

    @Inject
    FakeResolver resolver;

    @AfterEach
    void forgetNames() {
        resolver.forget("receiver.example.test");
        resolver.forget("rebind.example.test");
    }

    long subscribe(Tenant t, String url) {
        return as(t.key()).body(Map.of("url", url)).post("/webhooks").then().statusCode(201)
                .extract().jsonPath().getLong("id");
    }

    // ------------------------------------------------------------------ at registration

    @Test
    void everyForbiddenTargetIsRefusedAtCreateAndAtPatch() {
        Tenant t = feed.tenant(List.of("vip"), 1);
        for (String url : FORBIDDEN) {
            String body = as(t.key()).body(Map.of("url", url)).post("/webhooks").then().statusCode(422)
                    .contentType("application/problem+json")
                    .body("type", equalTo("/problems/validation"))
                    .body("errors.pointer", equalTo(List.of("/url")))
                    .body("errors.code", equalTo(List.of("forbidden_target")))
                    .body("errors[0].message", equalTo(FORBIDDEN_MESSAGE))
                    .extract().asString();
            assertFalse(body.contains("10.1.2.3") || body.contains("fd12"), "the problem echoes what a name resolved to");
        }
        long id = subscribe(t, receiver.url());
        for (String url : FORBIDDEN) {
            as(t.key()).body(Map.of("url", url)).patch("/webhooks/" + id).then().statusCode(422)
                    .contentType("application/problem+json")
                    .body("errors.pointer", equalTo(List.of("/url")))
                    .body("errors.code", equalTo(List.of("forbidden_target")));
        }
        // nothing was stored or changed
        as(t.key()).get("/webhooks").then().statusCode(200)
                .body("items.url", equalTo(List.of(receiver.url())));
        // the same problem with other errors: all reported at once
        as(t.key()).body(Map.of("url", "http://10.0.0.1/", "segments", List.of("nope"))).post("/webhooks").then()
                .statusCode(422)
                .body("errors.pointer", equalTo(List.of("/segments/0", "/url")))
                .body("errors.code", equalTo(List.of("unknown_segment", "forbidden_target")));
        // allowlisted: the loopback receivers of the tests
        as(t.key()).body(Map.of("url", "http://127.0.0.1:9/other")).patch("/webhooks/" + id).then().statusCode(200);
    }

    @Test
    void graphQLMutationsRefuseThemToo() {
        Tenant t = feed.tenant(List.of("vip"), 1);
        GraphQL.query(t.key(), "mutation($url: String!) { createWebhook(input: {url: $url}) { secret } }",
                        Map.of("url", "http://169.254.169.254/latest/meta-data/")).statusCode(200)
                .body("data.createWebhook", nullValue())
                .body("errors[0].extensions.type", equalTo("/problems/validation"))
                .body("errors[0].extensions.pointer", equalTo("/url"))
                .body("errors[0].extensions.errors.code", equalTo(List.of("forbidden_target")));
        long id = subscribe(t, receiver.url());
        for (String url : List.of("http://[fd00:ec2::254]/", "http://0x7f000001/", "http://metadata.google.internal/")) {
            GraphQL.query(t.key(), "mutation($id: ID!, $url: String) { updateWebhook(id: $id, input: {url: $url}) { url } }",
                            Map.of("id", String.valueOf(id), "url", url)).statusCode(200)
                    .body("errors[0].extensions.pointer", equalTo("/url"))
                    .body("errors[0].extensions.errors.code", equalTo(List.of("forbidden_target")));
        }
        as(t.key()).get("/webhooks/" + id).then().body("url", equalTo(receiver.url()));
    }

    @Test
    void aNullSegmentKeyIsA422WithItsPointer() {
        Tenant t = feed.tenant(List.of("vip"), 1);
        Map<String, Object> body = new HashMap<>();
        body.put("url", receiver.url());
        body.put("segments", Arrays.asList("vip", null));
        as(t.key()).body(body).post("/webhooks").then().statusCode(422)
                .contentType("application/problem+json")
                .body("errors.pointer", equalTo(List.of("/segments/1")))
                .body("errors.code", equalTo(List.of("required")));
        as(t.key()).body("{\"url\": \"" + receiver.url() + "\", \"segments\": [null]}").post("/webhooks").then()
                .statusCode(422).body("errors.pointer", equalTo(List.of("/segments/0")));
        long id = subscribe(t, receiver.url());
        as(t.key()).body("{\"segments\": [null]}").patch("/webhooks/" + id).then().statusCode(422)
                .contentType("application/problem+json")
                .body("errors.pointer", equalTo(List.of("/segments/0")))
                .body("errors.code", equalTo(List.of("required")));
        GraphQL.query(t.key(), "mutation($url: String!) { createWebhook(input: {url: $url, segments: [null]}) { secret } }",
                        Map.of("url", receiver.url())).statusCode(200)
                .body("errors[0].extensions.pointer", equalTo("/segments/0"))
                .body("errors[0].extensions.errors.code", equalTo(List.of("required")));
        GraphQL.query(t.key(), "mutation($id: ID!) { updateWebhook(id: $id, input: {segments: [null]}) { url } }",
                        Map.of("id", String.valueOf(id))).statusCode(200)
                .body("errors[0].extensions.pointer", equalTo("/segments/0"));
        as(t.key()).get("/webhooks").then().body("items.size()", equalTo(1)).body("items[0].segments", equalTo(List.of()));
    }

    // ------------------------------------------------------------------ at connect time

    @Test
    void aNamedReceiverIsCalledOnTheAddressThatWasCheckedWithItsOwnHostHeader() {
        Tenant t = feed.tenant(List.of("vip"), 1);
        resolver.script("receiver.example.test", List.of("127.0.0.1"));
        String url = "http://receiver.example.test:" + receiver.port() + "/hook";
        long id = subscribe(t, url);
        feed.enter(t, "vip", "c1");

        assertEquals(new Cycle(1, 1, 1), cycle());
        assertEquals(1, receiver.requests().size());
        assertEquals("receiver.example.test:" + receiver.port(), receiver.requests().get(0).host());
        // resolved at registration and again for the attempt
        assertEquals(2, resolver.lookups("receiver.example.test"));
        as(t.key()).get("/webhooks/" + id + "/deliveries").then()
                .body("items[0].status", equalTo("delivered")).body("items[0].lastError", nullValue());
    }

    @Test
    void aNameThatRebindsToADisallowedAddressIsRefusedWithoutConnecting() {
        Tenant t = feed.tenant(List.of("vip"), 1);
        // allowed at registration, then the name points elsewhere: 127.0.0.2 is loopback but not allowlisted (and
        // nothing listens there, so a connection would show up as "connection refused")
        resolver.script("rebind.example.test", List.of("127.0.0.1"), List.of("127.0.0.2"));
        long id = subscribe(t, "http://rebind.example.test:" + receiver.port() + "/hook");
        feed.enter(t, "vip", "c1");

        assertEquals(new Cycle(1, 1, 0), cycle());
        assertEquals(0, receiver.requests().size());
        assertEquals(2, resolver.lookups("rebind.example.test"));
        as(t.key()).get("/webhooks/" + id + "/deliveries").then()
                .body("items[0].status", equalTo("pending"))
                .body("items[0].lastStatusCode", nullValue())
                .body("items[0].lastError", equalTo("target not allowed"));

        // one allowed and one disallowed answer: still refused
        resolver.script("rebind.example.test", List.of("127.0.0.1", "127.0.0.2"));
        Feed.await(WAIT, "second attempt", () -> cycle().sent() == 1);
        assertEquals(0, receiver.requests().size());
        as(t.key()).get("/webhooks/" + id + "/deliveries").then()
                .body("items[0].attempts", equalTo(2)).body("items[0].lastError", equalTo("target not allowed"));
    }

    @Test
    void aStoredTargetThatIsNoLongerAllowedIsNotCalled() {
        // e.g. registered before these checks existed, or under a wider allowlist
        Tenant t = feed.tenant(List.of("vip"), 1);
        long id = subscribe(t, receiver.url());
        List<String> stored = List.of("http://127.0.0.2:" + receiver.port() + "/hook",
                "http://2130706433:" + receiver.port() + "/hook", "http://localhost:" + receiver.port() + "/hook",
                "http://[::ffff:127.0.0.1]:" + receiver.port() + "/hook");
        feed.enter(t, "vip", "c1");
        List<String> errors = new ArrayList<>();
        for (String url : stored) {
            feed.sql("update webhook_subscription set url = $1 where id = $2", url, id);
            feed.sql("""
                    update webhook_delivery set status = 'pending', attempts = 0, next_attempt_at = now(),
                                                last_error = null where subscription_id = $1""", id);
            assertEquals(1, cycle().sent(), url);
            errors.add(as(t.key()).get("/webhooks/" + id + "/deliveries").then().extract().path("items[0].lastError"));
        }
        assertEquals(List.of("target not allowed", "target not allowed", "target not allowed", "target not allowed"),
                errors);
        assertEquals(0, receiver.requests().size());
    }

    // ------------------------------------------------------------------ what the log shows

    @Test
    void theLogShowsTheStatusAndAFixedReasonNeverTheReceiversBodyOrHeaders() {
        Tenant t = feed.tenant(List.of("vip"), 1);
        long id = subscribe(t, receiver.url());
        receiver.respond(n -> Answer.of(500));
        feed.enter(t, "vip", "c1");

        assertEquals(new Cycle(1, 1, 0), cycle());
        assertEquals(1, receiver.requests().size());
        String log = as(t.key()).get("/webhooks/" + id + "/deliveries").then().statusCode(200)
                .body("items[0].lastStatusCode", equalTo(500))
                .body("items[0].lastError", equalTo("HTTP 500"))
                .extract().asString();
        assertFalse(log.contains("receiver says no") || log.contains("s3cr3t"), log);
        GraphQL.query(t.key(), "{ webhooks { nodes { deliveries { nodes { lastError lastStatusCode } } } } }")
                .statusCode(200)
                .body("data.webhooks.nodes[0].deliveries.nodes[0].lastError", equalTo("HTTP 500"))
                .body(not(org.hamcrest.Matchers.containsString("s3cr3t")));
    }

    @Test
    void redirectsAreRecordedAsFailuresAndNotFollowed() {
        Tenant t = feed.tenant(List.of("vip"), 1);
        try (Receiver elsewhere = new Receiver()) {
            long id = subscribe(t, receiver.url());
            receiver.respond(n -> Answer.redirect(n == 0 ? 302 : 307, elsewhere.url()));
            feed.enter(t, "vip", "c1");

            assertEquals(new Cycle(1, 1, 0), cycle());
            as(t.key()).get("/webhooks/" + id + "/deliveries").then()
                    .body("items[0].status", equalTo("pending"))
                    .body("items[0].lastStatusCode", equalTo(302))
                    .body("items[0].lastError", equalTo("redirect not followed"));
            Feed.await(WAIT, "second attempt", () -> cycle().sent() == 1);
            as(t.key()).get("/webhooks/" + id + "/deliveries").then()
                    .body("items[0].lastStatusCode", equalTo(307))
                    .body("items[0].lastError", equalTo("redirect not followed"));
            assertEquals(2, receiver.requests().size());
            assertEquals(0, elsewhere.requests().size());
        }
    }

    @Test
    void aClosedPortIsAConnectionRefused() {
        Tenant t = feed.tenant(List.of("vip"), 1);
        Receiver closed = new Receiver();
        String url = closed.url();
        closed.close();
        long id = subscribe(t, url);
        feed.enter(t, "vip", "c1");

        assertEquals(new Cycle(1, 1, 0), cycle());
        String error = as(t.key()).get("/webhooks/" + id + "/deliveries").then()
                .body("items[0].lastStatusCode", nullValue()).extract().path("items[0].lastError");
        assertEquals("connection refused", error);
        assertTrue(!error.contains("127.0.0.1"));
    }
}
