package dev.segments.rule.sql;

import dev.segments.rule.CompileContext;
import dev.segments.rule.ResolvedSegment;
import dev.segments.rule.RuleDependencies;
import dev.segments.rule.RuleNode;
import dev.segments.rule.Source;
import dev.segments.rule.FieldDef;
import dev.segments.rule.FieldType;
import dev.segments.rule.ValidatedRule;
import dev.segments.rule.sql.SqlBuilder.PgType;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.Optional;

/**
 * Every statement production runs around a compiled rule, and nothing else: the only place that writes SQL text
 * around a predicate. Services and repositories get a {@link SqlQuery} from here and run it as it is; the golden
 * and semantics tests run the same methods. Each statement restricts {@code c.tenant_id} to the tenant parameter.
 *
 * <p>{@code columns} arguments are the caller's constant select list over customer alias {@code c} (the row
 * mapping belongs to the repository that reads the rows), never client text.
 */
public final class QueryShapes {

    private QueryShapes() {
    }

    /**
     * The customers as every rule reads them: {@code c} with the analytics values ({@code cs}, V21) left-joined by
     * primary key, which PostgreSQL removes from a plan that reads none of them.
     */
    public static final String CUSTOMERS = "customer c left join customer_score cs on cs.customer_id = c.id";

    /** A rule under a name: a segment key in the statements that evaluate several segments at once. */
    public record Keyed(String key, ValidatedRule rule) {
    }

    /** One dynamic segment of a membership diff: its id and its rule. */
    public record Target(long segmentId, ValidatedRule rule) {
    }

    /**
     * One node of an explained rule and the names of its columns in the explain row ({@link #explainCustomer}):
     * {@code truth} (boolean; null for nodes inside an aggregate's where, which hold per row), {@code value} (a
     * condition's field value or an aggregate's result; null where there is none), {@code refValue} (the value of
     * the node's {@code ref}), {@code rows} (an aggregate's counted rows, bigint; for a where node, the customer's
     * rows in the aggregate's window it holds for). Children in document order: a group's, a not's child, an
     * aggregate's where.
     */
    public record NodeColumns(RuleNode node, String truth, String value, String refValue, String rows,
                              List<NodeColumns> children) {
        public NodeColumns {
            Objects.requireNonNull(node);
            children = List.copyOf(children);
        }
    }

    /** An explain statement and where each node's columns are in its row. */
    public record Explained(SqlQuery query, NodeColumns root) {
    }

    /**
     * What a membership diff names as the cause of each change ({@link #membershipDiff}): the kinds of data a write
     * changed, or the clock (time passed).
     */
    public record Why(Set<Source> sources, boolean clock) {
        public Why {
            sources = Set.copyOf(sources);
        }

        public static Why written(Set<Source> sources) {
            return new Why(sources, false);
        }

        public static Why time() {
            return new Why(Set.of(), true);
        }

        /** Whether this cause can change the node's truth: it reads written data, or it reads the clock. */
        boolean touches(RuleNode node, CompileContext ctx) {
            RuleDependencies d = RuleDependencies.of(node, ctx.catalog(), ctx.resolver());
            return clock ? d.timeDependent() : d.sources().stream().anyMatch(sources::contains);
        }
    }

    // ---------------------------------------------------------------- explain

    /**
     * Every node of the rule for one customer, in one statement over that customer's row: one row (none when
     * the customer is not the tenant's) with {@code customer_id}, {@code customer_external_id} and, per node,
     * the columns {@link NodeColumns} names. Truth comes from the compiled predicates (each leaf once, groups
     * composed from their children); values are shown as the rule reads them. Aggregates are correlated to
     * the customer (one index probe each, plus one for the counts of a where).
     */
    public static Explained explainCustomer(long tenantId, ValidatedRule rule, long customerId, CompileContext ctx) {
        SqlBuilder b = new SqlBuilder();
        SqlBuilder.Bound tenant = b.bind(tenantId, PgType.BIGINT);
        SqlCompiler compiler = new SqlCompiler(ctx, b, null, SqlCompiler.Shape.CORRELATED);
        ExplainSql explain = new ExplainSql(compiler, compiler.checked(rule));
        explain.explain(tenant, customerId);
        return new Explained(b.build(), explain.columns());
    }

    /**
     * {@link #explainCustomer} for a saved segment given as the reference {@code TenantRules.segment} makes: a
     * dynamic segment is explained as its own rule (pointers into the stored rule), a static one as the
     * reference (its membership).
     */
    public static Explained explainSegment(long tenantId, ValidatedRule segment, long customerId, CompileContext ctx) {
        SqlBuilder b = new SqlBuilder();
        SqlBuilder.Bound tenant = b.bind(tenantId, PgType.BIGINT);
        SqlCompiler compiler = new SqlCompiler(ctx, b, null, SqlCompiler.Shape.CORRELATED);
        ExplainSql explain = new ExplainSql(compiler, ownRule(compiler.checked(segment), ctx));
        explain.explain(tenant, customerId);
        return new Explained(b.build(), explain.columns());
    }

    /** A reference to a dynamic segment as that segment's rule (validated with the reference); else the node. */
    private static RuleNode ownRule(RuleNode node, CompileContext ctx) {
        if (node instanceof RuleNode.SegmentRef ref
                && ctx.resolver().resolve(ref.key()).orElse(null) instanceof ResolvedSegment.Dynamic d) {
            return d.rule();
        }
        return node;
    }

    /**
     * A rule of a lead-scoring model: the points a customer earns by meeting it and, when they decay, their
     * half-life in seconds (null: the points count in full).
     */
    public record Scoring(ValidatedRule rule, BigDecimal points, Long halfLifeSeconds) {
        public Scoring {
            if (halfLifeSeconds != null && halfLifeSeconds <= 0) throw new IllegalArgumentException("half-life must be positive");
        }
    }

    // ---------------------------------------------------------------- counts

    /**
     * {@code select count(*) as count from CUSTOMERS where c.tenant_id = $1 and (rule)}, aggregates in the
     * set-oriented form, or counted over a stream's groups when every member has rows in it (then the customer
     * table is not read).
     */
    public static SqlQuery count(long tenantId, ValidatedRule rule, CompileContext ctx) {
        return count(tenantId, rule, ctx, SqlCompiler.Shape.SET);
    }

