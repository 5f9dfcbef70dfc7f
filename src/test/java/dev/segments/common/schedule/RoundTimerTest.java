package dev.segments.common.schedule;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rounds repeat on their interval, never overlap when one outlasts the interval, and end with stop. */
class RoundTimerTest {

    @Test
    void roundsRepeatWithoutOverlapAndStop() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            AtomicInteger started = new AtomicInteger();
            AtomicInteger running = new AtomicInteger();
            AtomicInteger mostAtOnce = new AtomicInteger();
            RoundTimer timer = new RoundTimer("test rounds", Logger.getLogger(RoundTimerTest.class));
            // each round takes 120 ms, four times the 30 ms interval
            timer.start(vertx, Duration.ofMillis(30), () -> {
                started.incrementAndGet();
                mostAtOnce.accumulateAndGet(running.incrementAndGet(), Math::max);
                return Uni.createFrom().item(1).onItem().delayIt().by(Duration.ofMillis(120))
                        .invoke(running::decrementAndGet);
            });
            Thread.sleep(700);
            timer.stop(vertx);
            int afterStop = started.get();
            assertTrue(afterStop >= 3, "rounds repeat: " + afterStop);
            assertTrue(afterStop <= 7, "ticks during a round are skipped: " + afterStop);
            assertEquals(1, mostAtOnce.get(), "rounds never overlap");
            Thread.sleep(300);
            assertEquals(afterStop, started.get(), "no round starts after stop");
        } finally {
            vertx.closeAndAwait();
        }
    }

    @Test
    void stopAndWaitLetsTheRoundUnderWayFinishAndStartsNoOther() throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            AtomicInteger started = new AtomicInteger();
            AtomicInteger finished = new AtomicInteger();
            RoundTimer timer = new RoundTimer("test rounds", Logger.getLogger(RoundTimerTest.class));
            timer.start(vertx, Duration.ofMillis(20), () -> {
                started.incrementAndGet();
                return Uni.createFrom().item(1).onItem().delayIt().by(Duration.ofMillis(300))
                        .invoke(finished::incrementAndGet);
            });
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!timer.running() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(timer.running(), "a round is under way");
            assertTrue(timer.stopAndWait(vertx, Duration.ofSeconds(5)), "it finished within the wait");
            assertEquals(started.get(), finished.get(), "the round under way finished before stopAndWait returned");
            int rounds = started.get();
            Thread.sleep(200);
            assertEquals(rounds, started.get(), "no round after stop");

            // a round that outlasts the wait: stopAndWait gives up and says so
            RoundTimer slow = new RoundTimer("slow rounds", Logger.getLogger(RoundTimerTest.class));
            slow.start(vertx, Duration.ofMillis(20), () -> Uni.createFrom().item(1).onItem().delayIt()
                    .by(Duration.ofSeconds(3)));
            deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (!slow.running() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertFalse(slow.stopAndWait(vertx, Duration.ofMillis(100)));
        } finally {
            vertx.closeAndAwait();
        }
    }
}
