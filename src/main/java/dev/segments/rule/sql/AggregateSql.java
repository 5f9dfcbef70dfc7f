package dev.segments.rule.sql;

import dev.segments.rule.FieldCatalog;
import dev.segments.rule.FieldDef;
import dev.segments.rule.FieldType;
import dev.segments.rule.Operator;
import dev.segments.rule.ResolvedSegment;
import dev.segments.rule.RuleNode;
import dev.segments.rule.Typing;
import dev.segments.rule.Value;
import dev.segments.rule.Values;
import dev.segments.rule.sql.ConditionSql.Expr;
import dev.segments.rule.sql.SqlBuilder.PgType;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.List;

import static dev.segments.rule.sql.ConditionSql.positiveOf;
import static dev.segments.rule.sql.ConditionSql.timeValue;

/**
 * Aggregates over an activity stream ({@code count/sum/avg/min/max of stream [where] [within] op value}). Without
 * where/within an aggregate may read a rollup column. Otherwise, in a set-oriented query (counts), unless the
 * compared value is a {@code ref} or an AND-ed customer-only condition already narrows the customers to probe, the
 * stream is pre-aggregated once (joining each row's customer when the where has refs):
 * <pre>
 * exists (select 1 from (select x.customer_id from stream x [join customer c on c.tenant_id = x.tenant_id
 *         and c.id = x.customer_id] where x.tenant_id = $t [and where] [and window]
 *         group by x.customer_id having cmp) g where g.customer_id = c.id)
 * </pre>
 * which plans as a hash/merge semi join. Customers without (matching) rows form no group there, while the
 * contract gives them one (count = sum = 0, avg/min/max missing). The comparison on that empty group is
 * known at compile time ({@link #emptyGroupTruth}); when it is true the node is the complement of the
 * groups that fail: {@code not exists (... having not coalesce(cmp, false) ...)}, an anti join.
 * Otherwise the aggregate is a correlated {@code exists (... having cmp)} over the customer's rows.
 * See docs/rule-semantics.md and docs/query-plans.md.
 */
final class AggregateSql {

    private final SqlCompiler compiler;
    private final ConditionSql conditions;
    private final SqlBuilder b;

    AggregateSql(SqlCompiler compiler, ConditionSql conditions) {
        this.compiler = compiler;
        this.conditions = conditions;
        this.b = compiler.b;
    }

    /** An aggregate's stream, aggregated field (null for count) and result type. */
    record Typed(FieldCatalog.StreamDef stream, FieldDef field, FieldType type) {
    }

    Typed typed(RuleNode.Aggregate a) {
        FieldCatalog.StreamDef s = compiler.ctx.catalog().requireStream(a.stream());
        FieldDef field = a.field() == null ? null : s.field(a.field())
                .orElseThrow(() -> new IllegalStateException("unvalidated rule: unknown field " + a.field()));
        return new Typed(s, field, Typing.aggregateType(a.fn(), field, a.value()));
    }

