package dev.segments.common.schedule;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * A background round run every interval that never overlaps itself: a tick that finds the previous round still
 * running is skipped. Used by the schedulers whose rounds may take longer than their interval (the time-driven
 * membership refresh, the analytics runs). Each round returns how much it did, logged at debug when non-zero.
 */
public final class RoundTimer {

    private final String name;
    private final Logger log;
    private final AtomicBoolean running = new AtomicBoolean();
    private long timer = -1;

    public RoundTimer(String name, Logger log) {
        this.name = name;
        this.log = log;
    }

    /** Starts the rounds (once; later calls are ignored). */
    public synchronized void start(Vertx vertx, Duration interval, Supplier<Uni<Integer>> round) {
        if (timer >= 0) {
            return;
        }
        timer = vertx.setPeriodic(interval.toMillis(), id -> {
            if (!running.compareAndSet(false, true)) {
                return; // the previous round is still running
            }
            round.get().onTermination().invoke(() -> running.set(false))
                    .subscribe().with(n -> {
                        if (n > 0) {
                            log.debugf("%s: %d", name, n);
                        }
                    }, e -> log.error(name + " failed", e));
        });
    }

    /** Stops the rounds; one under way finishes. */
    public synchronized void stop(Vertx vertx) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }
}
