package dev.segments.segment.persistence;

import dev.segments.common.db.PreparedStatements;
import dev.segments.common.db.Transactions;
import dev.segments.common.metrics.ServiceMetrics;
import dev.segments.rule.CompileContext;
import dev.segments.rule.sql.QueryShapes;
import dev.segments.rule.sql.QueryShapes.Target;
import dev.segments.rule.sql.SqlQuery;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Materialized membership and the change feed. Every statement that changes membership computes the diff
 * (entered, exited) in PostgreSQL and records it in {@code membership_change} in the same statement, inside a
 * transaction that first takes the tenant's advisory lock, so change ids commit in order per tenant.
 */
@ApplicationScoped
public class MembershipRepository {

    /** First key of the tenant's membership lock (the second is the tenant id); also used by webhooks. */
    public static final int LOCK_NAMESPACE = 1936025972;

    /** A membership diff: how many customers entered and exited. */
    public record Diff(long entered, long exited) {
        public static final Diff NONE = new Diff(0, 0);

    }

    /** A recorded change of the feed; flippedNodes: JSON pointers into the segment's rule, or null. */
    public record Change(long id, String segmentKey, long customerId, String customerExternalId, String kind,
                         String cause, OffsetDateTime at, List<String> flippedNodes) {
    }

    /** Freshness of a dynamic segment's materialized membership. */
    public record State(long segmentId, long segmentVersion, OffsetDateTime lastEvaluatedAt, Long evaluationMs,
                        long memberCount, Long driftIntervalMs, OffsetDateTime nextRefreshAt) {
    }

    private final Pool pool;
    private final ServiceMetrics metrics;
    /** {@link #SNAPSHOT} with the statement timeout of rule evaluations. */
    private final String snapshot;

    MembershipRepository(Pool pool, ServiceMetrics metrics, dev.segments.common.config.ServiceConfig config) {
        this.pool = pool;
        this.metrics = metrics;
        // the timeout of rule evaluations: a read evaluates its due customers (at most read-due-limit)
        this.snapshot = Transactions.begin("begin isolation level repeatable read, read only",
                "plan_cache_mode", "force_generic_plan",
                "statement_timeout", config.query().statementTimeout().toMillis() + "ms");
    }

    /**
     * Runs work in a transaction holding the tenant's membership lock, with a statement timeout (one round trip).
     * {@code fewCustomers}: the work evaluates rules for given customers only, so its statements reuse one generic
     * plan per connection (see {@link PreparedStatements}); a full refresh is planned with its values.
     */
    public <T> Uni<T> locked(long tenantId, String statementTimeout, boolean fewCustomers,
                             Function<SqlConnection, Uni<T>> work) {
        return locked(tenantId, statementTimeout, PreparedStatements.planCacheMode(fewCustomers), null, work);
    }

    /**
     * {@link #locked(long, String, boolean, Function)} for work about {@code customers} given customers: generic
     * plans for a few, plans with their ids for many ({@link PreparedStatements#planCacheMode(int)}).
     */
    public <T> Uni<T> lockedFor(long tenantId, String statementTimeout, int customers,
                                Function<SqlConnection, Uni<T>> work) {
        return locked(tenantId, statementTimeout, PreparedStatements.planCacheMode(customers),
                PreparedStatements.randomPageCost(customers), work);
    }

    private <T> Uni<T> locked(long tenantId, String statementTimeout, String planCacheMode, String randomPageCost,
                              Function<SqlConnection, Uni<T>> work) {
        // the plan settings with the begin, the lock in the same round trip (Transactions.run); the timeout is set by
        // the lock's statement, so it bounds the work after the lock and not the wait for it (a write's follow-up
        // behind a long refresh waits for it instead of failing and marking the tenant for repair)
        return Transactions.run(pool, Transactions.begin("begin", "plan_cache_mode", planCacheMode,
                        "random_page_cost", randomPageCost),
                conn -> conn.preparedQuery("select set_config('statement_timeout', $1, true), pg_advisory_xact_lock($2, $3::int)")
                        .execute(Tuple.of(statementTimeout, LOCK_NAMESPACE, tenantId))
                        .chain(() -> work.apply(conn)));
    }