    static SqlQuery count(long tenantId, ValidatedRule rule, CompileContext ctx, SqlCompiler.Shape shape) {
        SqlBuilder b = new SqlBuilder();
        SqlBuilder.Bound tenant = b.bind(tenantId, PgType.BIGINT);
        SqlCompiler compiler = new SqlCompiler(ctx, b, tenant, shape);
        if (shape != SqlCompiler.Shape.CORRELATED && compiler.countOverGroups(rule)) {
            return b.build();
        }
        b.sql("select count(*) as count from " + CUSTOMERS + " where c.tenant_id = ").ref(tenant).sql(" and (");
        compiler.compile(rule);
        return b.sql(")").build();
    }

    /** The plan of a statement: {@code explain (format json) statement}, same parameters. */
    public static SqlQuery explain(SqlQuery query) {
        return new SqlQuery("explain (format json) " + query.sql(), query.params());
    }

    /**
     * Member counts of several rules in one scan of the tenant's customers: one column per rule, in order,
     * {@code select count(*) filter (where rule1), ... from CUSTOMERS where c.tenant_id = $1}.
     */
    public static SqlQuery countEach(long tenantId, List<ValidatedRule> rules, CompileContext ctx) {
        if (rules.isEmpty()) throw new IllegalArgumentException("no rules");
        SqlBuilder b = new SqlBuilder();
        SqlBuilder.Bound tenant = b.bind(tenantId, PgType.BIGINT);
        b.sql("select ");
        for (int i = 0; i < rules.size(); i++) {
            b.sql(i == 0 ? "" : ", ").sql("count(*) filter (where ");
            SqlCompiler.predicate(rules.get(i), b, ctx, tenant);
            b.sql(")");
        }
        return b.sql(" from " + CUSTOMERS + " where c.tenant_id = ").ref(tenant).build();
    }

    // ---------------------------------------------------------------- pages

    /**
     * A keyset page of members: {@code select columns from CUSTOMERS where c.tenant_id = $1 and c.id > $2 and
     * (rule) order by c.id limit $n}. Pass {@code afterId = 0} for the first page. Aggregates stay correlated:
     * walking customers in id order and probing each one's rows stops after {@code limit} members, while a
     * pre-aggregation may have to aggregate the whole tenant before the first row, again for every page
     * (docs/query-plans.md).
     */
    public static SqlQuery page(long tenantId, ValidatedRule rule, long afterId, int limit, String columns,
                                CompileContext ctx) {
        return page(tenantId, rule, afterId, limit, columns, ctx, SqlCompiler.Shape.CORRELATED);
    }

    static SqlQuery page(long tenantId, ValidatedRule rule, long afterId, int limit, String columns, CompileContext ctx,
                         SqlCompiler.Shape shape) {
        if (limit < 1) throw new IllegalArgumentException("limit must be positive");
        SqlBuilder b = new SqlBuilder();
        SqlBuilder.Bound tenant = b.bind(tenantId, PgType.BIGINT);
        b.sql("select ").sql(columns).sql(" from " + CUSTOMERS + " where c.tenant_id = ").ref(tenant)
                .sql(" and c.id > ").param(afterId, PgType.BIGINT).sql(" and (");
        new SqlCompiler(ctx, b, tenant, shape).compile(rule);
        return b.sql(") order by c.id limit ").param((long) limit, PgType.BIGINT).build();
    }

    /**
     * One keyset page of members for each of several rules, in one statement: a {@code union all} of each rule's
     * {@link #page}, with its position in {@code rules} as column {@code segment_index}.
     */
    public static SqlQuery pages(long tenantId, List<ValidatedRule> rules, long afterId, int limit, String columns,
                                 CompileContext ctx) {
        if (rules.isEmpty()) throw new IllegalArgumentException("no rules");
        if (limit < 1) throw new IllegalArgumentException("limit must be positive");
        SqlBuilder b = new SqlBuilder();
        for (int i = 0; i < rules.size(); i++) {
            b.sql(i == 0 ? "(" : " union all (").sql("select ").sql(columns)
                    .sql(", ").param((long) i, PgType.BIGINT).sql(" as segment_index from " + CUSTOMERS + " where c.tenant_id = ")
                    .param(tenantId, PgType.BIGINT).sql(" and c.id > ").param(afterId, PgType.BIGINT)
                    .sql(" and (");
            SqlCompiler.predicate(rules.get(i), b, ctx);
            b.sql(") order by c.id limit ").param((long) limit, PgType.BIGINT).sql(")");
        }
        return b.build();
    }

    // ---------------------------------------------------------------- a few customers

    /**
     * Which of the rules hold for each of the given customers, in one statement: rows {@code (id, keys text[])}
     * with the keys of the rules that hold, for those of the customers that are the tenant's. Aggregates are
     * correlated (an index probe per customer). Meant to be kept prepared with a generic plan.
     */
    public static SqlQuery segmentsOf(long tenantId, List<Keyed> rules, Collection<Long> customerIds, CompileContext ctx) {
        SqlBuilder b = new SqlBuilder();
        b.sql("select c.id, array_remove(array[");
        if (rules.isEmpty()) {
            b.sql("null::text");
        }
        for (int i = 0; i < rules.size(); i++) {
            b.sql(i == 0 ? "" : ", ").sql("case when (");
            SqlCompiler.predicate(rules.get(i).rule(), b, ctx);
            b.sql(") then ").param(rules.get(i).key(), PgType.TEXT).sql(" end");
        }
        return b.sql("], null) from " + CUSTOMERS + " where c.tenant_id = ").param(tenantId, PgType.BIGINT)
                .sql(" and c.id = any(").param(customerIds.stream().distinct().map(String::valueOf)
                        .toArray(String[]::new), PgType.TEXT_ARRAY).sql("::bigint[])").build();
    }