    /** {@code negate} compiles {@code not node} (both forms are never NULL, so a plain {@code not} is exact). */
    void aggregate(RuleNode.Aggregate a, boolean negate) {
        Typed t = typed(a);
        FieldCatalog.StreamDef s = t.stream();
        FieldDef field = t.field();
        FieldType rt = t.type();
        if (a.where() == null && a.within() == null) {
            String rollup = rollup(a);
            if (rollup != null) {
                conditions.negatable(negate, () -> conditions.compare(z -> z.sql(rollup), rt, false, a.op(), a.value()));
                return;
            }
        }
        if (existenceByRollup(a, negate)) {
            return;
        }
        if (compiler.passes != null) {
            String column = compiler.passes.column(a, compiler.ctx);
            conditions.negatable(negate, () -> conditions.compare(z -> z.sql(column), rt, false, a.op(), a.value()));
            return;
        }
        if (preAggregated(a)) {
            boolean empty = emptyGroupTruth(a.fn(), rt, a.op(), a.value());
            if (empty != negate) b.sql("not ");
            b.sql("exists (select 1 from (");
            groups(a, empty);
            b.sql(") g where g.customer_id = c.id)");
            return;
        }
        String al = s.alias();
        Expr agg = aggregateExpr(a.fn(), field, rt, a.op());
        Existence needed = rowInWindowNeeded(a, rt);
        conditions.negatable(negate, () -> {
            if (needed != null) {
                // a cheap necessary condition first: most customers are never probed
                b.sql("(").sql(needed.latest()).sql(" >= ").param(needed.since(), PgType.TIMESTAMPTZ).sql(" and ");
            }
            b.sql("exists (select 1 from ").sql(s.table()).sql(" ").sql(al)
                    .sql(" where ").sql(al).sql(".tenant_id = c.tenant_id and ").sql(al).sql(".customer_id = c.id");
            rowFilter(a, s);
            b.sql(" having ");
            // HAVING without GROUP BY: exactly one group, even over no rows; the comparison decides existence,
            // so the node is two-valued and the aggregate may be referenced more than once (computed once).
            conditions.compare(agg, rt, false, a.op(), a.value());
            b.sql(")");
            if (needed != null) b.sql(")");
        });
    }

    /**
     * When the aggregate can hold only for a customer with a row in its window (its comparison is false on the
     * empty group) and the stream keeps the customer's latest row time (the exact rollup last_purchase_at /
     * last_interaction_at): that rollup and the window's start, since such a row exists only if the latest row
     * is at or after the start. Else null. A customer without rows has a NULL rollup, and {@code NULL and exists}
     * is false there (the probe finds no group passing), so the node stays two-valued.
     */
    Existence rowInWindowNeeded(RuleNode.Aggregate a, FieldType rt) {
        if (a.within() == null) return null;
        boolean countOrSum = a.fn() == RuleNode.AggregateFn.COUNT || a.fn() == RuleNode.AggregateFn.SUM;
        // a count or sum on the empty group is 0: against a ref it holds or not per customer (lists, whose
        // truth on 0 emptyGroupTruth could tell, are left unguarded too: the probe alone is still exact)
        if (countOrSum && !(a.value() instanceof Value.Literal) && a.value() != null) return null;
        if (emptyGroupTruth(a.fn(), rt, a.op(), a.value())) return null;
        String latest = latest(a);
        OffsetDateTime since = windowStart(a.within());
        return latest == null || since == null ? null : new Existence(latest, since, true);
    }

    /**
     * A count of purchases or interactions in a window open towards the future (a duration, or a range without
     * {@code to}), without where, compared so that only "none" versus "at least one" matters ({@code gte 1},
     * {@code gt 0}, {@code eq 0}, {@code lt 1}, ...): there is such a row iff the customer's latest one (the exact
     * rollup last_purchase_at / last_interaction_at) is at or after the window's start. Emits that and returns
     * true, or returns false (nothing emitted). Never NULL: {@code not} is exact.
     */
    boolean existenceByRollup(RuleNode.Aggregate a, boolean negate) {
        Existence e = existence(a);
        if (e == null) {
            return false;
        }
        b.sql(e.some() != negate ? "(" : "not (").sql(e.latest()).sql(" is not null and ").sql(e.latest())
                .sql(" >= ").param(e.since(), PgType.TIMESTAMPTZ).sql(")");
        return true;
    }

    /** The node is "the latest row is at or after since" (some = true) or its negation. */
    record Existence(String latest, OffsetDateTime since, boolean some) {
    }

    Existence existence(RuleNode.Aggregate a) {
        if (a.fn() != RuleNode.AggregateFn.COUNT || a.where() != null || a.within() == null
                || !(a.value() instanceof Value.Literal)) {
            return null;
        }
        String latest = latest(a);
        OffsetDateTime since = a.within() instanceof Value.Window w && w.to() != null ? null : windowStart(a.within());
        Boolean some = truthForEveryPositiveCount(a.op(), a.value());
        if (latest == null || since == null || some == null) {
            return null;
        }
        boolean none = emptyGroupTruth(a.fn(), FieldType.INTEGER, a.op(), a.value());
        // true (or false) whatever the count: rare, left to the general form
        return some == none ? null : new Existence(latest, since, some);
    }

