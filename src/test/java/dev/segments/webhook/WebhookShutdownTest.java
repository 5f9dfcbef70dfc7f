package dev.segments.webhook;

import dev.segments.support.EmbeddedPostgresResource;
import dev.segments.webhook.Feed.Tenant;
import dev.segments.webhook.persistence.ClaimedDelivery;
import dev.segments.webhook.service.WebhookDispatcher;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.segments.support.Api.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the dispatcher does at shutdown, against the real database: the leases of the deliveries it claimed and
 * has not recorded are given back (due now, the attempt not counted), so another instance sends them at once;
 * a lease whose attempt was recorded meanwhile is left alone. The receiver here never answers in time, so the
 * claimed deliveries are exactly those a stopping instance would hold.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class WebhookShutdownTest {

    static final Duration WAIT = Duration.ofSeconds(10);

    @Inject
    Pool pool;

    @Inject
    WebhookDispatcher dispatcher;

    Feed feed;

    @BeforeEach
    void setUp() {
        feed = new Feed(pool);
        feed.sql("delete from webhook_subscription");
    }

    @AfterEach
    void tearDown() {
        feed.sql("delete from webhook_subscription");
    }

    @Test
    void heldLeasesAreGivenBackAtShutdown() {
        Tenant t = feed.tenant(List.of("vip"), 2);
        // the URL is never connected to: the deliveries are only claimed, as by an instance about to stop
        as(t.key()).body(Map.of("url", "http://127.0.0.1:9/hook", "secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
                .post("/webhooks").then().statusCode(201);
        feed.enter(t, "vip", "c1", "c2");
        assertEquals(1, dispatcher.enqueue().await().atMost(WAIT));

        List<ClaimedDelivery> claimed = dispatcher.claim(10).await().atMost(WAIT);
        assertEquals(1, claimed.size());
        ClaimedDelivery d = claimed.get(0);
        assertEquals(1, d.attempt());
        assertEquals(Map.of(d.id(), 1), dispatcher.heldLeases());
        Row leased = feed.one("select attempts, next_attempt_at > now() from webhook_delivery where id = $1", d.id());
        assertEquals(1, leased.getInteger(0));
        assertTrue(leased.getBoolean(1), "leased: not due until the lease ends");
        assertEquals(List.of(), dispatcher.claim(10).await().atMost(WAIT), "nobody else can claim it meanwhile");

        assertEquals(1, dispatcher.releaseLeases().await().atMost(WAIT));
        Row released = feed.one("select attempts, next_attempt_at <= now(), status from webhook_delivery where id = $1",
                d.id());
        assertEquals(0, released.getInteger(0), "the interrupted attempt is not counted");
        assertTrue(released.getBoolean(1), "due now");
        assertEquals("pending", released.getString(2));
        assertEquals(Map.of(), dispatcher.heldLeases());

        // another instance claims it at once, as its first attempt
        List<ClaimedDelivery> again = dispatcher.claim(10).await().atMost(WAIT);
        assertEquals(List.of(d.id()), again.stream().map(ClaimedDelivery::id).toList());
        assertEquals(1, again.get(0).attempt());

        // a lease whose attempt was recorded meanwhile (here: failed and rescheduled) is not touched
        feed.sql("update webhook_delivery set attempts = 2, next_attempt_at = now() + interval '1 hour' where id = $1",
                d.id());
        assertEquals(0, dispatcher.releaseLeases().await().atMost(WAIT));
        Row untouched = feed.one("select attempts, next_attempt_at > now() from webhook_delivery where id = $1", d.id());
        assertEquals(2, untouched.getInteger(0));
        assertTrue(untouched.getBoolean(1));
    }
}
