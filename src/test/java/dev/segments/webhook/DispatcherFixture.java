package dev.segments.webhook;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.support.Receiver;
import dev.segments.webhook.service.WebhookDispatcher;
import dev.segments.webhook.service.WebhookDispatcher.Cycle;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.time.Duration;

/**
 * What the dispatcher tests share: the database {@link Feed}, a local {@link Receiver} per test, and
 * {@link #cycle()} driving the dispatcher one cycle at a time (the timer is off in tests; WebhookTimerTest covers
 * it). Every subscription is deleted before and after each test, so a test's cycles see only its own.
 */
abstract class DispatcherFixture {

    static final Duration WAIT = Duration.ofSeconds(10);
    static final ObjectMapper JSON = new ObjectMapper();

    @Inject
    Pool pool;

    @Inject
    WebhookDispatcher dispatcher;

    Feed feed;
    Receiver receiver;

    @BeforeEach
    void openFixture() {
        feed = new Feed(pool);
        feed.sql("delete from webhook_subscription");
        receiver = new Receiver();
    }

    @AfterEach
    void closeFixture() {
        receiver.close();
        feed.sql("delete from webhook_subscription");
    }

    Cycle cycle() {
        return dispatcher.runOnce().await().atMost(WAIT);
    }
}