    /**
     * Re-evaluates the given segments for all of the tenant's customers (customerIds null) or for some of them,
     * and applies the diff: one statement ({@link QueryShapes#membershipDiff}) inserts the entries, deletes the
     * exits, records both as changes with this cause and time (and, when why is given, the rule nodes that
     * made each change), and adjusts the member counts.
     */
    public Uni<Diff> apply(SqlConnection conn, long tenantId, List<Target> targets, List<Long> customerIds,
                           String cause, QueryShapes.Why why, OffsetDateTime now, CompileContext ctx) {
        if (targets.isEmpty() || customerIds != null && customerIds.isEmpty()) {
            return Uni.createFrom().item(Diff.NONE);
        }
        // a few customers: one generic plan per connection (locked(..., fewCustomers = true) sets the plan mode)
        return diff(conn, QueryShapes.membershipDiff(tenantId, targets, customerIds, cause, why, now, ctx),
                customerIds != null);
    }

    private Uni<Diff> diff(SqlConnection conn, SqlQuery q, boolean keep) {
        return diffs(conn, q, keep).map(bySegment -> bySegment.values().stream()
                .reduce(Diff.NONE, (x, y) -> new Diff(x.entered() + y.entered(), x.exited() + y.exited())));
    }

    /** Runs a membership diff statement; its changes by segment id (segments without changes are absent). */
    private Uni<Map<Long, Diff>> diffs(SqlConnection conn, SqlQuery q, boolean keep) {
        String sql = keep ? PreparedStatements.KEEP + q.sql() : q.sql();
        return metrics.timeRuleEvaluation("membership", () -> conn.preparedQuery(sql).execute(Tuple.from(q.params())))
                .map(rs -> {
                    Map<Long, Diff> bySegment = new HashMap<>();
                    rs.forEach(r -> bySegment.put(r.getLong(0), new Diff(r.getLong(1), r.getLong(2))));
                    return bySegment;
                });
    }

    /**
     * {@link #apply} of several segments for all of the tenant's customers in one shared evaluation (their members
     * into a temporary table, {@link QueryShapes#sharedTargets}: one grouped scan per stream for all of them, in
     * parallel; then {@link QueryShapes#membershipDiffShared}); the changes by segment id, segments without
     * changes absent.
     */
    public Uni<Map<Long, Diff>> applyShared(SqlConnection conn, long tenantId, List<Target> targets, String cause,
                                            QueryShapes.Why why, OffsetDateTime now, CompileContext ctx) {
        if (targets.isEmpty()) {
            return Uni.createFrom().item(Map.of());
        }
        SqlQuery members = QueryShapes.sharedTargets(tenantId, targets, ctx);
        return metrics.timeRuleEvaluation("membership", () -> conn.preparedQuery(members.sql())
                        .execute(Tuple.from(members.params())))
                .chain(() -> diffs(conn, QueryShapes.membershipDiffShared(tenantId, targets, cause, why, now, ctx), false));
    }

    /**
     * {@link #apply} where each target is re-evaluated for its own customers ({@code customersOf.get(i)} for
     * {@code targets.get(i)}; {@link QueryShapes#membershipDiffEach}): the time-event tick.
     */
    public Uni<Diff> applyEach(SqlConnection conn, long tenantId, List<Target> targets, List<List<Long>> customersOf,
                               String cause, QueryShapes.Why why, OffsetDateTime now, CompileContext ctx) {
        if (targets.isEmpty() || customersOf.stream().allMatch(List::isEmpty)) {
            return Uni.createFrom().item(Diff.NONE);
        }
        return diff(conn, QueryShapes.membershipDiffEach(tenantId, targets, customersOf, cause, why, now, ctx), true);
    }

    /**
     * Recomputes the next due instant of these customers (all of the tenant's when customerIds is null) from these
     * segments' rules ({@link QueryShapes#dueInstants}), written as {@code mode} says. Returns how many rows were written.
     */
    public Uni<Long> updateDue(SqlConnection conn, long tenantId, List<Target> segments,
                               List<Long> customerIds, QueryShapes.DueUpdate mode, OffsetDateTime now, CompileContext ctx) {
        if (customerIds != null && customerIds.isEmpty() || segments.isEmpty() && mode == QueryShapes.DueUpdate.ADDED) {
            return Uni.createFrom().item(0L);
        }
        SqlQuery q = QueryShapes.dueInstants(tenantId, segments, customerIds, mode, now, ctx);
        // the whole tenant: its due rows first, into the table the statement reads
        SqlQuery rows = customerIds == null ? QueryShapes.tenantDueRows(tenantId, segments, now, ctx) : null;
        Uni<?> before = rows == null ? Uni.createFrom().voidItem()
                : conn.preparedQuery(rows.sql()).execute(Tuple.from(rows.params()));
        String sql = customerIds == null ? q.sql() : PreparedStatements.KEEP + q.sql();
        return before.chain(() -> conn.preparedQuery(sql).execute(Tuple.from(q.params())))
                .map(rs -> rs.iterator().next().getLong(0));
    }