    /**
     * The tenant's due customers (those whose due instant is at or before {@code ctx.now()}: their time events are
     * not yet processed, so their materialized membership may be stale) with, for each, which of the rules hold now
     * and which dynamic segments hold it in the materialization, in one statement (docs/live-membership.md, "Reads
     * exact at now"). Rows {@code (customer_id, holds text[], stored bigint[], due_for bigint[], columns...)}:
     * {@code holds} the keys of the rules that hold, {@code stored} the ids of the segments whose
     * {@code segment_membership} has the customer, {@code due_for} the segments its due instant is the instant of as
     * the tick reads them (null: every clock-dependent segment, as {@code MembershipRepository.dueCustomers});
     * {@code columns} (null for none) are selected after them. Aggregates are correlated; kept prepared with a
     * generic plan, like {@link #segmentsOf}. At
     * most the first {@link #DUE_COUNT_CAP} due customers (by due_at): callers run it after counting fewer in the
     * same snapshot. {@code ids} (null: all) keeps the due customers in an id range only (a page of members needs
     * those inside its own range, usually none); {@code dueFor} (null: all) those due for one of these segment ids
     * (the others' membership in them has not changed since it was stored).
     */
    public static SqlQuery dueMembership(long tenantId, List<Keyed> rules, String columns, IdRange ids,
                                         Collection<Long> dueFor, CompileContext ctx) {
        if (rules.isEmpty()) throw new IllegalArgumentException("no rules");
        SqlBuilder b = new SqlBuilder();
        SqlBuilder.Bound tenant = b.bind(tenantId, PgType.BIGINT);
        SqlBuilder.Bound now = b.bind(ctx.now(), PgType.TIMESTAMPTZ);
        b.sql("select c.id as customer_id, array_remove(array[");
        for (int i = 0; i < rules.size(); i++) {
            b.sql(i == 0 ? "" : ", ").sql("case when (");
            SqlCompiler.predicate(rules.get(i).rule(), b, ctx);
            b.sql(") then ").param(rules.get(i).key(), PgType.TEXT).sql(" end");
        }
        b.sql("], null) as holds, array(select sm.segment_id from segment_membership sm where sm.tenant_id = ").ref(tenant)
                .sql(" and sm.customer_id = c.id) as stored, (select " + dueSegments("d", b.placeholder(now))
                        + " from customer_due d where d.tenant_id = ").ref(tenant).sql(" and d.customer_id = c.id) as due_for");
        if (columns != null) {
            b.sql(", ").sql(columns);
        }
        // the filters apply to the due customers after their scan by due_at: a generic plan that saw the id range in
        // the scan ranged over the whole primary key of customer_due instead (30 ms a page at 1M customers)
        b.sql(" from " + CUSTOMERS + " where c.tenant_id = ").ref(tenant)
                .sql(" and c.id = any(array(select x.customer_id from (select d.customer_id, d.segments, d.others_due_at"
                        + " from customer_due d where d.tenant_id = ").ref(tenant)
                .sql(" and d.due_at <= ").ref(now)
                .sql(" order by d.due_at limit " + DUE_COUNT_CAP + ") x where true");
        if (ids != null) {
            b.sql(" and x.customer_id > ").param(ids.after(), PgType.BIGINT)
                    .sql(" and x.customer_id <= ").param(ids.upTo(), PgType.BIGINT);
        }
        if (dueFor != null) {
            b.sql(" and coalesce(" + dueSegments("x", b.placeholder(now)) + " && ")
                    .param(dueFor.stream().map(String::valueOf).toArray(String[]::new), PgType.TEXT_ARRAY)
                    .sql("::bigint[], true)");
        }
        return b.sql(")) order by c.id").build();
    }

    /**
     * The segments that the {@code customer_due} row {@code d} (a table alias) is due for at {@code now} (SQL text of a
     * timestamptz), as the tick reads it: its {@code segments} while another segment's instant is still after now
     * ({@code others_due_at}); null, every clock-dependent segment, when it names none or {@code others_due_at} has
     * passed (docs/live-membership.md, "Time events"). The tick's batch (MembershipRepository.dueCustomers) and the
     * reads' due customers ({@link #dueMembership}, the pages' probe) all decide by it.
     */
    public static String dueSegments(String d, String now) {
        return "(case when " + d + ".others_due_at is null or " + d + ".others_due_at > " + now + " then " + d
                + ".segments end)";
    }

    /** Customer ids after {@code after} up to and including {@code upTo}. */
    public record IdRange(long after, long upTo) {
    }

    /**
     * Most due customers the reads of the materialization take ({@link #dueMembership}; their check counts up to
     * this many, and a read corrects with the due customers only when fewer are due). In {@code due_at} order under
     * this limit the generic plan of a read is the index range scan of {@code customer_due (tenant_id, due_at)}.
     */
    public static final int DUE_COUNT_CAP = 10_001;

    // ---------------------------------------------------------------- lead scores

