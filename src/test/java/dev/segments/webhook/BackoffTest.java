package dev.segments.webhook;

import dev.segments.webhook.service.Backoff;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The retry schedule: doubling from the base, capped, with at most 10% jitter on top. */
class BackoffTest {

    @Test
    void doublesUpToTheCap() {
        Backoff b = new Backoff(Duration.ofSeconds(1), Duration.ofHours(1));
        assertEquals(Duration.ofSeconds(1), b.nominal(1));
        assertEquals(Duration.ofSeconds(2), b.nominal(2));
        assertEquals(Duration.ofSeconds(4), b.nominal(3));
        assertEquals(Duration.ofSeconds(2048), b.nominal(12));
        assertEquals(Duration.ofHours(1), b.nominal(13));
        assertEquals(Duration.ofHours(1), b.nominal(1000));
        // the default schedule (15 attempts) keeps retrying for about three hours
        long total = IntStream.rangeClosed(1, 14).mapToLong(n -> b.nominal(n).toSeconds()).sum();
        assertEquals(4095 + 2 * 3600, total);
    }

    @Test
    void jitterAddsAtMostTenPercent() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10));
        for (int attempt = 1; attempt <= 10; attempt++) {
            for (int i = 0; i < 50; i++) {
                long nominal = b.nominal(attempt).toMillis();
                long actual = b.after(attempt).toMillis();
                assertTrue(actual >= nominal && actual <= nominal + nominal / 10, attempt + ": " + actual);
            }
        }
    }
}