    /**
     * A customer due at the tick's now and the segments it is due for: null for every clock-dependent segment (its
     * row names none, or another segment's instant has passed too: {@code others_due_at <= now}).
     */
    public record TickCustomer(long customerId, Set<Long> segments) {
        public boolean dueFor(long segmentId) {
            return MembershipRepository.dueFor(segments, segmentId);
        }
    }

    /**
     * Whether a due customer due for {@code segments} ({@link QueryShapes#dueSegments}; null: every one) is due for
     * this segment.
     */
    static boolean dueFor(Set<Long> segments, long segmentId) {
        return segments == null || segments.contains(segmentId);
    }

    /** A {@link QueryShapes#dueSegments} column as a set (null stays null: every segment). */
    private static Set<Long> dueSegments(Long[] segments) {
        return segments == null ? null : new HashSet<>(Arrays.asList(segments));
    }

    /**
     * The tenant's customers whose due instant is at or before {@code now}, earliest first, at most {@code limit},
     * locked for this transaction (rows another instance's tick holds are skipped), with the segments each is due for.
     */
    public Uni<List<TickCustomer>> dueCustomers(SqlConnection conn, long tenantId, OffsetDateTime now, int limit) {
        return conn.preparedQuery("select d.customer_id, " + QueryShapes.dueSegments("d", "$2")
                        + " from customer_due d where d.tenant_id = $1 and d.due_at <= $2"
                        + " order by d.due_at limit $3 for update skip locked")
                .execute(Tuple.of(tenantId, now, limit)).map(rs -> {
                    List<TickCustomer> list = new ArrayList<>();
                    rs.forEach(r -> list.add(new TickCustomer(r.getLong(0), dueSegments(r.getArrayOfLongs(1)))));
                    return list;
                });
    }

    /** Tenants with a customer whose due instant is at or before {@code now}. */
    public Uni<List<Long>> tenantsWithDueCustomers(OffsetDateTime now) {
        return pool.preparedQuery("select distinct tenant_id from customer_due where due_at <= $1")
                .execute(Tuple.of(now)).map(rs -> {
                    List<Long> list = new ArrayList<>();
                    rs.forEach(r -> list.add(r.getLong(0)));
                    return list;
                });
    }

    /** Records freshness after a full evaluation; the member count is recounted. */
    public Uni<Void> saveState(SqlConnection conn, long tenantId, long segmentId, long segmentVersion,
                               OffsetDateTime evaluatedAt, long evaluationMs, Long driftIntervalMs,
                               OffsetDateTime nextRefreshAt) {
        return conn.preparedQuery("""
                        insert into segment_state as st (segment_id, tenant_id, segment_version, last_evaluated_at,
                            evaluation_ms, member_count, drift_interval_ms, next_refresh_at)
                        values ($1, $2, $3, $4, $5, (select count(*) from segment_membership where tenant_id = $2 and segment_id = $1), $6, $7)
                        on conflict (segment_id) do update set segment_version = excluded.segment_version,
                            last_evaluated_at = excluded.last_evaluated_at, evaluation_ms = excluded.evaluation_ms,
                            member_count = excluded.member_count, drift_interval_ms = excluded.drift_interval_ms,
                            next_refresh_at = excluded.next_refresh_at, repair_since = null""")
                .execute(Tuple.from(Arrays.asList(segmentId, tenantId, segmentVersion, evaluatedAt, evaluationMs,
                        driftIntervalMs, nextRefreshAt)))
                .replaceWithVoid();
    }

    public Uni<Optional<State>> state(long tenantId, long segmentId) {
        return pool.preparedQuery("select " + STATE_COLUMNS + " from segment_state where tenant_id = $1 and segment_id = $2")
                .execute(Tuple.of(tenantId, segmentId))
                .map(rs -> rs.size() == 0 ? Optional.empty() : Optional.of(state(rs.iterator().next())));
    }

    public Uni<List<State>> states(long tenantId) {
        return pool.preparedQuery("select " + STATE_COLUMNS + " from segment_state where tenant_id = $1")
                .execute(Tuple.of(tenantId)).map(rs -> {
                    List<State> list = new ArrayList<>();
                    rs.forEach(r -> list.add(state(r)));
                    return list;
                });
    }