    /**
     * Rescores customers of a lead-scoring model in one statement, one term of a sum per rule: all of the tenant's
     * customers ({@code customerIds} null: each rule in the set-oriented form, pre-aggregated) or some of them
     * (correlated). A customer's score is the sum, rounded to 2 decimals, of the points of the rules it meets (0
     * when none), each times {@code analytics_decay(t, now, halfLife)} where the rule decays, t being the latest
     * activity its aggregates outside any {@code not} select (no such activity: full points); the temperature is
     * hot at {@code hot} or more, warm at {@code warm} or more, else cold. Only customers whose score or
     * temperature changes are written ({@code customer_score}'s {@code lead_score}, {@code lead_temperature},
     * {@code lead_computed_at = now}), upserted in id order; a whole-tenant run skips the customers a write
     * rescored after {@code now} (their score is newer than the run's), also when that write commits meanwhile.
     * Returns {@code (id, true)} per customer written.
     */
    public static SqlQuery leadScores(long tenantId, List<Scoring> rules, List<Long> customerIds, BigDecimal hot,
                                      BigDecimal warm, OffsetDateTime now, CompileContext ctx) {
        if (rules.isEmpty()) throw new IllegalArgumentException("no scoring rules");
        SqlBuilder b = new SqlBuilder();
        SqlBuilder.Bound tenant = b.bind(tenantId, PgType.BIGINT);
        SqlBuilder.Bound ids = customerIds == null ? null
                : b.bind(customerIds.stream().distinct().map(String::valueOf).toArray(String[]::new), PgType.TEXT_ARRAY);
        SqlBuilder.Bound at = b.bind(now, PgType.TIMESTAMPTZ);
        // one pass over the customers, one term of the sum per rule (a branch per rule scanned the customers once per
        // rule); materialized, since an inlined CTE evaluates the sum again at each reference to the score
        b.sql("with next as materialized (select c.id, round(");
        for (int i = 0; i < rules.size(); i++) {
            Scoring r = rules.get(i);
            b.sql(i == 0 ? "" : " + ").sql("(case when (");
            if (ids == null) {
                SqlCompiler.predicate(r.rule(), b, ctx, tenant);
            } else {
                SqlCompiler.predicate(r.rule(), b, ctx);
            }
            b.sql(") then ").param(r.points(), PgType.NUMERIC);
            if (r.halfLifeSeconds() != null) {
                b.sql(" * coalesce(analytics_decay(");
                new SqlCompiler(ctx, b, null, SqlCompiler.Shape.CORRELATED).latestActivity(r.rule());
                b.sql(", ").ref(at).sql(", ").param(BigDecimal.valueOf(r.halfLifeSeconds()), PgType.NUMERIC).sql("), 1)");
            }
            b.sql(" else 0 end)");
        }
        b.sql(", 2) as score, cs.lead_score as was_score, cs.lead_temperature as was_temperature,"
                + " cs.lead_computed_at as was_at from " + CUSTOMERS + " where c.tenant_id = ").ref(tenant);
        restrict(b, ids);
        b.sql("), rated as (select n.*, case when n.score >= ").param(hot, PgType.NUMERIC)
                .sql(" then 'hot' when n.score >= ").param(warm, PgType.NUMERIC)
                .sql(" then 'warm' else 'cold' end as temperature from next n)"
                        + ", changed as (select r.id, r.score, r.temperature from rated r"
                        + " where (r.was_score, r.was_temperature) is distinct from (r.score, r.temperature)");
        if (ids == null) {
            b.sql(" and (r.was_at is null or r.was_at <= ").ref(at).sql(")");
        }
        // in id order (as every customer_score upsert); a score computed later than this one (a write's, committed
        // while a whole-tenant run ran) is kept
        b.sql(") insert into customer_score as cs (customer_id, lead_score, lead_temperature, lead_computed_at)"
                        + " select l.id, l.score, l.temperature, ").ref(at)
                .sql(" from changed l order by l.id on conflict (customer_id) do update set lead_score = excluded.lead_score,"
                        + " lead_temperature = excluded.lead_temperature, lead_computed_at = excluded.lead_computed_at"
                        + " where cs.lead_computed_at is null or cs.lead_computed_at <= excluded.lead_computed_at"
                        + " returning cs.customer_id, true");
        return b.build();
    }

    /** Binds ids as the text array the statements cast to {@code bigint[]}. */
    static SqlBuilder.Bound idArray(SqlBuilder b, List<Long> ids) {
        return b.bind(ids.stream().map(String::valueOf).toArray(String[]::new), PgType.TEXT_ARRAY);
    }

    private static void restrict(SqlBuilder b, SqlBuilder.Bound ids) {
        if (ids != null) b.sql(" and c.id = any(").ref(ids).sql("::bigint[])");
    }

    // ---------------------------------------------------------------- membership

    /**
     * Re-evaluates the targets for all of the tenant's customers ({@code customerIds} null: aggregates
     * pre-aggregated) or for some of them (correlated), and applies the diff to {@code segment_membership} in one
     * statement: inserts the entries, deletes the exits, records both in {@code membership_change} with this
     * cause and time, adjusts {@code segment_state.member_count}, and returns a row
     * {@code (segment_id, entered, exited)} per segment with changes. The caller holds the tenant's membership lock.
     */
    public static SqlQuery membershipDiff(long tenantId, List<Target> targets, List<Long> customerIds, String cause,
                                          OffsetDateTime now, CompileContext ctx) {
        return membershipDiff(tenantId, targets, customerIds, cause, null, now, ctx);
    }

    /**
     * {@link #membershipDiff} that also names, in {@code membership_change.flipped_nodes}, the nodes of each
     * segment's rule (JSON pointers into it) that made each change when {@code why} is given (null: none named):
     * the leaves that decide the rule's result for the customer after the change and that {@code why} can
     * change (read the written data, or the clock), or every deciding leaf when none of them does (see
     * docs/rule-semantics.md, "Explain"). Computed for the changed customers only, in the same statement.
     */
    public static SqlQuery membershipDiff(long tenantId, List<Target> targets, List<Long> customerIds, String cause,
                                          Why why, OffsetDateTime now, CompileContext ctx) {
        return membershipDiff(tenantId, targets, customerIds, null, false, cause, why, now, ctx);
    }

    /**
     * {@link #membershipDiff} where each target is re-evaluated for its own customers ({@code customersOf.get(i)}
     * for {@code targets.get(i)}, possibly none): the time-event tick, whose customers are due for some segments
     * only. One statement text per list of targets, whichever customers are due for which.
     */
    public static SqlQuery membershipDiffEach(long tenantId, List<Target> targets, List<List<Long>> customersOf,
                                              String cause, Why why, OffsetDateTime now, CompileContext ctx) {
        if (customersOf.size() != targets.size()) throw new IllegalArgumentException("one customer list per target");
        return membershipDiff(tenantId, targets, null, customersOf, false, cause, why, now, ctx);
    }

    /** The transaction's temporary table of {@link #sharedTargets}: (segment_id, customer_id) of every member. */
    private static final String SHARED_TARGET = "shared_target";

    /**
     * The first statement of a full refresh of several segments at once (a rule edit with the segments that
     * reference it, a repair, {@code POST /segments/refresh}): every target's members, evaluated for all of the
     * tenant's customers in one evaluation ({@link #sharedMembers}: one grouped scan per stream for all their
     * aggregates), into a temporary table dropped at commit. A statement of its own because PostgreSQL plans no
     * parallel scan in a statement that writes tables ({@link #membershipDiffShared} does), and this one is
     * the scans. {@link #membershipDiffShared} then applies the diff, in the same transaction.
     */
    public static SqlQuery sharedTargets(long tenantId, List<Target> targets, CompileContext ctx) {
        SqlBuilder b = new SqlBuilder();
        b.sql("create temporary table " + SHARED_TARGET + " on commit drop as ");
        sharedMembers(b, b.bind(tenantId, PgType.BIGINT), targets.stream().map(Target::rule).toList(),
                targets.stream().map(Target::segmentId).toList(), ctx);
        return b.build();
    }

    /**
     * {@link #membershipDiff} of several targets for all of the tenant's customers, their members read from the
     * table {@link #sharedTargets} wrote in this transaction.
     */
    public static SqlQuery membershipDiffShared(long tenantId, List<Target> targets, String cause, Why why,
                                                OffsetDateTime now, CompileContext ctx) {
        return membershipDiff(tenantId, targets, null, null, true, cause, why, now, ctx);
    }

