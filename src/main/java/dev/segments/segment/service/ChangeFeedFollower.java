package dev.segments.segment.service;

import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.pagination.Cursors;
import dev.segments.common.tenancy.ApiKeyAuthentication;
import dev.segments.segment.MembershipDtos.Change;
import dev.segments.segment.persistence.MembershipRepository;
import dev.segments.segment.persistence.MembershipRepository.TenantChange;
import dev.segments.segment.persistence.SegmentRepository;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.mutiny.subscription.MultiEmitter;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Follows the change feed for live subscribers (the GraphQL subscription). One reader per instance, not one per
 * subscriber: every {@code poll-interval} a single statement reads each subscribed tenant's changes after that
 * tenant's cursor, and the rows are handed to the tenant's subscribers of each segment. Database load therefore
 * grows with the number of tenants that have subscribers, not with the number of subscriptions.
 * <p>
 * Reading the database (not an in-process event) means every instance sees every change, in feed order, and a
 * subscriber can resume from a cursor. Within a tenant, feed ids are assigned and committed in order (the
 * per-tenant lock of {@code MembershipRepository}), so a tenant's cursor only moves forward past rows that are
 * all visible. A subscriber that resumes from an older cursor pulls its tenant's cursor back; the others skip
 * rows they already had.
 * <p>
 * Bounds: subscriptions per connection and per tenant ({@code segments.subscriptions.*}); the API key of every
 * open subscription is re-checked every {@code key-check-interval}, and a revoked key's subscriptions end with a
 * forbidden error and its WebSocket connection is closed.
 */
@ApplicationScoped
public class ChangeFeedFollower {

    private static final Logger LOG = Logger.getLogger(ChangeFeedFollower.class);
    private static final int BATCH = 1000;
    /** How long a revoked key's connection stays open after its subscriptions' error frames were emitted. */
    private static final long ERROR_FRAME_GRACE_MS = 500;

    /** Who is subscribing: the tenant, the key it authenticated with, and its connection (closed on revocation). */
    public record Subscriber(long tenantId, Long keyId, Object connection, Runnable closeConnection) {
    }

    private static final class Live {
        final long id;
        final Subscriber who;
        final long segmentId;
        final AtomicLong cursor;
        final MultiEmitter<? super Change> emitter;

        Live(long id, Subscriber who, long segmentId, long cursor, MultiEmitter<? super Change> emitter) {
            this.id = id;
            this.who = who;
            this.segmentId = segmentId;
            this.cursor = new AtomicLong(cursor);
            this.emitter = emitter;
        }
    }

    private final MembershipRepository repository;
    private final SegmentRepository segments;
    private final ApiKeyAuthentication authentication;
    private final Vertx vertx;
    private final ServiceConfig.Subscriptions config;

    private final Map<Long, Live> live = new HashMap<>();
    private final Map<Long, Long> tenantCursors = new HashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private long timer = -1;
    private boolean reading;
    private long lastKeyCheck = System.nanoTime();

    ChangeFeedFollower(MembershipRepository repository, SegmentRepository segments, ApiKeyAuthentication authentication,
                       Vertx vertx, ServiceConfig config) {
        this.repository = repository;
        this.segments = segments;
        this.authentication = authentication;
        this.vertx = vertx;
        this.config = config.subscriptions();
    }

    /** The segment's changes after {@code after} (a feed cursor), or after the current end of the feed. */
    public Multi<Change> follow(Subscriber who, String key, String after) {
        Long afterId = after == null ? null : Cursors.decodeId(after);
        return Multi.createFrom().emitter(emitter -> segments.find(who.tenantId(), key)
                .map(r -> r.orElseThrow(() -> SegmentService.notFound(key)))
                .chain(s -> (afterId != null ? Uni.createFrom().item(afterId) : repository.lastChangeId(who.tenantId()))
                        .map(cursor -> register(who, s.id(), cursor, emitter)))
                .emitOn(Infrastructure.getDefaultExecutor())
                .subscribe().with(id -> emitter.onTermination(() -> unregister(id)), emitter::fail));
    }

    /** Open subscriptions on this instance (for tests and metrics). */
    public synchronized int open() {
        return live.size();
    }