    /**
     * Queues every dynamic segment of the tenant for a full refresh by the scheduler (repair after a failure) and
     * marks them for repair: until each one's next full evaluation ({@link #saveState} clears the mark), reads of
     * the tenant's saved segments evaluate live.
     */
    public Uni<Void> markAllDue(long tenantId) {
        return pool.preparedQuery("""
                        insert into segment_state as st (segment_id, tenant_id, segment_version, next_refresh_at,
                            repair_since)
                        select id, tenant_id, 0, now(), now() from segment where tenant_id = $1 and kind = 'dynamic'
                        on conflict (segment_id) do update set next_refresh_at = now(),
                            repair_since = coalesce(st.repair_since, now())""")
                .execute(Tuple.of(tenantId)).replaceWithVoid();
    }

    /**
     * Membership upkeep lag over all tenants, in seconds: how long the longest-waiting due refresh (time drift, or a
     * repair after a failed update) or customer time event has been due; 0 when none is due. A metric: no tenant is named.
     */
    public Uni<Double> upkeepLagSeconds() {
        return pool.preparedQuery("select greatest(coalesce(extract(epoch from now() - (select min(next_refresh_at)"
                        + " from segment_state where next_refresh_at <= now())), 0), coalesce(extract(epoch from now() -"
                        + " (select min(due_at) from customer_due where due_at <= now())), 0))::float8")
                .execute().map(rs -> Math.max(0, rs.iterator().next().getDouble(0)));
    }

    /** Tenants with a dynamic segment whose time-driven refresh is due. */
    public Uni<List<Long>> tenantsDue(OffsetDateTime now) {
        return pool.preparedQuery("select distinct tenant_id from segment_state where next_refresh_at <= $1")
                .execute(Tuple.of(now)).map(rs -> {
                    List<Long> list = new ArrayList<>();
                    rs.forEach(r -> list.add(r.getLong(0)));
                    return list;
                });
    }

    private static final String STATE_COLUMNS = "segment_id, segment_version, last_evaluated_at, evaluation_ms,"
            + " member_count, drift_interval_ms, next_refresh_at";

    private static State state(Row r) {
        return new State(r.getLong(0), r.getLong(1), r.getOffsetDateTime(2), r.getLong(3), r.getLong(4), r.getLong(5),
                r.getOffsetDateTime(6));
    }

    // ------------------------------------------------------------------ reads of saved segments

    /**
     * What a read from the materialization checks, computed in the same snapshot as the answer: the tenant's
     * watermark {@code least(now, min(due_at) - 1 µs)} over its customers whose due instant passed (time events not
     * yet processed; a due instant is the first at which a truth may differ, so the materialization as it stands is
     * exact up to the microsecond before it), {@code dueCount} how many such customers there are (counted up to
     * {@link #DUE_COUNT_CAP}), whether any of its segments is marked for repair, and which of
     * the asked dynamic segments have a materialization computed for their current version.
     */
    public record ReadCheck(OffsetDateTime watermark, long dueCount, boolean repair, Set<Long> current) {
    }

    /** Member counts read from the materialization (segment id to count) with the check. */
    public record CountRead(ReadCheck check, Map<Long, Long> counts) {
    }

    /** One keyset page per target segment, in target order, with the check. */
    public record PageRead(ReadCheck check, Map<Integer, List<Row>> pages, List<String> columns) {
    }

    /**
     * A due customer ({@link QueryShapes#dueMembership}): the keys of the asked rules that hold for it now, the ids
     * of the segments whose materialization holds it, the segments it is due for (null: every one, as
     * {@link TickCustomer}) and its row (with the columns asked for).
     */
    public record DueCustomer(long customerId, Set<String> holds, Set<Long> stored, Set<Long> dueFor, Row row) {
        /** Whether its stored membership in this segment may be stale (else it is its membership now). */
        public boolean dueFor(long segmentId) {
            return MembershipRepository.dueFor(dueFor, segmentId);
        }
    }

    /** The due customers of a {@link QueryShapes#dueMembership} statement and the names of its columns. */
    public record DueRead(List<DueCustomer> customers, List<String> columns) {
    }

    /**
     * Most due customers the reads count ({@link ReadCheck#dueCount}): {@code segments.membership.read-due-limit}
     * is capped below it.
     */
    public static final int DUE_COUNT_CAP = QueryShapes.DUE_COUNT_CAP;