    private static SqlQuery membershipDiff(long tenantId, List<Target> targets, List<Long> customerIds,
                                           List<List<Long>> customersOf, boolean shared, String cause, Why why,
                                           OffsetDateTime now, CompileContext ctx) {
        if (targets.isEmpty()) throw new IllegalArgumentException("no targets");
        if (shared && (customerIds != null || customersOf != null)) throw new IllegalArgumentException("shared: all customers");
        SqlBuilder b = new SqlBuilder();
        SqlBuilder.Bound tenant = b.bind(tenantId, PgType.BIGINT);
        List<Long> all = customersOf == null ? customerIds
                : customersOf.stream().flatMap(List::stream).distinct().toList();
        SqlBuilder.Bound ids = all == null ? null : idArray(b, all);
        List<SqlBuilder.Bound> each = customersOf == null ? null : customersOf.stream().map(l -> idArray(b, l)).toList();
        // each target's (segment, customer) pairs: the stored rows the exits are looked for in
        SqlBuilder.Bound pairSegments = each == null ? null : idArray(b, java.util.stream.IntStream.range(0, targets.size())
                .boxed().flatMap(i -> customersOf.get(i).stream().map(c -> targets.get(i).segmentId())).toList());
        SqlBuilder.Bound pairCustomers = each == null ? null : idArray(b, customersOf.stream().flatMap(List::stream).toList());
        SqlBuilder.Bound segments = idArray(b, targets.stream().map(Target::segmentId).toList());
        SqlBuilder.Bound at = b.bind(now, PgType.TIMESTAMPTZ);
        SqlBuilder.Bound causeParam = b.bind(cause, PgType.TEXT);
        Why flipped = why;
        b.sql("with target (segment_id, customer_id) as (");
        if (shared) {
            b.sql("select segment_id, customer_id from " + SHARED_TARGET);
        } else {
            for (int i = 0; i < targets.size(); i++) {
                b.sql(i == 0 ? "" : " union all ").sql("select ").param(targets.get(i).segmentId(), PgType.BIGINT)
                        .sql(", c.id from " + CUSTOMERS + " where c.tenant_id = ").ref(tenant);
                if (ids != null) {
                    b.sql(" and c.id = any(").ref(each == null ? ids : each.get(i)).sql("::bigint[])");
                }
                b.sql(" and (");
                if (ids == null) {
                    SqlCompiler.predicate(targets.get(i).rule(), b, ctx, tenant);
                } else {
                    SqlCompiler.predicate(targets.get(i).rule(), b, ctx);
                }
                b.sql(")");
            }
        }
        b.sql("), entered as (insert into segment_membership (segment_id, customer_id, tenant_id, since)"
                        + " select t.segment_id, t.customer_id, ").ref(tenant).sql(", ").ref(at)
                .sql(" from target t");
        if (ids == null) {
            // all customers: the stored rows are read once (an anti join), not probed once per member
            b.sql(" where not exists (select 1 from segment_membership m where m.tenant_id = ").ref(tenant)
                    .sql(" and m.segment_id = t.segment_id and m.customer_id = t.customer_id)");
        }
        b.sql(" on conflict do nothing returning segment_id, customer_id)"
                        + ", exited as (delete from segment_membership m where m.tenant_id = ").ref(tenant)
                .sql(" and m.segment_id = any(").ref(segments)
                .sql("::bigint[])");
        if (ids != null) {
            b.sql(" and m.customer_id = any(").ref(ids).sql("::bigint[])");
        }
        if (each != null) {
            b.sql(" and exists (select 1 from unnest(").ref(pairSegments).sql("::bigint[], ").ref(pairCustomers)
                    .sql("::bigint[]) p (segment_id, customer_id) where p.segment_id = m.segment_id"
                            + " and p.customer_id = m.customer_id)");
        }
        b.sql(" and not exists (select 1 from target t where t.segment_id = m.segment_id"
                        + " and t.customer_id = m.customer_id) returning segment_id, customer_id)"
                        + ", changes as (insert into membership_change (tenant_id, segment_id, segment_key, customer_id,"
                        + " customer_external_id, kind, cause, at").sql(flipped == null ? "" : ", flipped_nodes")
                .sql(") select ").ref(tenant)
                .sql(", d.segment_id, s.key, d.customer_id, c.external_id, d.kind, ").ref(causeParam).sql(", ").ref(at);
        if (flipped != null) {
            // the changed customer's row is c: each target's deciding leaves, evaluated for that row only
            b.sql(", case d.segment_id");
            for (Target t : targets) {
                b.sql(" when ").param(t.segmentId(), PgType.BIGINT).sql(" then ");
                SqlCompiler compiler = new SqlCompiler(ctx, b, null, SqlCompiler.Shape.CORRELATED);
                new ExplainSql(compiler, ownRule(compiler.checked(t.rule()), ctx))
                        .decidingLeaves(n -> flipped.touches(n, ctx));
            }
            b.sql(" end");
        }
        b.sql(" from (select segment_id, customer_id, 'entered' as kind from entered union all"
                        + " select segment_id, customer_id, 'exited' from exited) d"
                        + " join segment s on s.tenant_id = ").ref(tenant).sql(" and s.id = d.segment_id")
                .sql(" left join (" + CUSTOMERS + ") on c.tenant_id = ").ref(tenant).sql(" and c.id = d.customer_id"
                        + " order by d.segment_id, d.customer_id returning segment_id, kind)"
                        + ", counted as (update segment_state st set member_count = st.member_count + d.delta"
                        + " from (select segment_id, sum(case kind when 'entered' then 1 else -1 end) as delta"
                        + " from changes group by segment_id) d where st.tenant_id = ").ref(tenant)
                .sql(" and st.segment_id = d.segment_id returning 1)"
                        + " select segment_id, count(*) filter (where kind = 'entered'), count(*) filter (where kind = 'exited')"
                        + " from changes group by segment_id");
        return b.build();
    }

    /**
     * The members of several rules in one evaluation of all of the tenant's customers (the shared passes), as rows
     * {@code (segment_id, customer_id)}: the rule's label, a customer it holds for. The select of
     * {@link #sharedTargets}; the labels there are segment ids.
     */
    static SqlQuery sharedMembers(long tenantId, List<ValidatedRule> rules, List<Long> labels, CompileContext ctx) {
        SqlBuilder b = new SqlBuilder();
        sharedMembers(b, b.bind(tenantId, PgType.BIGINT), rules, labels, ctx);
        return b.build();
    }

