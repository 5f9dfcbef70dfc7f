package dev.segments.webhook.service;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The wait after a failed attempt: {@code base * 2^(attempt-1)}, at most {@code max}, plus up to 10% random
 * jitter (so receivers coming back from an outage are not hit by every delivery in the same second).
 */
public record Backoff(Duration base, Duration max) {

    /** The wait after failed attempt number {@code attempt} (1-based), without jitter. */
    public Duration nominal(int attempt) {
        long baseMs = Math.max(1, base.toMillis());
        int doublings = Math.min(Math.max(attempt - 1, 0), 40);
        long ms = baseMs > (Long.MAX_VALUE >> doublings) ? Long.MAX_VALUE : baseMs << doublings;
        return Duration.ofMillis(Math.min(ms, max.toMillis()));
    }

    /** {@link #nominal} plus 0-10% jitter. */
    public Duration after(int attempt) {
        long ms = nominal(attempt).toMillis();
        return Duration.ofMillis(ms + ThreadLocalRandom.current().nextLong(ms / 10 + 1));
    }
}