    /**
     * The common table {@code chk} of the reads: $1 tenant, $2 now, $3 the dynamic segment ids to check. The due
     * customers are read in {@code due_at} order under a limit, so that the generic plan (which cannot see now and
     * takes a third of the column as due) is the range scan of {@code (tenant_id, due_at)}: unordered, PostgreSQL
     * chose a sequential scan of the whole column at 1M customers (160 ms a read instead of 0.05).
     */
    private static final String CHECK = """
            with chk as (select least($2::timestamptz, (select min(d.due_at) from customer_due d
                                where d.tenant_id = $1 and d.due_at <= $2::timestamptz) - interval '1 microsecond')
                               as watermark,
                           (select count(*) from (select 1 from customer_due d where d.tenant_id = $1
                                and d.due_at <= $2::timestamptz order by d.due_at limit %d) x) as due_count,
                           exists (select 1 from segment_state r where r.tenant_id = $1 and r.repair_since is not null)
                               as repair,
                           array(select s.id from segment s join segment_state st on st.segment_id = s.id and st.tenant_id = s.tenant_id
                                 where s.tenant_id = $1 and s.id = any($3::bigint[])
                                   and st.segment_version = s.version and st.last_evaluated_at is not null) as current_ids)
            """.formatted(DUE_COUNT_CAP);

    /**
     * Runs reads of the materialization (the check, counts, member pages, a customer's segments, the due customers)
     * in one snapshot ({@code repeatable read}, read only: a stored count and the due customers that correct it are
     * of the same instant) with one generic plan per connection: the statements are kept prepared and the
     * transaction forces the generic plan. Left to {@code plan_cache_mode = auto}, PostgreSQL planned them anew on
     * every request (the generic plan's estimate for an array parameter looks dearer than the custom plans), which at
     * 1M customers cost 0.95 ms of planning against 0.35-1.1 ms of execution (pg_stat_statements under the
     * benchmark's load); every such read is by key or by a few customers, so the generic plan is the custom one.
     * The statement timeout is the one of rule evaluations ({@code segments.query.statement-timeout}).
     * The transaction is begun and set together with the work's first statement ({@link Transactions#run}).
     */
    public <T> Uni<T> snapshot(Function<SqlConnection, Uni<T>> work) {
        return Transactions.run(pool, snapshot, work);
    }

    private static Uni<RowSet<Row>> read(SqlConnection conn, String sql, Tuple params) {
        return conn.preparedQuery(PreparedStatements.KEEP + sql).execute(params);
    }

    /** The read check alone ({@link #CHECK}) for these dynamic segments: watermark, due count, repair mark, current ones. */
    public Uni<ReadCheck> check(SqlConnection conn, long tenantId, OffsetDateTime now, Collection<Long> check) {
        return read(conn, CHECK + " select chk.* from chk", Tuple.of(tenantId, now, check.toArray(Long[]::new)))
                .map(rs -> check(rs.iterator().next()));
    }

    private static ReadCheck check(Row r) {
        Long[] current = r.getArrayOfLongs("current_ids");
        return new ReadCheck(r.getOffsetDateTime("watermark"), r.getLong("due_count"), r.getBoolean("repair"),
                current == null ? Set.of() : Set.of(current));
    }

    /**
     * Member counts of saved segments: dynamic ones {@code segment_state.member_count} (maintained by every
     * membership update), static ones their listed members; {@code check}: the dynamic segments (with the segments
     * they reference) whose materialization must be current.
     */
    public Uni<CountRead> counts(SqlConnection conn, long tenantId, OffsetDateTime now, Collection<Long> check,
                                 List<Long> dynamic, List<Long> listed) {
        return read(conn, CHECK + """
                        select chk.*, t.id,
                               case when t.listed then (select count(*) from segment_member m
                                                        where m.tenant_id = $1 and m.segment_id = t.id)
                                    else (select st.member_count from segment_state st
                                          where st.tenant_id = $1 and st.segment_id = t.id) end as n
                        from chk left join (select id, false as listed from unnest($4::bigint[]) id
                                            union all select id, true from unnest($5::bigint[]) id) t on true""",
                        Tuple.of(tenantId, now, check.toArray(Long[]::new), dynamic.toArray(Long[]::new),
                                listed.toArray(Long[]::new)))
                .map(rs -> {
                    ReadCheck chk = null;
                    Map<Long, Long> counts = new HashMap<>();
                    for (Row r : rs) {
                        chk = chk == null ? check(r) : chk;
                        Long id = r.getLong("id");
                        if (id != null) {
                            Long n = r.getLong("n");
                            counts.put(id, n == null ? 0 : n);
                        }
                    }
                    return new CountRead(chk, counts);
                });
    }