    /**
     * {@code select v.segment_id, e.id as customer_id from (select c.id, (rule 0) as m0, ... from customers and the
     * shared passes) e cross join lateral unnest(array_remove(array[case when e.m0 then label 0 end, ...], null))
     * v (segment_id)}.
     */
    private static void sharedMembers(SqlBuilder b, SqlBuilder.Bound tenant, List<ValidatedRule> rules,
                                      List<Long> labels, CompileContext ctx) {
        if (rules.isEmpty() || rules.size() != labels.size()) throw new IllegalArgumentException("one label per rule");
        SharedPasses passes = new SharedPasses();
        SqlCompiler compiler = new SqlCompiler(ctx, b, tenant, passes);
        b.sql("select v.segment_id, e.id as customer_id from (select c.id");
        for (int i = 0; i < rules.size(); i++) {
            b.sql(", (");
            compiler.compile(rules.get(i));
            b.sql(") as m").sql(Integer.toString(i));
        }
        b.sql(" from " + CUSTOMERS);
        passes.joins(compiler, tenant);
        // each customer's labels as an array of the rules it holds for: only the members become rows (a row per
        // rule and customer, filtered after, costs as much as the passes at 30 rules and 1M customers)
        b.sql(" where c.tenant_id = ").ref(tenant).sql(") e cross join lateral unnest(array_remove(array[");
        for (int i = 0; i < rules.size(); i++) {
            b.sql(i == 0 ? "case when e.m" : ", case when e.m").sql(Integer.toString(i)).sql(" then ")
                    .param(labels.get(i), PgType.BIGINT).sql(" end");
        }
        b.sql("], null)) v (segment_id)");
    }

    // ---------------------------------------------------------------- time events

    /**
     * The next due instant of these customers (all of the tenant's when {@code customerIds} is null), written to
     * {@code customer_due} in one statement: for every clock-dependent leaf of the given segments' rules (followed
     * into the dynamic segments they reference) the instants at which it may next change for the customer, and the
     * least of them strictly after {@code now}, with the segments it is the instant of ({@code segments}) and the
     * least instant of the others ({@code others_due_at}; see {@code DueSql} and docs/live-membership.md, "Time
     * events"). How the rows are written is {@code mode}'s. Only rows that change are rewritten. Returns one row
     * {@code (upserted, removed)}. The caller holds the membership lock.
     */
    public static SqlQuery dueInstants(long tenantId, List<Target> segments, List<Long> customerIds,
                                       DueUpdate mode, OffsetDateTime now, CompileContext ctx) {
        return DueSql.statement(tenantId, segments, customerIds, mode, now, ctx);
    }

    /**
     * Before {@link #dueInstants} for the whole tenant ({@code customerIds} null), in the same transaction: the
     * tenant's due rows computed into a temporary table that statement reads (a statement of its own, so that
     * PostgreSQL may scan the streams in parallel: it plans no parallel scan in a statement that writes).
     */
    public static SqlQuery tenantDueRows(long tenantId, List<Target> segments, OffsetDateTime now, CompileContext ctx) {
        return DueSql.rows(tenantId, segments, now, ctx);
    }

    /** How {@link #dueInstants} writes what it computed. */
    public enum DueUpdate {
        /**
         * The rules are all the tenant's dynamic segments and the customers were just evaluated at now for every
         * clock-dependent one (the tick): each row is replaced, or removed when none is left.
         */
        EVALUATED,
        /**
         * The rules are all the tenant's dynamic segments, the customers were evaluated only for some (a write, a
         * full recompute): as EVALUATED, except that an instant already passed stays for the tick.
         */
        WRITTEN,
        /**
         * The rules were added to (or changed among) the tenant's others, whose instants are in the column already
         * (a segment saved or refreshed): a row only moves earlier or is inserted, nothing is removed. An instant the
         * old version of a changed rule left behind is early, never late: the tick re-evaluates and replaces it.
         */
        ADDED
    }

    /**
     * The writes that can move {@link #dueInstants} of these rules (the sources their clock-dependent leaves read):
     * after a write of none of them, the customers' instants stay as they are.
     */
    public static Set<dev.segments.rule.Source> dueSources(List<ValidatedRule> rules, CompileContext ctx) {
        return DueSql.sources(rules, ctx);
    }

    /** Whether any of these rules has a leaf that reads the clock (the leaves {@link #dueInstants} follows). */
    public static boolean readsClock(List<ValidatedRule> rules, CompileContext ctx) {
        return DueSql.timeDependent(rules, ctx);
    }

    // ---------------------------------------------------------------- insight

    /** Whose members a statement reads: materialized, listed (static) or evaluated from a rule now. */
    public sealed interface Members permits Members.Materialized, Members.Listed, Members.Evaluated {
        /**
         * A dynamic segment's materialized membership ({@code segment_membership}), exact at now: when {@code rule}
         * (the segment's rule, given when it reads the clock) is not null, the customers due at now are taken from
         * the rule evaluated for them instead of the stored rows (docs/live-membership.md, "Reads exact at now").
         */
        record Materialized(long segmentId, ValidatedRule rule) implements Members {
        }

        /** A static segment's members ({@code segment_member}). */
        record Listed(long segmentId) implements Members {
        }

        /** The customers a rule holds for, evaluated in the statement (pre-aggregated where allowed). */
        record Evaluated(ValidatedRule rule) implements Members {
        }
    }