    /** The comparison's truth for every count n >= 1 if it is the same for all of them, else null. */
    static Boolean truthForEveryPositiveCount(Operator op, Value value) {
        BigDecimal v = Values.decimal(((Value.Literal) value).value()).orElse(null);
        if (v == null) return null;
        int vs1 = v.compareTo(BigDecimal.ONE);
        return switch (op) {
            case GTE -> vs1 <= 0 ? Boolean.TRUE : null;
            case GT -> vs1 < 0 ? Boolean.TRUE : null;
            case LTE -> vs1 < 0 ? Boolean.FALSE : null;
            case LT -> vs1 <= 0 ? Boolean.FALSE : null;
            case EQ -> v.signum() <= 0 ? Boolean.FALSE : null;
            case NEQ -> v.signum() <= 0 ? Boolean.TRUE : null;
            // the truth differs between counts (between, in, ...), or the operator takes no number
            case IS_SET, IS_NOT_SET, IN, NOT_IN, BETWEEN, CONTAINS, NOT_CONTAINS, STARTS_WITH, ENDS_WITH, BEFORE,
                 AFTER, WITHIN, NOT_WITHIN, HAS_ANY, HAS_ALL, HAS_NONE -> null;
        };
    }

    /**
     * {@code select x.customer_id from stream x ... group by x.customer_id having cmp}: the customers whose rows
     * satisfy the aggregate's comparison, or (failing) those whose rows fail it. Only customers with matching
     * rows form a group.
     */
    void groups(RuleNode.Aggregate a, boolean failing) {
        Typed t = typed(a);
        FieldCatalog.StreamDef s = t.stream();
        FieldType rt = t.type();
        Expr agg = aggregateExpr(a.fn(), t.field(), rt, a.op());
        String al = s.alias();
        b.sql("select ").sql(al).sql(".customer_id from ").sql(s.table()).sql(" ").sql(al);
        if (a.where() != null && hasRef(a.where())) {
            // refs in the where compare each row with its own customer's fields: join that customer,
            // under the same alias c (this derived table cannot see the outer c)
            b.sql(" join (").sql(QueryShapes.CUSTOMERS).sql(") on c.tenant_id = ").sql(al).sql(".tenant_id and c.id = ").sql(al).sql(".customer_id");
        }
        b.sql(" where ").sql(al).sql(".tenant_id = ").ref(compiler.tenant);
        rowFilter(a, s);
        b.sql(" group by ").sql(al).sql(".customer_id having ");
        Operator positive = positiveOf(a.op());
        if (failing && positive != a.op()) {
            conditions.positive(agg, rt, false, positive, a.value()); // not (not P) = P; HAVING drops NULL as false
        } else {
            conditions.negatable(failing, () -> conditions.compare(agg, rt, false, a.op(), a.value()));
        }
    }

    /** Whether the aggregate compiles to the pre-aggregated form here (and no rollup answers it). */
    boolean grouped(RuleNode.Aggregate a) {
        return preAggregated(a) && existence(a) == null;
    }

    /**
     * Whether the node refers to its customer by id alone: pre-aggregated aggregates (each a semi or anti join
     * on {@code c.id}), their negations and combinations. Such a predicate can run over any relation
     * {@code c (id)}.
     */
    boolean byIdOnly(RuleNode n) {
        return switch (n) {
            case RuleNode.Aggregate a -> grouped(a);
            case RuleNode.Not not -> byIdOnly(not.child());
            case RuleNode.Group g -> g.children().stream().allMatch(this::byIdOnly);
            case RuleNode.Condition c -> false;
            case RuleNode.SegmentRef r -> false;
        };
    }

