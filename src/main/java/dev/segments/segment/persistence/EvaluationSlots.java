package dev.segments.segment.persistence;

import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * Caps the rule evaluations running at the same time, per HTTP request ({@code segments.query.max-concurrent-per-request})
 * per tenant ({@code max-concurrent-per-tenant}) and per instance ({@code max-concurrent-total}, below the pool's size),
 * so that one GraphQL query with many aliases, one tenant, or all tenants together cannot take every connection of
 * the pool: plain reads and writes always find one. An evaluation over the cap waits in order (without blocking a thread) up to
 * {@code segments.query.max-wait}, then fails with a 503 {@code /problems/unavailable} problem (Retry-After: 1).
 *
 * <p>The tenant cap is per instance (a map by tenant id in memory): N instances allow N times the cap against the
 * shared database. The request is told apart by its Vert.x duplicated context (one per HTTP request in Quarkus);
 * work outside a request (none today) has only the tenant cap.
 */
@ApplicationScoped
public class EvaluationSlots {

    private static final String REQUEST_SLOTS = "segments.rule-evaluation-slots";

    private final int perRequest;
    private final int perTenant;
    private final Duration maxWait;
    private final Vertx vertx;
    private final ConcurrentMap<Long, Slots> tenants = new ConcurrentHashMap<>();
    private final Slots total;

    EvaluationSlots(ServiceConfig config, Vertx vertx) {
        this.total = new Slots(config.query().maxConcurrentTotal());
        this.perRequest = config.query().maxConcurrentPerRequest();
        this.perTenant = config.query().maxConcurrentPerTenant();
        this.maxWait = config.query().maxWait();
        this.vertx = vertx;
    }

    /**
     * Runs work once a slot of its request, of its tenant and of the instance is free (or fails after max-wait at
     * any of them); frees them when it ends.
     */
    public <T> Uni<T> run(long tenantId, Supplier<Uni<T>> work) {
        Slots tenant = tenants.computeIfAbsent(tenantId, id -> new Slots(perTenant));
        Slots request = requestSlots();
        Supplier<Uni<T>> instanceGuarded = () -> guarded(total, work);
        Supplier<Uni<T>> tenantGuarded = () -> guarded(tenant, instanceGuarded);
        return request == null ? tenantGuarded.get() : guarded(request, tenantGuarded);
    }

    /** Evaluations running now on this instance (for tests and metrics). */
    public int running() {
        return total.used();
    }

    /** Evaluations of this tenant running now (for tests and metrics). */
    public int running(long tenantId) {
        Slots s = tenants.get(tenantId);
        return s == null ? 0 : s.used();
    }

    private Slots requestSlots() {
        if (!VertxContext.isOnDuplicatedContext()) {
            return null;
        }
        Slots slots = ContextLocals.<Slots>get(REQUEST_SLOTS).orElse(null);
        if (slots == null) {
            slots = new Slots(perRequest);
            ContextLocals.put(REQUEST_SLOTS, slots);
        }
        return slots;
    }

    private <T> Uni<T> guarded(Slots slots, Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> slots.acquire(maxWait, vertx))
                .chain(() -> Uni.createFrom().<T>deferred(work::get).eventually(slots::release));
    }

    /** A fair counting semaphore whose waiters are futures, not threads. */
    static final class Slots {
        private final int max;
        private int used;
        private final ArrayDeque<CompletableFuture<Void>> waiters = new ArrayDeque<>();

        Slots(int max) {
            this.max = Math.max(1, max);
        }

        synchronized int used() {
            return used;
        }

        Uni<Void> acquire(Duration maxWait, Vertx vertx) {
            CompletableFuture<Void> granted;
            synchronized (this) {
                if (used < max && waiters.isEmpty()) {
                    used++;
                    return Uni.createFrom().voidItem();
                }
                granted = new CompletableFuture<>();
                waiters.add(granted);
            }
            long timer = vertx.setTimer(Math.max(1, maxWait.toMillis()), id -> {
                if (granted.completeExceptionally(new ProblemException(ProblemType.UNAVAILABLE,
                        "Too many rule evaluations are running for this tenant or request; try again shortly"))) {
                    forget(granted);
                }
            });
            // a slot is handed over on the releasing request's thread: go on in the waiting request's own context
            io.vertx.core.Context context = Vertx.currentContext();
            Uni<Void> waited = Uni.createFrom().completionStage(granted);
            if (context != null) {
                waited = waited.emitOn(task -> context.runOnContext(v -> task.run()));
            }
            return waited
                    .onItemOrFailure().invoke(() -> vertx.cancelTimer(timer))
                    .onCancellation().invoke(() -> {
                        vertx.cancelTimer(timer);
                        if (!granted.completeExceptionally(new java.util.concurrent.CancellationException())) {
                            if (!granted.isCompletedExceptionally()) {
                                release(); // granted while being cancelled: hand the slot on
                            }
                        } else {
                            forget(granted);
                        }
                    });
        }

        private synchronized void forget(CompletableFuture<Void> waiter) {
            waiters.remove(waiter);
        }

        void release() {
            while (true) {
                CompletableFuture<Void> next;
                synchronized (this) {
                    next = waiters.poll();
                    if (next == null) {
                        used--;
                        return;
                    }
                }
                if (next.complete(null)) {
                    return; // the slot passes to the next waiter
                }
            }
        }
    }
}