    /** {@code with m as materialized (select customer_id ...)}: the member set a statement reads. */
    private static void memberSet(SqlBuilder b, SqlCompiler compiler, SqlBuilder.Bound tenant, Members members) {
        b.sql("with m as materialized (");
        switch (members) {
            case Members.Materialized mat -> {
                b.sql("select sm.customer_id from segment_membership sm where sm.tenant_id = ").ref(tenant)
                        .sql(" and sm.segment_id = ").param(mat.segmentId(), PgType.BIGINT);
                if (mat.rule() != null) {
                    SqlBuilder.Bound now = b.bind(compiler.ctx.now(), PgType.TIMESTAMPTZ);
                    b.sql(" and not exists (select 1 from customer_due d where d.tenant_id = ").ref(tenant)
                            .sql(" and d.customer_id = sm.customer_id and d.due_at <= ").ref(now)
                            .sql(") union all select c.id from " + CUSTOMERS + " where c.tenant_id = ").ref(tenant)
                            .sql(" and c.id = any(array(select d.customer_id from customer_due d where d.tenant_id = ").ref(tenant)
                            .sql(" and d.due_at <= ").ref(now).sql(")) and (");
                    SqlCompiler.predicate(mat.rule(), b, compiler.ctx);
                    b.sql(")");
                }
            }
            case Members.Listed l -> b.sql("select customer_id from segment_member where tenant_id = ").ref(tenant)
                    .sql(" and segment_id = ").param(l.segmentId(), PgType.BIGINT);
            case Members.Evaluated e -> {
                b.sql("select c.id as customer_id from " + CUSTOMERS + " where c.tenant_id = ").ref(tenant).sql(" and (");
                compiler.compile(e.rule());
                b.sql(")");
            }
        }
        b.sql(")");
    }

    /**
     * The RFM grid of a segment against the base (docs/insight.md, "Reports"), in one statement: one scan of the
     * tenant's customers left-joined to the member set, grouped by the RFM model's recency and frequency scores.
     * Rows {@code (recency smallint, frequency smallint, members bigint, base bigint, monetary numeric,
     * computed_at timestamptz)}: per scored cell the members and base customers in it, the members' counted revenue
     * ({@code rfm_monetary_value}) and the latest scoring time; the cell with both scores null holds the customers the
     * model did not score (no purchases in its window, or never run).
     */
    public static SqlQuery rfmGrid(long tenantId, Members members, CompileContext ctx) {
        SqlBuilder b = new SqlBuilder();
        SqlBuilder.Bound tenant = b.bind(tenantId, PgType.BIGINT);
        SqlCompiler compiler = new SqlCompiler(ctx, b, tenant, SqlCompiler.Shape.SET);
        memberSet(b, compiler, tenant, members);
        b.sql(" select cs.rfm_recency as recency, cs.rfm_frequency as frequency,"
                + " count(m.customer_id) as members, count(*) as base,"
                + " coalesce(sum(cs.rfm_monetary_value) filter (where m.customer_id is not null), 0) as monetary,"
                + " max(cs.rfm_computed_at) as computed_at"
                + " from " + CUSTOMERS + " left join m on m.customer_id = c.id where c.tenant_id = ").ref(tenant)
                .sql(" group by 1, 2 order by 1 nulls first, 2 nulls first");
        return b.build();
    }

    /** How a profile reads a field: counts per value, or quantiles and a histogram. */
    public enum ProfileKind { CATEGORICAL, NUMERIC }

    /**
     * How a profile reads a customer field: strings, booleans, lists, and numbers with a known set of values (the
     * RFM scores) by value; other numbers as numbers; empty for time fields and fields not available.
     */
    public static Optional<ProfileKind> profileKind(FieldDef f) {
        if (!f.available() || f.type() == null) return Optional.empty();
        return switch (f.type()) {
            case STRING, BOOLEAN, STRING_LIST -> Optional.of(ProfileKind.CATEGORICAL);
            case NUMBER, INTEGER -> Optional.of(f.values().isEmpty() ? ProfileKind.NUMERIC : ProfileKind.CATEGORICAL);
            case DATE, TIMESTAMP -> Optional.empty();
        };
    }

    /** Quantiles a profile reports for a numeric field, in order (p0, p25, p50, p75, p90, p100). */
    public static final List<String> QUANTILES = List.of("0", "0.25", "0.5", "0.75", "0.9", "1");

