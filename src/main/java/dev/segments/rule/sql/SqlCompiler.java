package dev.segments.rule.sql;

import dev.segments.rule.CompileContext;
import dev.segments.rule.FieldCatalog;
import dev.segments.rule.InvalidRuleException;
import dev.segments.rule.ResolvedSegment;
import dev.segments.rule.RuleError;
import dev.segments.rule.RuleNode;
import dev.segments.rule.ValidatedRule;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;

/**
 * Compiles a {@link ValidatedRule} to a PostgreSQL boolean predicate over the customer alias {@code c}: the
 * traversal (groups, not, segment references) and the state of one compilation; conditions are
 * {@link ConditionSql}'s, aggregates {@link AggregateSql}'s. Statements around a predicate are
 * {@link QueryShapes}'; nothing outside this package compiles.
 *
 * <p>Semantics are two-valued. Every node compiles to an expression that is TRUE exactly where the node is true
 * (it may be NULL or FALSE where it is false): plain, sargable comparisons. That is enough under AND/OR up to the
 * WHERE clause (positive polarity). Where a node is negated — {@code not}, and the negating operators neq, notIn,
 * notContains, hasNone, notWithin, isNotSet — the positive form is wrapped as {@code not coalesce(X, false)}, which
 * is exactly true where X is not true, so NULL never leaks.
 *
 * <p>Aggregates have two exact shapes: a correlated probe of one customer's rows (membership, pages) and, for
 * counts over the whole tenant, a pre-aggregation of the stream joined by customer id; see {@link AggregateSql},
 * docs/rule-semantics.md and docs/query-plans.md.
 */
final class SqlCompiler {

    /** How aggregates compile. */
    enum Shape {
        /** Every aggregate a correlated {@code exists (... having ...)} (or its rollup). */
        CORRELATED,
        /** Pre-aggregated where allowed, except next to an AND-ed customer-only condition. */
        SET,
        /** Pre-aggregated wherever allowed: only for plan comparisons (QueryPlanBench) and tests. */
        SET_ALWAYS,
        /**
         * Every aggregate a column of its stream's shared pass ({@link SharedPasses}): one grouped scan per stream
         * for all the rules of one statement (a full evaluation of several segments).
         */
        SHARED
    }

    final CompileContext ctx;
    final SqlBuilder b;
    /** The tenant parameter of the enclosing query (needed by the pre-aggregated form). */
    final SqlBuilder.Bound tenant;
    final Shape shape;
    private final Deque<String> segmentStack = new ArrayDeque<>();
    private final ConditionSql conditions;
    private final AggregateSql aggregates;
    /** The passes the aggregates of a {@link Shape#SHARED} compilation read; null in the other shapes. */
    final SharedPasses passes;
    /** True while compiling below an AND that also has a customer-only condition among its other children. */
    boolean restricted;

    SqlCompiler(CompileContext ctx, SqlBuilder b, SqlBuilder.Bound tenant, Shape shape) {
        this(ctx, b, tenant, shape, null);
    }

    /** A {@link Shape#SHARED} compilation: its aggregates become columns of these passes. */
    SqlCompiler(CompileContext ctx, SqlBuilder b, SqlBuilder.Bound tenant, SharedPasses passes) {
        this(ctx, b, tenant, Shape.SHARED, Objects.requireNonNull(passes));
    }

    private SqlCompiler(CompileContext ctx, SqlBuilder b, SqlBuilder.Bound tenant, Shape shape, SharedPasses passes) {
        if (shape != Shape.CORRELATED && tenant == null) throw new IllegalArgumentException("tenant parameter needed");
        if ((shape == Shape.SHARED) != (passes != null)) throw new IllegalArgumentException("passes with SHARED only");
        this.ctx = ctx;
        this.b = b;
        this.tenant = tenant;
        this.shape = shape;
        this.passes = passes;
        this.conditions = new ConditionSql(this);
        this.aggregates = new AggregateSql(this, conditions);
    }

    /**
     * Appends the predicate of a validated rule over customer alias {@code c}, aggregates as correlated subqueries
     * (one index probe per customer evaluated): the form for one or a few customers (membership, a customer's
     * segments) and for keyset pages.
     */
    static void predicate(ValidatedRule rule, SqlBuilder b, CompileContext ctx) {
        new SqlCompiler(ctx, b, null, Shape.CORRELATED).compile(rule);
    }

    /**
     * Appends the predicate of a validated rule over customer alias {@code c} for a query that evaluates all of the
     * tenant's customers at once (counts): an aggregate is pre-aggregated in one pass over its stream and
     * (anti-)semi-joined by customer id, unless its value is a {@code ref} or a customer-only condition is AND-ed
     * with it (then the condition filters first and the correlated probe runs only for the customers it leaves).
     * {@code tenant} must be the parameter the enclosing query restricts {@code c.tenant_id} to; the
     * pre-aggregation reads only that tenant's activity.
     */
    static void predicate(ValidatedRule rule, SqlBuilder b, CompileContext ctx, SqlBuilder.Bound tenant) {
        new SqlCompiler(ctx, b, Objects.requireNonNull(tenant), Shape.SET).compile(rule);
    }