    private synchronized long register(Subscriber who, long segmentId, long cursor, MultiEmitter<? super Change> emitter) {
        long onConnection = live.values().stream().filter(l -> l.who.connection() == who.connection()).count();
        if (onConnection >= config.maxPerConnection()) {
            throw new ProblemException(ProblemType.TOO_MANY_REQUESTS,
                    "At most " + config.maxPerConnection() + " subscriptions on one connection");
        }
        long ofTenant = live.values().stream().filter(l -> l.who.tenantId() == who.tenantId()).count();
        if (ofTenant >= config.maxPerTenant()) {
            throw new ProblemException(ProblemType.TOO_MANY_REQUESTS,
                    "At most " + config.maxPerTenant() + " open subscriptions per tenant");
        }
        long id = ids.incrementAndGet();
        live.put(id, new Live(id, who, segmentId, cursor, emitter));
        tenantCursors.merge(who.tenantId(), cursor, Math::min);
        if (timer < 0) {
            timer = vertx.setPeriodic(config.pollInterval().toMillis(), t -> read());
        }
        return id;
    }

    private synchronized void unregister(long id) {
        Live gone = live.remove(id);
        if (gone != null && live.values().stream().noneMatch(l -> l.who.tenantId() == gone.who.tenantId())) {
            tenantCursors.remove(gone.who.tenantId());
        }
        if (live.isEmpty() && timer >= 0) {
            vertx.cancelTimer(timer);
            timer = -1;
        }
    }

    private void read() {
        Long[] tenants;
        Long[] cursors;
        synchronized (this) {
            if (reading || tenantCursors.isEmpty()) {
                return;
            }
            reading = true;
            tenants = tenantCursors.keySet().toArray(Long[]::new);
            cursors = new Long[tenants.length];
            for (int i = 0; i < tenants.length; i++) {
                cursors[i] = tenantCursors.get(tenants[i]);
            }
        }
        repository.changesAfter(tenants, cursors, BATCH)
                .call(this::checkKeysIfDue)
                .subscribe().with(rows -> {
                    dispatch(rows);
                    done();
                }, failure -> {
                    LOG.warn("reading the change feed for subscribers failed; retrying at the next interval", failure);
                    done();
                });
    }

    private synchronized void done() {
        reading = false;
    }

    private void dispatch(List<TenantChange> rows) {
        List<Runnable> emits = new ArrayList<>();
        synchronized (this) {
            for (TenantChange row : rows) {
                tenantCursors.computeIfPresent(row.tenantId(), (t, c) -> Math.max(c, row.change().id()));
                for (Live l : live.values()) {
                    if (l.who.tenantId() == row.tenantId() && l.segmentId == row.segmentId()
                            && row.change().id() > l.cursor.get()) {
                        l.cursor.set(row.change().id());
                        Change change = view(row.change());
                        emits.add(() -> l.emitter.emit(change));
                    }
                }
            }
        }
        // Hand over off the event loop (as Mutiny's ticks did before): the GraphQL subscription machinery runs in
        // the emitting thread and leaves its context there, which a REST request on the same event loop would see.
        if (!emits.isEmpty()) {
            Infrastructure.getDefaultExecutor().execute(() -> emits.forEach(Runnable::run));
        }
    }

    private Uni<Void> checkKeysIfDue(Object ignored) {
        Set<Long> keys = new HashSet<>();
        synchronized (this) {
            if (System.nanoTime() - lastKeyCheck < config.keyCheckInterval().toNanos()) {
                return Uni.createFrom().voidItem();
            }
            lastKeyCheck = System.nanoTime();
            live.values().forEach(l -> {
                if (l.who.keyId() != null) {
                    keys.add(l.who.keyId());
                }
            });
        }
        if (keys.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return authentication.validKeys(keys.toArray(Long[]::new)).invoke(valid -> {
            List<Live> revoked;
            synchronized (this) {
                revoked = live.values().stream()
                        .filter(l -> l.who.keyId() != null && !valid.contains(l.who.keyId())).toList();
            }
            java.util.Map<Object, List<Live>> byConnection = new java.util.LinkedHashMap<>();
            for (Live l : revoked) {
                byConnection.computeIfAbsent(l.who.connection(), c -> new java.util.ArrayList<>()).add(l);
            }
            for (List<Live> onOneConnection : byConnection.values()) {
                // the error frames first, then the connection: the close is timed from after the failures were
                // handed over (not from now), so a busy worker pool cannot let the close overtake them
                Infrastructure.getDefaultExecutor().execute(() -> {
                    for (Live l : onOneConnection) {
                        l.emitter.fail(new ProblemException(ProblemType.FORBIDDEN,
                                "The API key of this subscription was revoked"));
                    }
                    vertx.setTimer(ERROR_FRAME_GRACE_MS, t -> onOneConnection.get(0).who.closeConnection().run());
                });
            }
        }).replaceWithVoid();
    }

    private static Change view(MembershipRepository.Change c) {
        return new Change(Cursors.encodeId(c.id()), c.segmentKey(), c.customerId(), c.customerExternalId(), c.kind(),
                c.cause(), c.at(), c.flippedNodes());
    }
}