    /**
     * A count whose members all have matching rows in one stream: the rule is a pre-aggregated aggregate that is
     * false for customers without rows (a driver), alone or AND-ed with nodes that refer to the customer by id
     * only. Then {@code select count(*) from (driver's groups) c (id) where (the rest)}: the groups are
     * customers of this tenant (activity references customer (tenant_id, id)), so the customer table is not
     * read at all. Emits that and returns true, or returns false (nothing emitted).
     */
    boolean countOverGroups(RuleNode rule) {
        // a saved segment is counted as GET /segments/{key}/count asks: as a reference to it
        while (rule instanceof RuleNode.SegmentRef ref
                && compiler.ctx.resolver().resolve(ref.key()).orElse(null) instanceof ResolvedSegment.Dynamic d) {
            rule = d.rule();
        }
        List<RuleNode> terms = rule instanceof RuleNode.Group g && g.combinator() == RuleNode.Combinator.AND
                ? g.children() : List.of(rule);
        if (!terms.stream().allMatch(this::byIdOnly)) {
            return false;
        }
        RuleNode.Aggregate driver = null;
        for (RuleNode t : terms) {
            if (t instanceof RuleNode.Aggregate a && !emptyGroupTruth(a)) {
                driver = a;
                break;
            }
        }
        if (driver == null) {
            return false;
        }
        b.sql("select count(*) as count from (");
        groups(driver, false);
        b.sql(") c (id)");
        String glue = " where ";
        for (RuleNode t : terms) {
            if (t != driver) {
                b.sql(glue);
                compiler.node(t, null);
                glue = " and ";
            }
        }
        return true;
    }

    boolean emptyGroupTruth(RuleNode.Aggregate a) {
        return emptyGroupTruth(a.fn(), typed(a).type(), a.op(), a.value());
    }

    /** The inclusive start of an aggregate's window (a duration before now, or a range's from), or null. */
    OffsetDateTime windowStart(Value within) {
        return switch (within) {
            case Value.Literal l -> Values.duration((String) l.value()).orElseThrow().before(compiler.ctx.now());
            case Value.Window w -> w.from() == null ? null : timeValue(w.from()).start();
            case Value.ListValue lv -> throw new IllegalStateException("unvalidated rule: within list");
            case Value.Ref r -> throw new IllegalStateException("unvalidated rule: within ref");
        };
    }

    /** {@code [and where] [and window]} of an aggregate's rows. */
    void rowFilter(RuleNode.Aggregate a, FieldCatalog.StreamDef s) {
        if (a.where() != null) {
            b.sql(" and ");
            compiler.node(a.where(), s);
        }
        windowFilter(a, s);
    }

    /** {@code [and window]} of an aggregate's rows (its where left out). */
    void windowFilter(RuleNode.Aggregate a, FieldCatalog.StreamDef s) {
        String occurred = s.occurredAtColumn();
        if (a.within() != null) {
            OffsetDateTime start = windowStart(a.within());
            if (start != null) {
                b.sql(" and ").sql(occurred).sql(" >= ").param(start, PgType.TIMESTAMPTZ);
            }
            if (a.within() instanceof Value.Window w && w.to() != null) {
                Values.TimeValue t = timeValue(w.to());
                if (t.isDate()) b.sql(" and ").sql(occurred).sql(" < ").param(t.endExclusiveOfDay(), PgType.TIMESTAMPTZ);
                else b.sql(" and ").sql(occurred).sql(" <= ").param(t.instant(), PgType.TIMESTAMPTZ);
            }
        }
    }