    /**
     * The pages' customers to leave out ({@link #pages}), as (segment, customer) pairs: the tenant's due customers
     * ($1, $2) for each target ($4) they are due for as the tick reads it ({@link QueryShapes#dueSegments}). One
     * uncorrelated subquery, so the plan hashes it once (the due rows at now, a few dozen under a running tick) and
     * a page's rows are probed in memory: probing {@code customer_due} by primary key for every row was a tenth of a
     * page's server time at 1M customers. In {@code due_at} order under the check's limit (as {@link #CHECK}), so
     * the generic plan is the range scan of {@code (tenant_id, due_at)}; as a join to the whole due column, it may
     * hash every customer's row (130 ms a page at 1M customers). With more due customers than the limit, the page
     * is not used ({@code segments.membership.read-due-limit} is below it).
     */
    private static final String DUE_PAIRS = "select s.id, d.customer_id from (select d.customer_id, d.segments,"
            + " d.others_due_at from customer_due d where d.tenant_id = $1 and d.due_at <= $2::timestamptz"
            + " order by d.due_at limit " + DUE_COUNT_CAP + ") d cross join unnest($4::bigint[]) s(id)"
            + " where coalesce(s.id = any(" + QueryShapes.dueSegments("d", "$2") + "), true)";

    /**
     * A keyset page of each target segment's members (materialized for a dynamic one, listed for a static one: a
     * segment has rows in one of the two tables only), each an index range scan by {@code (segment_id,
     * customer_id)} joined to {@code customer} for {@code columns}; rows carry {@code segment_index}, the target's
     * position. For a target whose {@code withoutDue} is true the customers due for it at {@code now} are left out
     * (the caller adds those of them the rule holds for, {@link #due}; {@link DueCustomer#dueFor}).
     */
    public Uni<PageRead> pages(SqlConnection conn, long tenantId, OffsetDateTime now, Collection<Long> check,
                               List<Long> targets, List<Boolean> withoutDue, long afterId, int limit, String columns) {
        return read(conn, CHECK + "select chk.*, p.* from chk"
                        + " left join lateral (select t.i as segment_index, " + columns
                        + " from unnest($4::bigint[], $7::boolean[]) with ordinality t(id, without_due, i)"
                        + " cross join lateral (select u.customer_id from ("
                        + "(select sm.customer_id from segment_membership sm where sm.segment_id = t.id"
                        + " and sm.customer_id > $5 and not (t.without_due and (t.id, sm.customer_id) in ("
                        + DUE_PAIRS + ")) order by sm.customer_id limit $6)"
                        + " union all (select customer_id from segment_member where segment_id = t.id and customer_id > $5"
                        + " order by customer_id limit $6)) u order by u.customer_id limit $6) m"
                        + " join customer c on c.tenant_id = $1 and c.id = m.customer_id) p on true"
                        + " order by p.segment_index, p.id",
                        Tuple.from(List.of(tenantId, now, check.toArray(Long[]::new), targets.toArray(Long[]::new),
                                afterId, limit, withoutDue.toArray(Boolean[]::new))))
                .map(rs -> {
                    ReadCheck chk = null;
                    Map<Integer, List<Row>> pages = new HashMap<>();
                    int index = rs.columnsNames().indexOf("segment_index");
                    for (Row r : rs) {
                        chk = chk == null ? check(r) : chk;
                        Long i = r.getLong(index);
                        if (i != null) {
                            pages.computeIfAbsent(i.intValue() - 1, k -> new ArrayList<>()).add(r);
                        }
                    }
                    return new PageRead(chk, pages, rs.columnsNames());
                });
    }

    /** Runs a {@link QueryShapes#dueMembership} statement in the snapshot. */
    public Uni<DueRead> due(SqlConnection conn, SqlQuery query) {
        return read(conn, query.sql(), Tuple.from(query.params())).map(rs -> {
            List<DueCustomer> due = new ArrayList<>();
            for (Row r : rs) {
                String[] holds = r.getArrayOfStrings("holds");
                Long[] stored = r.getArrayOfLongs("stored");
                due.add(new DueCustomer(r.getLong("customer_id"), holds == null ? Set.of() : Set.of(holds),
                        stored == null ? Set.of() : Set.of(stored), dueSegments(r.getArrayOfLongs("due_for")), r));
            }
            return new DueRead(due, rs.columnsNames());
        });
    }