    /**
     * A segment's profile against the tenant's whole base, in one statement (docs/insight.md, "Profile"). The base is
     * one scan of the tenant's customers ({@code r}: each field's value as read) grouped by the combination of their
     * categorical values ({@code g}: as many groups as distinct combinations, far fewer than customers; a list field
     * groups by its whole list), with each numeric field's count and sum per group; the members' rows ({@code mr}, the
     * same rows read by primary key) are grouped the same way and give the numeric fields' quantiles and histogram.
     * Every per-value count is then a sum over the groups.
     * Rows {@code (section text, field int, value text, members bigint, base bigint, nums numeric[])}:
     * <ul>
     *   <li>{@code totals}: members, base, nums = [members' total spend, base's, members' purchases, base's];</li>
     *   <li>{@code value} (categorical field {@code field}, its index in {@code fields}): one of the {@code top}
     *       values held by most members (ties: more base customers, then the value), members and base customers
     *       holding it, nums = [rank];</li>
     *   <li>{@code other}: every other value held in the base, summed; {@code notset}: customers without a value;</li>
     *   <li>{@code stats} (numeric): members and base customers with a value, nums = [p0, p25, p50, p75, p90, p100
     *       (percentile_cont over the members), members' mean, base mean];</li>
     *   <li>{@code bin} (numeric): a histogram bin of the members' values, nums = [from, to): equal bins of a 1-2-5
     *       width (whole numbers for integer fields) from a multiple of the width at or below the smallest value, about
     *       ten of them; one bin [min, max] when all values are equal.</li>
     * </ul>
     * The base's grouping is planned best as a parallel hash aggregate ({@code RuleQueryExecutor.HASH_GROUPING}).
     */
    public static SqlQuery profile(long tenantId, Members members, List<FieldDef> fields, int top, CompileContext ctx) {
        if (top < 1) throw new IllegalArgumentException("top must be positive");
        SqlBuilder b = new SqlBuilder();
        SqlBuilder.Bound tenant = b.bind(tenantId, PgType.BIGINT);
        SqlCompiler compiler = new SqlCompiler(ctx, b, tenant, SqlCompiler.Shape.SET);
        memberSet(b, compiler, tenant, members);
        List<Integer> categorical = new java.util.ArrayList<>(), numeric = new java.util.ArrayList<>();
        for (int i = 0; i < fields.size(); i++) {
            FieldDef f = fields.get(i);
            ProfileKind kind = profileKind(f).orElseThrow(() -> new IllegalArgumentException("not profilable: " + f.name()));
            (kind == ProfileKind.CATEGORICAL ? categorical : numeric).add(i);
        }
        StringBuilder keys = new StringBuilder(), sums = new StringBuilder();
        for (int i : categorical) keys.append(", f").append(i);
        for (int i : numeric) sums.append(", count(f").append(i).append(") as c").append(i).append(", sum(f").append(i)
                .append(") as s").append(i);
        String groupBy = categorical.isEmpty() ? "" : " group by " + keys.substring(2);
        b.sql(", r as not materialized (select c.id, c.total_spend as spend, c.purchase_count as purchases");
        for (int i = 0; i < fields.size(); i++) {
            b.sql(", ");
            compiler.profileValue(fields.get(i), categorical.contains(i));
            b.sql(" as f" + i);
        }
        b.sql(" from " + CUSTOMERS + " where c.tenant_id = ").ref(tenant).sql(")"
                + ", mr as materialized (select * from r where r.id = any(array(select customer_id from m)))"
                + ", g as (select false as mem" + keys + ", count(*) as n, sum(spend) as spend, sum(purchases) as purchases"
                + sums + " from r" + groupBy
                + " union all select true" + keys + ", count(*), sum(spend), sum(purchases)" + sums + " from mr" + groupBy + ")");
        b.sql(", totals as (select coalesce(sum(n) filter (where mem), 0)::bigint as members,"
                + " coalesce(sum(n) filter (where not mem), 0)::bigint as base,"
                + " array[coalesce(sum(spend) filter (where mem), 0), coalesce(sum(spend) filter (where not mem), 0),"
                + " coalesce(sum(purchases) filter (where mem), 0), coalesce(sum(purchases) filter (where not mem), 0)]::numeric[]"
                + " as nums from g)");
        if (!categorical.isEmpty()) {
            String valueCounts = ", coalesce(sum(g.n) filter (where g.mem), 0)::bigint as members,"
                    + " coalesce(sum(g.n) filter (where not g.mem), 0)::bigint as base from g";
            b.sql(", cat as (");
            for (int k = 0; k < categorical.size(); k++) {
                int i = categorical.get(k);
                b.sql(k == 0 ? "" : " union all ").sql(fields.get(i).type() == FieldType.STRING_LIST
                        ? "select " + i + " as i, u.value" + valueCounts + " cross join unnest(g.f" + i + ") u(value) group by u.value"
                        : "select " + i + " as i, g.f" + i + " as value" + valueCounts + " group by g.f" + i);
            }
            b.sql("), ranked as (select i, value, members, base,"
                    + " row_number() over (partition by i order by members desc, base desc, value) as r"
                    + " from cat where value is not null)");
        }
        if (!numeric.isEmpty()) {
            StringBuilder member = new StringBuilder(), base = new StringBuilder(), baseSums = new StringBuilder();
            for (int k = 0; k < numeric.size(); k++) {
                int i = numeric.get(k);
                boolean integral = fields.get(i).type() == FieldType.INTEGER;
                member.append(k == 0 ? "" : ", ").append("(").append(i).append(", mr.f").append(i).append(")");
                base.append(k == 0 ? "" : ", ").append("(").append(i).append(", t.c").append(i).append(", t.s").append(i)
                        .append(", ").append(integral).append(")");
                baseSums.append(k == 0 ? "" : ", ").append("sum(g.c").append(i).append(") as c").append(i)
                        .append(", sum(g.s").append(i).append(") as s").append(i);
            }
            b.sql(", nv as (select v.i, v.x from mr cross join lateral (values " + member + ") v(i, x)"
                    + " where v.x is not null)"
                    + ", nb as (select v.i, v.integral, v.k::bigint as base, v.s / v.k as base_mean from (select " + baseSums
                    + " from g where not g.mem) t cross join lateral (values " + base + ") v(i, k, s, integral) where v.k > 0)"
                    + ", ns as materialized (select i, count(*) as members,"
                    + " percentile_cont(array[" + String.join(", ", QUANTILES) + "]::float8[]) within group (order by x::float8)"
                    + " as q, avg(x) as mean, min(x) as lo, max(x) as hi from nv group by i)"
                    + ", num as (select nb.i, nb.integral, coalesce(ns.members, 0) as members, nb.base, ns.q, ns.mean,"
                    + " nb.base_mean, ns.lo, ns.hi from nb left join ns on ns.i = nb.i)"
                    + ", nice as (select i, integral, lo, hi, (hi - lo) / 10 as raw,"
                    + " power(10::numeric, floor(log((hi - lo) / 10))) as mag from num where hi > lo)"
                    + ", step as (select i, lo, hi, case when integral then greatest(ceil(w), 1) else w end as width from"
                    + " (select i, integral, lo, hi, (case when raw / mag <= 1 then 1 when raw / mag <= 2 then 2"
                    + " when raw / mag <= 5 then 5 else 10 end) * mag as w from nice) n)"
                    + ", edges as (select i, hi, width, floor(lo / width) * width as edge from step)"
                    + ", bins as (select e.i, k, e.edge + k * e.width as bin_from, e.edge + (k + 1) * e.width as bin_to"
                    + " from edges e cross join generate_series(0, floor((e.hi - e.edge) / e.width)::int) k"
                    + " union all select i, 0, lo, hi from num where members > 0 and hi = lo)"
                    + ", counts as (select nv.i, coalesce(floor((nv.x - e.edge) / e.width)::int, 0) as k, count(*) as n"
                    + " from nv left join edges e on e.i = nv.i group by 1, 2)");
        }
        b.sql(" select 'totals' as section, null::int as field, null::text as value, members, base, nums from totals");
        if (!categorical.isEmpty()) {
            SqlBuilder.Bound limit = b.bind((long) top, PgType.BIGINT);
            b.sql(" union all select 'value', i, value, members, base, array[r]::numeric[] from ranked where r <= ").ref(limit)
                    .sql(" and members > 0 union all select 'other', i, null, sum(members)::bigint, sum(base)::bigint, null"
                            + " from ranked where r > ").ref(limit).sql(" or members = 0 group by i"
                            + " union all select 'notset', i, null, members, base, null from cat where value is null");
        }
        if (!numeric.isEmpty()) {
            StringBuilder q = new StringBuilder();
            for (int k = 1; k <= QUANTILES.size(); k++) q.append("q[").append(k).append("]::numeric, ");
            b.sql(" union all select 'stats', i, null, members, base, array[" + q + "mean, base_mean] from num"
                    + " union all select 'bin', bins.i, null, coalesce(counts.n, 0), null, array[bin_from, bin_to]"
                    + " from bins left join counts on counts.i = bins.i and counts.k = bins.k");
        }
        return b.build();
    }
}