    /**
     * The time of the customer's latest row that this aggregate selects (its stream, where and window), whatever
     * its comparison: the stream's latest-row rollup without where and window, else a correlated
     * {@code (select max(occurredAt) from stream x where x.customer_id = c.id and ...)}. NULL without such a row.
     */
    void latestRow(RuleNode.Aggregate a) {
        FieldCatalog.StreamDef s = compiler.ctx.catalog().requireStream(a.stream());
        if (a.where() == null && a.within() == null && s.latestColumn().isPresent()) {
            b.sql(s.latestColumn().get());
            return;
        }
        String al = s.alias();
        b.sql("(select max(").sql(s.occurredAtColumn()).sql(") from ").sql(s.table()).sql(" ").sql(al)
                .sql(" where ").sql(al).sql(".tenant_id = c.tenant_id and ").sql(al).sql(".customer_id = c.id");
        rowFilter(a, s);
        b.sql(")");
    }

    /**
     * Whether this aggregate compiles to the pre-aggregated form: only in a set-oriented query, not when a rollup
     * column answers it, and not when its value is a {@code ref} (the comparison, and its truth on the empty
     * group, would then differ per customer). Refs inside the where are fine: the pre-aggregation joins each
     * row's customer.
     */
    boolean preAggregated(RuleNode.Aggregate a) {
        SqlCompiler.Shape shape = compiler.shape;
        if (shape == SqlCompiler.Shape.CORRELATED || shape == SqlCompiler.Shape.SHARED
                || (shape == SqlCompiler.Shape.SET && compiler.restricted)) return false;
        if (a.where() == null && a.within() == null && rollup(a) != null) return false;
        return !(a.value() instanceof Value.Ref);
    }

    static boolean hasRef(RuleNode n) {
        return switch (n) {
            case RuleNode.Group g -> g.children().stream().anyMatch(AggregateSql::hasRef);
            case RuleNode.Not not -> hasRef(not.child());
            case RuleNode.Condition c -> c.value() instanceof Value.Ref;
            case RuleNode.Aggregate a -> throw new IllegalStateException("unvalidated rule: aggregate in a where");
            case RuleNode.SegmentRef s -> throw new IllegalStateException("unvalidated rule: segment in a where");
        };
    }

    /**
     * The comparison's truth on the empty group, the aggregate of a customer without (matching) rows: count
     * and sum are 0, avg, min and max missing (NULL). Mirrors {@link ConditionSql#compare}: a missing value fails
     * every positive comparison, so exactly the negating operators hold; 0 is compared with the literal exactly
     * (numeric comparison, as PostgreSQL does).
     */
    static boolean emptyGroupTruth(RuleNode.AggregateFn fn, FieldType rt, Operator op, Value value) {
        switch (fn) {
            case AVG, MIN, MAX -> {
                return positiveOf(op) != op; // missing: exactly the negating operators hold
            }
            case COUNT, SUM -> {
            }
        }
        if (!rt.isNumeric()) throw new IllegalStateException("unvalidated rule: " + fn.json() + " of " + rt);
        return switch (op) {
            case IS_SET -> true;
            case IS_NOT_SET -> false;
            case EQ -> zeroCmp(value) == 0;
            case NEQ -> zeroCmp(value) != 0;
            case GT -> zeroCmp(value) > 0;
            case GTE -> zeroCmp(value) >= 0;
            case LT -> zeroCmp(value) < 0;
            case LTE -> zeroCmp(value) <= 0;
            case BETWEEN -> {
                List<Value.Literal> items = ((Value.ListValue) value).items();
                yield zeroCmp(items.get(0)) >= 0 && zeroCmp(items.get(1)) <= 0;
            }
            case IN, NOT_IN -> {
                boolean any = ((Value.ListValue) value).items().stream().anyMatch(l -> zeroCmp(l) == 0);
                yield op == Operator.IN ? any : !any;
            }
            case CONTAINS, NOT_CONTAINS, STARTS_WITH, ENDS_WITH, BEFORE, AFTER, WITHIN, NOT_WITHIN, HAS_ANY, HAS_ALL,
                 HAS_NONE -> throw new IllegalStateException("unvalidated rule: " + op.json() + " on " + fn.json());
        };
    }