    /** Appends a customer field's value as a profile reads it (see {@link ConditionSql#profileValue}). */
    void profileValue(dev.segments.rule.FieldDef f, boolean categorical) {
        conditions.profileValue(f, categorical);
    }

    /** Appends the rule's predicate. */
    void compile(ValidatedRule rule) {
        node(checked(rule), null);
    }

    /**
     * When the rule's members all have rows of one stream, emits {@code select count(*) as count from (groups)
     * c (id) [where ...]} and returns true (see {@link AggregateSql#countOverGroups}); else emits nothing.
     */
    boolean countOverGroups(ValidatedRule rule) {
        return aggregates.countOverGroups(checked(rule));
    }

    ConditionSql conditions() {
        return conditions;
    }

    AggregateSql aggregates() {
        return aggregates;
    }

    /**
     * Appends the time of the customer's latest activity that the rule's aggregates outside any {@code not} select
     * ({@link AggregateSql#latestRow}), the greatest of them: a timestamptz, NULL when there is none (also when the
     * rule has no such aggregate). Aggregates of referenced segments do not count. Correlated: for rows of
     * customer alias {@code c}.
     */
    void latestActivity(ValidatedRule rule) {
        List<RuleNode.Aggregate> found = new java.util.ArrayList<>();
        positiveAggregates(checked(rule), found);
        if (found.isEmpty()) {
            b.sql("null::timestamptz");
            return;
        }
        b.sql("greatest(");
        for (int i = 0; i < found.size(); i++) {
            if (i > 0) b.sql(", ");
            aggregates.latestRow(found.get(i));
        }
        b.sql(")");
    }

    private static void positiveAggregates(RuleNode n, List<RuleNode.Aggregate> out) {
        switch (n) {
            case RuleNode.Group g -> g.children().forEach(c -> positiveAggregates(c, out));
            case RuleNode.Aggregate a -> out.add(a);
            case RuleNode.Not not -> {
            }
            case RuleNode.Condition c -> {
            }
            case RuleNode.SegmentRef s -> {
            }
        }
    }

    /** The rule's tree, if it was validated against the catalog compiled against. */
    RuleNode checked(ValidatedRule rule) {
        if (rule.catalog() != ctx.catalog()) {
            throw new IllegalArgumentException("rule validated against another field catalog");
        }
        return rule.node();
    }

    /** stream == null: customer scope. */
    void node(RuleNode n, FieldCatalog.StreamDef stream) {
        switch (n) {
            case RuleNode.Group g -> {
                boolean and = g.combinator() == RuleNode.Combinator.AND;
                b.sql("(");
                for (int i = 0; i < g.children().size(); i++) {
                    if (i > 0) b.sql(and ? " and " : " or ");
                    boolean outer = restricted;
                    if (and && stream == null && !restricted) restricted = otherCustomerOnly(g.children(), i);
                    node(g.children().get(i), stream);
                    restricted = outer;
                }
                b.sql(")");
            }
            case RuleNode.Not not -> {
                if (not.child() instanceof RuleNode.Aggregate a && aggregates.preAggregated(a)) {
                    aggregates.aggregate(a, true); // never NULL: plain "not exists", which plans as an anti join
                } else {
                    b.sql("not coalesce(");
                    node(not.child(), stream);
                    b.sql(", false)");
                }
            }
            case RuleNode.Condition c -> conditions.condition(c, stream);
            case RuleNode.Aggregate a -> aggregates.aggregate(a, false);
            case RuleNode.SegmentRef s -> segment(s);
        }
    }

    /** Whether a child other than {@code i} is customer-only (compiles to customer columns alone). */
    static boolean otherCustomerOnly(List<RuleNode> children, int i) {
        for (int j = 0; j < children.size(); j++) {
            if (j != i && customerOnly(children.get(j))) return true;
        }
        return false;
    }

    static boolean customerOnly(RuleNode n) {
        return switch (n) {
            case RuleNode.Group g -> g.children().stream().allMatch(SqlCompiler::customerOnly);
            case RuleNode.Not not -> customerOnly(not.child());
            case RuleNode.Condition c -> true;
            case RuleNode.Aggregate a -> false;
            case RuleNode.SegmentRef s -> false;
        };
    }

    /** A static segment is a membership check; a dynamic one its rule, inlined at the same {@code now}. */
    void segment(RuleNode.SegmentRef s) {
        ResolvedSegment rs = ctx.resolver().resolve(s.key())
                .orElseThrow(() -> new InvalidRuleException(List.of(
                        new RuleError(s.pointer(), "unknown_segment", "unknown segment '" + s.key() + "'"))));
        switch (rs) {
            case ResolvedSegment.Static st -> b.sql("exists (select 1 from segment_member m where m.tenant_id = c.tenant_id"
                            + " and m.segment_id = ")
                    .param(st.segmentId(), SqlBuilder.PgType.BIGINT).sql(" and m.customer_id = c.id)");
            case ResolvedSegment.Dynamic d -> {
                if (segmentStack.contains(s.key())) {
                    throw new InvalidRuleException(List.of(new RuleError(s.pointer(), "segment_cycle",
                            "segment reference cycle through '" + s.key() + "'")));
                }
                segmentStack.push(s.key());
                b.sql("(");
                node(d.rule(), null);
                b.sql(")");
                segmentStack.pop();
            }
        }
    }
}
