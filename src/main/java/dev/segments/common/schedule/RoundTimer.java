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

    /** How long a scheduler waits at shutdown for its round under way. */
    public static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(5);

    private final String name;
    private final Logger log;
    private final AtomicBoolean running = new AtomicBoolean();
    private long timer = -1;
    private volatile boolean stopped;

    public RoundTimer(String name, Logger log) {
        this.name = name;
        this.log = log;
    }

    /** Starts the rounds (once; later calls are ignored). */
    public synchronized void start(Vertx vertx, Duration interval, Supplier<Uni<Integer>> round) {
        if (timer >= 0) {
            return;
        }
        stopped = false;
        timer = vertx.setPeriodic(interval.toMillis(), id -> {
            if (stopped || !running.compareAndSet(false, true)) {
                return; // stopping, or the previous round is still running
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
        stopped = true;
        if (timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    /**
     * At shutdown: stops the rounds and waits up to {@code wait} for one under way to end (never call it on an
     * event loop). True when none is running any more; false when one still runs after the wait (it is then cut
     * off by the pool closing, and its transaction rolls back: the work it did not commit is due again).
     */
    public boolean stopAndWait(Vertx vertx, Duration wait) {
        stop(vertx);
        long deadline = System.nanoTime() + wait.toNanos();
        while (running.get() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (running.get()) {
            log.warnf("%s: a round still runs after %s at shutdown; its uncommitted work is done again later", name, wait);
            return false;
        }
        return true;
    }

    /** Whether a round is under way. */
    public boolean running() {
        return running.get();
    }
}