    /** Sign of 0 compared with a numeric literal: 0 - value. */
    static int zeroCmp(Value v) {
        return BigDecimal.ZERO.compareTo(Values.decimal(((Value.Literal) v).value()).orElseThrow(
                () -> new IllegalStateException("unvalidated rule: not a number")));
    }

    Expr aggregateExpr(RuleNode.AggregateFn fn, FieldDef field, FieldType rt, Operator op) {
        return aggregateExpr(fn, field, rt, op, null);
    }

    /**
     * The aggregate as a column of a shared pass ({@link SharedPasses}): its value over the customer's rows that its
     * where and window select, {@code fn(...) filter (where true [and where] [and window])} (a sum 0 without such
     * rows, as in {@link #aggregateExpr}). Over rows of the stream's alias, grouped by customer.
     */
    void sharedColumn(RuleNode.Aggregate a) {
        Typed t = typed(a);
        aggregateExpr(a.fn(), t.field(), t.type(), a.op(), () -> {
            b.sql(" filter (where true");
            rowFilter(a, t.stream());
            b.sql(")");
        }).accept(b);
    }

    /** {@code true [and where] [and window]}: whether a row of the stream is one the aggregate reads. */
    void rowCondition(RuleNode.Aggregate a) {
        b.sql("true");
        rowFilter(a, typed(a).stream());
    }

    /** {@code filter} (null: none) is appended right after the aggregate call, inside a sum's coalesce. */
    private Expr aggregateExpr(RuleNode.AggregateFn fn, FieldDef field, FieldType rt, Operator op, Runnable filter) {
        Runnable filtered = filter == null ? () -> { } : filter;
        if (fn == RuleNode.AggregateFn.COUNT) return z -> {
            z.sql("count(*)");
            filtered.run();
        };
        if ((fn == RuleNode.AggregateFn.MIN || fn == RuleNode.AggregateFn.MAX) && field.typedByValue()
                && !op.takesValue() && field.access() instanceof FieldDef.Json json) {
            // min/max of an untyped property under isSet/isNotSet: no value to type it by, so the result is set
            // exactly when some row has the property set (as the condition isSet: present, not null, "" or [])
            SqlBuilder.Bound key = b.bind(json.key(), PgType.TEXT);
            return z -> {
                z.sql("max(case when (").sql(json.column()).sql(" -> ").ref(key)
                        .sql(") not in ('null'::jsonb, '\"\"'::jsonb, '[]'::jsonb) then 1 end)");
                filtered.run();
            };
        }
        Expr f = switch (field.access()) {
            case FieldDef.Column col -> z -> z.sql(col.sql());
            case FieldDef.Json json -> {
                FieldType t = field.typedByValue()
                        ? (fn == RuleNode.AggregateFn.SUM || fn == RuleNode.AggregateFn.AVG ? FieldType.NUMBER : rt)
                        : field.type();
                yield conditions.jsonTyped(json.column(), b.bind(json.key(), PgType.TEXT), t);
            }
            case FieldDef.Age age -> throw new IllegalStateException();
            case FieldDef.Quotient q -> throw new IllegalStateException();
        };
        String open = switch (fn) {
            case SUM -> "coalesce(sum(";
            case AVG -> "avg(";
            case MIN -> "min(";
            case MAX -> "max(";
            case COUNT -> throw new IllegalStateException();
        };
        return z -> {
            z.sql(open);
            f.accept(z);
            z.sql(")");
            filtered.run();
            if (fn == RuleNode.AggregateFn.SUM) z.sql(", 0)");
        };
    }

    /** The per-customer rollup column that equals this unfiltered aggregate, or null (the catalog's rollups). */
    String rollup(RuleNode.Aggregate a) {
        return compiler.ctx.catalog().requireStream(a.stream()).rollup(a.fn(), a.field()).orElse(null);
    }

    /** The stream's latest-row rollup column, or null when it keeps none. */
    String latest(RuleNode.Aggregate a) {
        return compiler.ctx.catalog().requireStream(a.stream()).latestColumn().orElse(null);
    }
}