    /**
     * The saved segments of these customers from the materialization ({@code segment_membership} by customer) and
     * the static members ({@code segment_member}), with the check; {@code due}: per customer whether its own due
     * instant is at or before {@code now} (its time events not yet processed: the caller evaluates it). Rows
     * {@code (customer_id, segment_ids bigint[], due)} for the tenant's customers among them.
     */
    public Uni<CustomerSegmentsRead> segmentsOf(SqlConnection conn, long tenantId, OffsetDateTime now,
                                                Collection<Long> check, Collection<Long> customerIds) {
        return read(conn, CHECK + """
                        select chk.*, c.id as customer_id,
                               array(select m.segment_id from segment_membership m
                                     where m.customer_id = c.id and m.tenant_id = $1
                                     union all select l.segment_id from segment_member l
                                     where l.customer_id = c.id and l.tenant_id = $1) as segment_ids,
                               exists (select 1 from customer_due d where d.tenant_id = $1 and d.customer_id = c.id
                                       and d.due_at <= $2::timestamptz) as due
                        from chk left join customer c on c.tenant_id = $1 and c.id = any($4::bigint[])""",
                        Tuple.of(tenantId, now, check.toArray(Long[]::new), customerIds.toArray(Long[]::new)))
                .map(rs -> {
                    ReadCheck chk = null;
                    Map<Long, Set<Long>> segments = new LinkedHashMap<>();
                    Set<Long> due = new HashSet<>();
                    for (Row r : rs) {
                        chk = chk == null ? check(r) : chk;
                        Long id = r.getLong("customer_id");
                        if (id != null) {
                            Long[] ids = r.getArrayOfLongs("segment_ids");
                            segments.put(id, ids == null ? Set.of() : Set.of(ids));
                            if (Boolean.TRUE.equals(r.getBoolean("due"))) {
                                due.add(id);
                            }
                        }
                    }
                    return new CustomerSegmentsRead(chk, segments, due);
                });
    }

    /** The saved segments of customers (customer id to segment ids), the customers that are due, the check. */
    public record CustomerSegmentsRead(ReadCheck check, Map<Long, Set<Long>> segments, Set<Long> due) {
    }

    /** Records static-segment edits as changes (cause static_edit); rows are (customer id, kind). */
    public Uni<Void> recordStaticChanges(SqlConnection conn, long tenantId, long segmentId, List<Long> entered,
                                         List<Long> exited, OffsetDateTime now) {
        return conn.preparedQuery("""
                        insert into membership_change (tenant_id, segment_id, segment_key, customer_id,
                            customer_external_id, kind, cause, at)
                        select $1, s.id, s.key, c.id, c.external_id, d.kind, 'static_edit', $5
                        from (select unnest($3::bigint[]) as customer_id, 'entered' as kind
                              union all select unnest($4::bigint[]), 'exited') d
                        join segment s on s.tenant_id = $1 and s.id = $2
                        join customer c on c.tenant_id = $1 and c.id = d.customer_id
                        order by c.id""")
                .execute(Tuple.from(List.of(tenantId, segmentId, entered.toArray(Long[]::new), exited.toArray(Long[]::new), now)))
                .replaceWithVoid();
    }

    /**
     * Before customers are deleted: removes them from every segment (materialized and static), recording each
     * exit (cause data_write), so the feed tells subscribers that deleted customers left.
     */
    public Uni<Void> removeCustomers(SqlConnection conn, long tenantId, List<Long> customerIds, OffsetDateTime now) {
        return conn.preparedQuery("""
                        with gone as (
                            delete from segment_membership where tenant_id = $1 and customer_id = any($2)
                            returning segment_id, customer_id),
                        gone_static as (
                            delete from segment_member where tenant_id = $1 and customer_id = any($2)
                            returning segment_id, customer_id),
                        changes as (
                            insert into membership_change (tenant_id, segment_id, segment_key, customer_id,
                                customer_external_id, kind, cause, at)
                            select $1, d.segment_id, s.key, d.customer_id, c.external_id, 'exited', 'data_write', $3
                            from (select * from gone union all select * from gone_static) d
                            join segment s on s.tenant_id = $1 and s.id = d.segment_id
                            join customer c on c.tenant_id = $1 and c.id = d.customer_id
                            order by d.segment_id, d.customer_id
                            returning segment_id)
                        update segment_state st set member_count = st.member_count - d.n
                        from (select segment_id, count(*) as n from gone group by segment_id) d
                        where st.tenant_id = $1 and st.segment_id = d.segment_id""")
                .execute(Tuple.of(tenantId, customerIds.toArray(Long[]::new), now)).replaceWithVoid();
    }

