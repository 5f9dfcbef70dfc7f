package dev.segments.segment.service;

import dev.segments.common.config.ServiceConfig;
import dev.segments.common.metrics.ServiceMetrics;
import dev.segments.rule.ResolvedSegment;
import dev.segments.rule.RuleDependencies;
import dev.segments.rule.RuleNode;
import dev.segments.rule.Source;
import dev.segments.rule.sql.QueryShapes.Target;
import dev.segments.rule.sql.QueryShapes.DueUpdate;
import dev.segments.rule.sql.QueryShapes.Why;
import dev.segments.segment.persistence.MembershipRepository;
import dev.segments.segment.persistence.MembershipRepository.Diff;
import dev.segments.segment.persistence.SegmentRow;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import dev.segments.common.schedule.RoundTimer;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Keeps the materialized membership of dynamic segments equal to their rules:
 * <ul>
 *   <li><b>on write</b>: after a customer or activity write commits, the written customers are re-evaluated for
 *   every dynamic segment that can depend on that kind of data, in one statement, before the request answers;</li>
 *   <li><b>on rule edit</b>: a saved rule is evaluated in full (and the segments that reference it, after it);</li>
 *   <li><b>time events</b>: each customer's next instant at which a clock-dependent leaf may change for it is kept
 *   ({@code customer_due}, recomputed in every membership update); the tick ({@link #tick}) re-evaluates the
 *   customers whose instant passed;</li>
 *   <li><b>time drift</b>: a backstop, a rule with relative windows is re-evaluated in full on a long schedule
 *   derived from its shortest window (see {@link #driftInterval}), and on demand.</li>
 * </ul>
 * Every change is recorded in the feed with its cause, in the same transaction as the membership it changes.
 * Customer and activity writes reach it through the {@code customer.CustomerChanges} port, whose implementation
 * ({@code analytics.service.CustomerChangesPipeline}) first updates the written customers' per-customer analytics
 * values and then calls {@link #customersChanged(long, Collection, Set)} and {@link #deleteCustomers}.
 */
@ApplicationScoped
public class MembershipService {

    private static final Logger LOG = Logger.getLogger(MembershipService.class);

    private final MembershipRepository repository;
    private final TenantRulesLoader rules;
    private final ServiceConfig.Membership config;
    private final Vertx vertx;
    private final ServiceMetrics metrics;
    private final RoundTimer rounds = new RoundTimer("time-driven refresh (segments)", LOG);
    private final RoundTimer ticks = new RoundTimer("time events (customers)", LOG);

    MembershipService(MembershipRepository repository, TenantRulesLoader rules, ServiceConfig config, Vertx vertx,
                      ServiceMetrics metrics) {
        this.repository = repository;
        this.rules = rules;
        this.config = config.membership();
        this.vertx = vertx;
        this.metrics = metrics;
        metrics.sampled(UPKEEP_LAG, "How long the longest-waiting due membership refresh has been due (0: none due)",
                "seconds", repository::upkeepLagSeconds);
    }

    /** The membership upkeep lag gauge (docs/operations.md). */
    public static final String UPKEEP_LAG = "segments.membership.upkeep.lag";

    // ------------------------------------------------------------------ writes

    /**
     * Re-evaluates these customers (after a write of these kinds committed) for the dynamic segments that can
     * depend on them, in one statement. A failure marks the tenant's segments for a full refresh (and fails only
     * when that mark fails too: the caller's change then stays journaled for the sweep).
     */
    public Uni<Void> customersChanged(long tenantId, Collection<Long> customerIds, Set<Source> sources) {
        return customersChanged(tenantId, customerIds, sources, "data_write");
    }

    /** The same update recorded with another cause (an analytics run that changed these customers: analytics). */
    public Uni<Void> customersChanged(long tenantId, Collection<Long> customerIds, Set<Source> sources, String cause) {
        if (customerIds.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        OffsetDateTime now = now();
        List<Long> ids = List.copyOf(new LinkedHashSet<>(customerIds));
        return rules.load(tenantId).chain(r -> {
            List<Target> targets = targets(r, r.dynamicSegments().stream()
                    .filter(s -> sources.stream().anyMatch(dependencies(r, s)::dependsOn)).toList());
            if (targets.isEmpty()) {
                return Uni.createFrom().voidItem();
            }
            return repository.lockedFor(tenantId, timeout(), ids.size(), conn ->
                    repository.apply(conn, tenantId, targets, ids, cause, Why.written(sources), now, r.context(now))
                            .call(() -> updateDueAfterWrite(conn, tenantId, r, ids, sources, now)))
                    .replaceWithVoid();
        }).onFailure().recoverWithUni(e -> {
            LOG.errorf(e, "membership update of tenant %d failed; its segments are queued for a full refresh", tenantId);
            return repository.markAllDue(tenantId).replaceWithVoid();
        });
    }

    /**
     * Deletes customers: in one transaction under the tenant's membership lock, every membership they have ends
     * (recorded as an exit, member counts adjusted), then {@code delete} runs; when it answers false the
     * transaction rolls back. One transaction, so a membership update that runs between the exits and the delete
     * (and would re-add rows the delete's cascade removes without adjusting the counts) cannot happen.
     */
    public Uni<Boolean> deleteCustomers(long tenantId, List<Long> customerIds,
                                        java.util.function.Function<io.vertx.mutiny.sqlclient.SqlConnection, Uni<Boolean>> delete) {
        OffsetDateTime now = now();
        return repository.lockedFor(tenantId, timeout(), customerIds.size(), conn -> repository.removeCustomers(conn, tenantId, customerIds, now)
                        .chain(() -> delete.apply(conn))
                        .invoke(deleted -> {
                            if (!deleted) {
                                throw new NotDeleted();
                            }
                        }))
                .onFailure(NotDeleted.class).recoverWithItem(false);
    }

    /** Rolls back a customer delete whose row was absent or stale. */
    private static final class NotDeleted extends RuntimeException {
        NotDeleted() {
            super(null, null, false, false);
        }
    }

    /**
     * Adds or removes static members, records each change (cause static_edit), and re-evaluates the dynamic
     * segments that reference static segments for those customers, all under the tenant's membership lock.
     */
    public Uni<List<Long>> staticEdit(long tenantId, long segmentId, boolean add,
                                      java.util.function.Function<io.vertx.mutiny.sqlclient.SqlConnection, Uni<List<Long>>> edit) {
        OffsetDateTime now = now();
        return rules.load(tenantId).chain(r -> repository.locked(tenantId, timeout(), true, conn -> edit.apply(conn)
                .call(changed -> repository.recordStaticChanges(conn, tenantId, segmentId,
                        add ? changed : List.of(), add ? List.of() : changed, now))
                .call(changed -> repository.apply(conn, tenantId, targets(r, r.dynamicSegments().stream()
                        .filter(s -> dependencies(r, s).dependsOn(Source.STATIC_MEMBERS)).toList()), changed,
                        "static_edit", Why.written(Set.of(Source.STATIC_MEMBERS)), now, r.context(now)))));
        // static members are read by no clock-dependent leaf: the edited customers' due instants stay as they are
    }

    // ------------------------------------------------------------------ full refreshes

    /** Full evaluation of one dynamic segment now, with this cause; returns the diff. */
    public Uni<Diff> refresh(long tenantId, String key, String cause) {
        OffsetDateTime now = now();
        return refresh(tenantId, List.of(key), cause, now).map(m -> m.getOrDefault(key, Diff.NONE))
                .call(() -> addDue(tenantId, List.of(key), now));
    }

    /**
     * Full evaluation of all of the tenant's dynamic segments now, with this cause, in one shared evaluation; the
     * diffs by key, every segment after those it references.
     */
    public Uni<Map<String, Diff>> refreshAll(long tenantId, String cause) {
        OffsetDateTime now = now();
        // every dynamic segment evaluated at now: the tenant's due column recomputed from all of them, which
        // rewrites only the rows whose instants moved (adding the instants of each would rewrite nearly all)
        return rules.load(tenantId).chain(r -> refresh(tenantId, dependencyOrder(r), cause, now))
                .call(() -> recomputeDue(tenantId, now));
    }

    /** After a segment's rule was saved: evaluate it, then the segments that reference it (cause rule_edit). */
    public Uni<Void> ruleSaved(long tenantId, String key) {
        return rules.load(tenantId).chain(r -> {
            List<String> affected = dependencyOrder(r).stream()
                    .filter(k -> k.equals(key) || references(r, k, key)).toList();
            OffsetDateTime now = now();
            return refresh(tenantId, affected, "rule_edit", now).chain(() -> addDue(tenantId, affected, now));
        }).onFailure().recoverWithUni(e -> markStale(tenantId, e));
    }

    /** The tenant's whole due column from its current rules (set-based, under the membership lock). */
    private Uni<Void> recomputeDue(long tenantId, OffsetDateTime now) {
        return rules.load(tenantId).chain(r -> repository.locked(tenantId, timeout(), false,
                conn -> repository.updateDue(conn, tenantId, targets(r, r.dynamicSegments()), null, DueUpdate.WRITTEN,
                        now, r.context(now))))
                .replaceWithVoid();
    }

    /**
     * After segments were evaluated in full at {@code now} (a saved one and those that reference it, or one refreshed):
     * their rules' instants after now merged into the tenant's due column (earlier only). The cost is those rules',
     * not the tenant's. The other segments' instants stay valid: they were not re-evaluated. An instant an edited
     * rule's old version left behind is early, never late; the tick replaces it.
     */
    private Uni<Void> addDue(long tenantId, List<String> keys, OffsetDateTime now) {
        return rules.load(tenantId).chain(r -> {
            List<Target> evaluated = targets(r, keys.stream().map(r.segments()::get)
                    .filter(row -> row != null && !row.isStatic()).toList());
            return repository.locked(tenantId, timeout(), false, conn -> repository.updateDue(conn, tenantId,
                    evaluated, null, DueUpdate.ADDED, now, r.context(now))).replaceWithVoid();
        });
    }

    // ------------------------------------------------------------------ time events

    /** The tick without delay: every tenant with a customer due at or before {@code now} (tests move the clock). */
    public Uni<Integer> tick(OffsetDateTime now) {
        return tick(now, Duration.ZERO);
    }

    /**
     * The time-event tick: for every tenant whose oldest passed due instant is at least {@code delay} old (the
     * scheduler passes {@code segments.membership.time-events-delay}, so that the events of a few seconds are taken
     * together instead of one small batch per second), takes its customers whose due instant is at or before
     * {@code now} in batches (earliest first, {@code segments.membership.time-events-batch}, locked with skip
     * locked), re-evaluates each for the segments its row says it is due for (every dynamic segment whose rule reads
     * the clock when another one's instant has passed too; cause time_drift; the per-customer statement of a write,
     * under the same lock) and recomputes their due instants in the same transaction, until
     * none is due. Returns how many customers were re-evaluated. Tests call it with a later {@code now} to let
     * time pass.
     */
    public Uni<Integer> tick(OffsetDateTime now, Duration delay) {
        return repository.tenantsWithDueCustomers(now.minus(delay))
                .chain(tenants -> Multi.createFrom().iterable(tenants)
                .onItem().transformToUniAndConcatenate(tenantId -> tickTenant(tenantId, now, 0)
                        .onFailure().recoverWithItem(e -> {
                            LOG.errorf(e, "time events of tenant %d failed", tenantId);
                            return 0;
                        }))
                .collect().asList().map(counts -> counts.stream().mapToInt(Integer::intValue).sum()));
    }

    private Uni<Integer> tickTenant(long tenantId, OffsetDateTime now, int done) {
        int batch = config.timeEventsBatch();
        return rules.load(tenantId).chain(r -> {
            List<Target> targets = targets(r, r.dynamicSegments().stream()
                    .filter(s -> dependencies(r, s).timeDependent()).toList());
            return metrics.timeTimeEvents(() -> repository.locked(tenantId, timeout(), true, conn -> repository
                    .dueCustomers(conn, tenantId, now, batch)
                    .call(due -> repository.applyEach(conn, tenantId, targets, targets.stream()
                            .map(t -> due.stream().filter(d -> d.dueFor(t.segmentId()))
                                    .map(MembershipRepository.TickCustomer::customerId).toList()).toList(),
                            "time_drift", Why.time(), now, r.context(now)))
                    .call(due -> updateDue(conn, tenantId, r, due.stream()
                            .map(MembershipRepository.TickCustomer::customerId).toList(), DueUpdate.EVALUATED, now))
                    .map(List::size)));
        }).chain(n -> n < batch ? Uni.createFrom().item(done + n) : tickTenant(tenantId, now, done + n));
    }

    /**
     * After a write of these sources: recomputes these customers' due instants (passed ones stay for the tick), when
     * the write touched a value a clock-dependent leaf of the tenant's rules reads; otherwise they stay as they are
     * (an analytics run or a static edit never moves them).
     */
    private Uni<Long> updateDueAfterWrite(io.vertx.mutiny.sqlclient.SqlConnection conn, long tenantId, TenantRules r,
                                          List<Long> ids, Set<Source> sources, OffsetDateTime now) {
        if (r.clockSources(now).stream().noneMatch(sources::contains)) {
            return Uni.createFrom().item(0L);
        }
        return updateDue(conn, tenantId, r, ids, DueUpdate.WRITTEN, now);
    }

    /** Recomputes these customers' due instants (see {@link MembershipRepository#updateDue}). */
    private Uni<Long> updateDue(io.vertx.mutiny.sqlclient.SqlConnection conn, long tenantId, TenantRules r,
                                List<Long> ids, DueUpdate mode, OffsetDateTime now) {
        return repository.updateDue(conn, tenantId, targets(r, r.dynamicSegments()), ids, mode, now, r.context(now));
    }

    /**
     * The time-driven refresh: every dynamic segment whose next refresh is due at {@code now} is evaluated in
     * full at {@code now} (cause time_drift), tenant by tenant, referenced segments first. Tests call it with a
     * later {@code now} to let time pass.
     */
    public Uni<Integer> refreshDue(OffsetDateTime now) {
        return repository.tenantsDue(now).chain(tenants -> Multi.createFrom().iterable(tenants)
                .onItem().transformToUniAndConcatenate(tenantId -> repository.states(tenantId).chain(states -> {
                    Set<Long> due = new HashSet<>();
                    states.stream().filter(s -> s.nextRefreshAt() != null && !s.nextRefreshAt().isAfter(now))
                            .forEach(s -> due.add(s.segmentId()));
                    return rules.load(tenantId).chain(r -> refresh(tenantId, dependencyOrder(r).stream()
                            .filter(k -> due.contains(r.segments().get(k).id())).toList(), "time_drift", now))
                            .call(() -> recomputeDue(tenantId, now))
                            .map(Map::size);
                }).onFailure().recoverWithItem(e -> {
                    LOG.errorf(e, "time-driven refresh of tenant %d failed", tenantId);
                    return 0;
                }))
                .collect().asList().map(counts -> counts.stream().mapToInt(Integer::intValue).sum()));
    }

    /**
     * Evaluates these dynamic segments in full at {@code now}: several of them in one locked transaction and one
     * shared evaluation (one grouped scan per stream for all their aggregates, {@link
     * MembershipRepository#applyShared}); a single one alone, in the shape tuned for one rule.
     */
    private Uni<Map<String, Diff>> refresh(long tenantId, List<String> keys, String cause, OffsetDateTime now) {
        return rules.load(tenantId).chain(r -> {
            List<SegmentRow> rows = keys.stream().distinct().map(r.segments()::get)
                    .filter(row -> row != null && !row.isStatic()).toList();
            if (rows.size() < 2) {
                return refreshEach(tenantId, keys, cause, now);
            }
            long started = System.nanoTime();
            return repository.locked(tenantId, timeout(), false, conn -> repository.applyShared(conn, tenantId,
                            targets(r, rows), cause, why(cause), now, r.context(now))
                    .call(bySegment -> {
                        // the shared evaluation's time is each segment's: none of them was ready sooner
                        long ms = (System.nanoTime() - started) / 1_000_000;
                        return Multi.createFrom().iterable(rows).onItem().transformToUniAndConcatenate(row -> {
                            Duration interval = driftInterval(dependencies(r, row));
                            return repository.saveState(conn, tenantId, row.id(), row.version(), now, ms,
                                    interval == null ? null : interval.toMillis(),
                                    interval == null ? null : now.plus(interval));
                        }).collect().last();
                    }))
                    .map(bySegment -> {
                        Map<String, Diff> diffs = new LinkedHashMap<>();
                        rows.forEach(row -> diffs.put(row.key(), bySegment.getOrDefault(row.id(), Diff.NONE)));
                        return diffs;
                    });
        });
    }

    /** Evaluates these dynamic segments in full, in the given order, each in its own locked transaction. */
    private Uni<Map<String, Diff>> refreshEach(long tenantId, List<String> keys, String cause, OffsetDateTime now) {
        Map<String, Diff> diffs = new LinkedHashMap<>();
        return Multi.createFrom().iterable(keys).onItem().transformToUniAndConcatenate(key -> rules.load(tenantId)
                        .chain(r -> {
                            SegmentRow row = r.segments().get(key);
                            if (row == null || row.isStatic()) {
                                return Uni.createFrom().voidItem();
                            }
                            long started = System.nanoTime();
                            RuleDependencies deps = dependencies(r, row);
                            Duration interval = driftInterval(deps);
                            return repository.locked(tenantId, timeout(), false, conn ->
                                    repository.apply(conn, tenantId, targets(r, List.of(row)), null, cause,
                                                    why(cause), now, r.context(now))
                                            .call(diff -> repository.saveState(conn, tenantId, row.id(), row.version(), now,
                                                    (System.nanoTime() - started) / 1_000_000,
                                                    interval == null ? null : interval.toMillis(),
                                                    interval == null ? null : now.plus(interval))))
                                    .invoke(diff -> diffs.put(key, diff)).replaceWithVoid();
                        }))
                .collect().last().map(v -> diffs);
    }

    /**
     * What a full evaluation names as the nodes that made each change: for time_drift the nodes that read the
     * clock; none for a rule edit (the rule itself changed) or an on-demand refresh (its cause is unknown).
     */
    private static Why why(String cause) {
        return "time_drift".equals(cause) ? Why.time() : null;
    }

    // ------------------------------------------------------------------ the schedule

    /**
     * How often time alone can change a rule's membership enough to refresh it: a thousandth of its shortest
     * relative window (so a member leaves at most 0.1% of the window late), clamped to the configured bounds
     * (default 1 minute to 1 hour). Null for rules without relative windows.
     */
    public Duration driftInterval(RuleDependencies deps) {
        if (deps.shortestWindow().isEmpty()) {
            return null;
        }
        Duration d = deps.shortestWindow().get().dividedBy(1000);
        if (d.compareTo(config.minDriftInterval()) < 0) {
            return config.minDriftInterval();
        }
        return d.compareTo(config.maxDriftInterval()) > 0 ? config.maxDriftInterval() : d;
    }

    void start(@Observes StartupEvent event) {
        if (config.schedulerEnabled()) {
            rounds.start(vertx, config.schedulerInterval(), () -> refreshDue(now()));
            ticks.start(vertx, config.timeEventsInterval(), () -> tick(now(), config.timeEventsDelay()));
        }
    }

    /** At shutdown: no new round, and one under way gets a few seconds to commit (docs/operations.md). */
    void stop(@Observes ShutdownEvent event) {
        ticks.stopAndWait(vertx, RoundTimer.SHUTDOWN_WAIT);
        rounds.stopAndWait(vertx, RoundTimer.SHUTDOWN_WAIT);
    }

    // ------------------------------------------------------------------ helpers

    private Uni<Void> markStale(long tenantId, Throwable e) {
        LOG.errorf(e, "membership update of tenant %d failed; its segments are queued for a full refresh", tenantId);
        return repository.markAllDue(tenantId).onFailure().recoverWithNull().replaceWithVoid();
    }

    private static RuleDependencies dependencies(TenantRules r, SegmentRow s) {
        return RuleDependencies.of(r.segment(s.key()), r.resolver());
    }

    /** Each segment as the rule that evaluates it: a reference to it. */
    private static List<Target> targets(TenantRules r, List<SegmentRow> segments) {
        return segments.stream().map(s -> new Target(s.id(), r.segment(s.key()))).toList();
    }

    /** Whether segment {@code key}'s rule refers (directly or through others) to segment {@code target}. */
    private static boolean references(TenantRules r, String key, String target) {
        return referencedKeys(r, key, new HashSet<>()).contains(target);
    }

    private static Set<String> referencedKeys(TenantRules r, String key, Set<String> seen) {
        if (!seen.add(key)) {
            return seen;
        }
        SegmentRow row = r.segments().get(key);
        if (row != null && !row.isStatic() && r.resolver().resolve(key).orElse(null) instanceof ResolvedSegment.Dynamic d) {
            collectRefs(d.rule(), ref -> referencedKeys(r, ref, seen));
        }
        return seen;
    }

    private static void collectRefs(RuleNode n, java.util.function.Consumer<String> sink) {
        switch (n) {
            case RuleNode.Group g -> g.children().forEach(c -> collectRefs(c, sink));
            case RuleNode.Not not -> collectRefs(not.child(), sink);
            case RuleNode.SegmentRef s -> sink.accept(s.key());
            case RuleNode.Condition c -> {
            }
            case RuleNode.Aggregate a -> {
            }
        }
    }

    /** The tenant's dynamic segment keys, every segment after the segments it references. */
    static List<String> dependencyOrder(TenantRules r) {
        List<String> order = new ArrayList<>();
        Set<String> done = new HashSet<>();
        for (SegmentRow s : r.dynamicSegments()) {
            visit(r, s.key(), done, new HashSet<>(), order);
        }
        return order;
    }

    private static void visit(TenantRules r, String key, Set<String> done, Set<String> onPath, List<String> order) {
        SegmentRow row = r.segments().get(key);
        if (row == null || row.isStatic() || done.contains(key) || !onPath.add(key)) {
            return;
        }
        if (r.resolver().resolve(key).orElse(null) instanceof ResolvedSegment.Dynamic d) {
            collectRefs(d.rule(), ref -> visit(r, ref, done, onPath, order));
        }
        done.add(key);
        order.add(key);
    }

    private String timeout() {
        return config.statementTimeout().toMillis() + "ms";
    }

    private static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC);
    }
}