    /** The tenant's changes (of one segment, when segmentId is given) with id > afterId, in order. */
    public Uni<List<Change>> changes(long tenantId, Long segmentId, long afterId, int limit) {
        return pool.preparedQuery("""
                        select id, segment_key, customer_id, customer_external_id, kind, cause, at, flipped_nodes
                        from membership_change where tenant_id = $1 and ($2::bigint is null or segment_id = $2)
                        and id > $3 order by id limit $4""")
                .execute(Tuple.of(tenantId, segmentId, afterId, limit)).map(rs -> {
                    List<Change> list = new ArrayList<>();
                    rs.forEach(r -> list.add(new Change(r.getLong(0), r.getString(1), r.getLong(2), r.getString(3),
                            r.getString(4), r.getString(5), r.getOffsetDateTime(6), strings(r.getArrayOfStrings(7)))));
                    return list;
                });
    }

    /** A change with the tenant and segment it belongs to (what the live follower dispatches on). */
    public record TenantChange(long tenantId, long segmentId, Change change) {
    }

    /**
     * For each (tenant, cursor) pair, that tenant's next changes after its cursor (at most {@code limit} per
     * tenant), in one statement: one index range scan of (tenant_id, id) per tenant.
     */
    public Uni<List<TenantChange>> changesAfter(Long[] tenantIds, Long[] afterIds, int limit) {
        return pool.preparedQuery("""
                        select t.tenant_id, c.segment_id, c.id, c.segment_key, c.customer_id, c.customer_external_id,
                               c.kind, c.cause, c.at, c.flipped_nodes
                        from unnest($1::bigint[], $2::bigint[]) as t(tenant_id, after_id)
                        cross join lateral (select * from membership_change m
                                            where m.tenant_id = t.tenant_id and m.id > t.after_id
                                            order by m.id limit $3) c
                        order by c.id""")
                .execute(Tuple.of(tenantIds, afterIds, limit)).map(rs -> {
                    List<TenantChange> list = new ArrayList<>();
                    rs.forEach(r -> list.add(new TenantChange(r.getLong(0), r.getLong(1), new Change(r.getLong(2),
                            r.getString(3), r.getLong(4), r.getString(5), r.getString(6), r.getString(7),
                            r.getOffsetDateTime(8), strings(r.getArrayOfStrings(9))))));
                    return list;
                });
    }

    private static List<String> strings(String[] array) {
        return array == null ? null : List.of(array);
    }

    /** The id of the tenant's latest change (0 when none): the current end of its feed. */
    public Uni<Long> lastChangeId(long tenantId) {
        return pool.preparedQuery("select coalesce(max(id), 0) from membership_change where tenant_id = $1")
                .execute(Tuple.of(tenantId)).map(rs -> rs.iterator().next().getLong(0));
    }

    /** Members of a segment at time {@code at}, from the recorded changes: (customer id, external id) by id. */
    public Uni<List<Object[]>> membersAt(long tenantId, long segmentId, OffsetDateTime at, long afterId, int limit) {
        return pool.preparedQuery("""
                        select customer_id, customer_external_id from (
                            select distinct on (customer_id) customer_id, customer_external_id, kind
                            from membership_change
                            where tenant_id = $5 and segment_id = $1 and at <= $2 and customer_id > $3
                            order by customer_id, at desc, id desc) last
                        where kind = 'entered' order by customer_id limit $4""")
                .execute(Tuple.of(segmentId, at, afterId, limit, tenantId)).map(rs -> {
                    List<Object[]> list = new ArrayList<>();
                    rs.forEach(r -> list.add(new Object[]{r.getLong(0), r.getString(1)}));
                    return list;
                });
    }

    /** The segment's size at the end of each UTC day from {@code from} to {@code to}, from the recorded changes. */
    public Uni<List<Object[]>> dailySizes(long tenantId, long segmentId, OffsetDateTime from, OffsetDateTime to) {
        return pool.preparedQuery("""
                        with days as (
                            select d::date as day from generate_series(($2::timestamptz at time zone 'UTC')::date,
                                ($3::timestamptz at time zone 'UTC')::date, interval '1 day') d),
                        deltas as (
                            select (at at time zone 'UTC')::date as day,
                                   sum(case kind when 'entered' then 1 else -1 end) as delta
                            from membership_change where tenant_id = $4 and segment_id = $1 group by 1)
                        select days.day, coalesce((select sum(delta) from deltas where deltas.day <= days.day), 0)
                        from days order by days.day""")
                .execute(Tuple.of(segmentId, from, to, tenantId)).map(rs -> {
                    List<Object[]> list = new ArrayList<>();
                    rs.forEach(r -> list.add(new Object[]{r.getLocalDate(0), r.getLong(1)}));
                    return list;
                });
    }
}
