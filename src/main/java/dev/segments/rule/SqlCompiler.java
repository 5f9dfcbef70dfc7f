package dev.segments.rule;

import dev.segments.rule.SqlBuilder.PgType;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Compiles a validated {@link RuleNode} to a PostgreSQL boolean predicate over the customer alias {@code c}.
 *
 * <p>Semantics are two-valued. Every node compiles to an expression that is TRUE exactly where the node is true
 * (it may be NULL or FALSE where it is false): plain, sargable comparisons. That is enough under AND/OR up to the
 * WHERE clause (positive polarity). Where a node is negated — {@code not}, and the negating operators neq, notIn,
 * notContains, hasNone, notWithin, isNotSet — the positive form is wrapped as {@code not coalesce(X, false)}, which
 * is exactly true where X is not true, so NULL never leaks.
 *
 * <p>Aggregates have two exact shapes: a correlated probe of one customer's rows (membership, pages) and, for
 * counts over the whole tenant, a pre-aggregation of the stream joined by customer id; see
 * {@code aggregate} below, docs/rule-semantics.md and docs/query-plans.md.
 */
public final class SqlCompiler {

    private SqlCompiler() {
    }

    // ---------------------------------------------------------------- convenience queries for the service layer

    /**
     * {@code select count(*) as count from customer c where c.tenant_id = $1 and (rule)}, aggregates in the
     * set-oriented form (see {@link #predicate(RuleNode, SqlBuilder, CompileContext, SqlBuilder.Bound)}).
     * Validates first.
     */
    public static SqlQuery count(long tenantId, RuleNode rule, CompileContext ctx) {
        return count(tenantId, rule, ctx, Shape.SET);
    }

    static SqlQuery count(long tenantId, RuleNode rule, CompileContext ctx, Shape shape) {
        new RuleValidator(ctx.catalog(), ctx.resolver()).check(rule);
        SqlBuilder b = new SqlBuilder();
        SqlBuilder.Bound tenant = b.bind(tenantId, PgType.BIGINT);
        Run run = new Run(ctx, b, tenant, shape);
        if (shape != Shape.CORRELATED && run.countOverGroups(rule)) {
            return b.build();
        }
        b.sql("select count(*) as count from customer c where c.tenant_id = ").ref(tenant).sql(" and (");
        run.node(rule, null);
        return b.sql(")").build();
    }

    /**
     * Keyset page of members: {@code select c.id, c.external_id ... and c.id > $k order by c.id limit $n}.
     * Pass {@code afterId = 0} for the first page. Validates first. Aggregates stay correlated: walking customers
     * in id order and probing each one's rows stops after {@code limit} members, while a pre-aggregation may have
     * to aggregate the whole tenant before the first row, again for every page (docs/query-plans.md).
     */
    public static SqlQuery page(long tenantId, RuleNode rule, long afterId, int limit, CompileContext ctx) {
        return page(tenantId, rule, afterId, limit, ctx, Shape.CORRELATED);
    }

    static SqlQuery page(long tenantId, RuleNode rule, long afterId, int limit, CompileContext ctx, Shape shape) {
        if (limit < 1) throw new IllegalArgumentException("limit must be positive");
        new RuleValidator(ctx.catalog(), ctx.resolver()).check(rule);
        SqlBuilder b = new SqlBuilder();
        SqlBuilder.Bound tenant = b.bind(tenantId, PgType.BIGINT);
        b.sql("select c.id, c.external_id from customer c where c.tenant_id = ").ref(tenant)
                .sql(" and c.id > ").param(afterId, PgType.BIGINT).sql(" and (");
        new Run(ctx, b, tenant, shape).node(rule, null);
        return b.sql(") order by c.id limit ").param((long) limit, PgType.BIGINT).build();
    }

    /**
     * One row with one boolean column {@code member}: is customer {@code customerId} of the tenant a member.
     * Aggregates stay correlated: for one customer an index lookup beats aggregating the whole tenant.
     */
    public static SqlQuery membership(long tenantId, long customerId, RuleNode rule, CompileContext ctx) {
        new RuleValidator(ctx.catalog(), ctx.resolver()).check(rule);
        SqlBuilder b = new SqlBuilder();
        b.sql("select exists (select 1 from customer c where c.tenant_id = ").param(tenantId, PgType.BIGINT)
                .sql(" and c.id = ").param(customerId, PgType.BIGINT).sql(" and (");
        predicate(rule, b, ctx);
        return b.sql(")) as member").build();
    }

    /**
     * Appends the predicate of a validated rule over customer alias {@code c}, aggregates as correlated subqueries
     * (one index probe per customer evaluated): the form for one or a few customers (membership, a customer's
     * segments) and for keyset pages. Throws IllegalStateException for a rule that did not pass
     * {@link RuleValidator}.
     */
    public static void predicate(RuleNode rule, SqlBuilder b, CompileContext ctx) {
        new Run(ctx, b, null, Shape.CORRELATED).node(rule, null);
    }

    /**
     * Appends the predicate of a validated rule over customer alias {@code c} for a query that evaluates all of the
     * tenant's customers at once (counts): an aggregate is pre-aggregated in one pass over its stream and
     * (anti-)semi-joined by customer id, unless its value is a {@code ref} or a customer-only condition is AND-ed
     * with it (then the condition filters first and the correlated probe runs only for the customers it leaves).
     * {@code tenant} must be the parameter the enclosing query restricts {@code c.tenant_id} to; the
     * pre-aggregation reads only that tenant's activity.
     */
    public static void predicate(RuleNode rule, SqlBuilder b, CompileContext ctx, SqlBuilder.Bound tenant) {
        new Run(ctx, b, Objects.requireNonNull(tenant), Shape.SET).node(rule, null);
    }

    /** How aggregates compile. */
    enum Shape {
        /** Every aggregate a correlated {@code exists (... having ...)} (or its rollup). */
        CORRELATED,
        /** Pre-aggregated where allowed, except next to an AND-ed customer-only condition. */
        SET,
        /** Pre-aggregated wherever allowed: only for plan comparisons (QueryPlanBench). */
        SET_ALWAYS
    }

    // ---------------------------------------------------------------- compilation

    /** Appends an SQL expression (value operand) to the builder. */
    private interface Expr extends Consumer<SqlBuilder> {
    }

    private static final String DATE_RE = "'^\\d{4}-\\d{2}-\\d{2}$'";
    private static final String TIMESTAMP_RE =
            "'^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}(:?\\d{2})?)$'";

    private static final class Run {
        final CompileContext ctx;
        final SqlBuilder b;
        /** The tenant parameter of the enclosing query (needed by the pre-aggregated form). */
        final SqlBuilder.Bound tenant;
        final Shape shape;
        final Deque<String> segmentStack = new ArrayDeque<>();
        final LocalDate today;
        /** True while compiling below an AND that also has a customer-only condition among its other children. */
        boolean restricted;

        Run(CompileContext ctx, SqlBuilder b, SqlBuilder.Bound tenant, Shape shape) {
            if (shape != Shape.CORRELATED && tenant == null) throw new IllegalArgumentException("tenant parameter needed");
            this.ctx = ctx;
            this.b = b;
            this.tenant = tenant;
            this.shape = shape;
            this.today = ctx.now().toLocalDate();
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
                    if (not.child() instanceof RuleNode.Aggregate a && preAggregated(a)) {
                        aggregate(a, true); // never NULL: plain "not exists", which plans as an anti join
                    } else {
                        b.sql("not coalesce(");
                        node(not.child(), stream);
                        b.sql(", false)");
                    }
                }
                case RuleNode.Condition c -> condition(c, stream);
                case RuleNode.Aggregate a -> aggregate(a, false);
                case RuleNode.SegmentRef s -> segment(s);
            }
        }

        // ------------------------------------------------------------ conditions

        void condition(RuleNode.Condition c, FieldCatalog.StreamDef stream) {
            FieldDef f = (stream == null ? ctx.catalog().customerField(c.field()) : stream.field(c.field()))
                    .orElseThrow(() -> new IllegalStateException("unvalidated rule: unknown field " + c.field()));
            if (!f.available()) throw new IllegalStateException("unvalidated rule: field not available " + c.field());
            FieldType type = Typing.conditionType(f, c.op(), c.value()).orElse(null);
            switch (f.access()) {
                case FieldDef.Age age -> age(age.birthDateColumn(), c.op(), c.value());
                case FieldDef.Column col -> compare(x -> x.sql(col.sql()), type, false, c.op(), c.value());
                case FieldDef.Quotient q -> {
                    Operator positive = positiveOf(c.op());
                    negatable(positive != c.op(), () -> quotient(q, positive, c.value()));
                }
                case FieldDef.Json json -> {
                    SqlBuilder.Bound key = b.bind(json.key(), PgType.TEXT);
                    if (type == null) { // property, isSet / isNotSet without a type
                        negatable(c.op() == Operator.IS_NOT_SET, () -> {
                            b.sql("(").sql(json.column()).sql(" -> ").ref(key)
                                    .sql(") not in ('null'::jsonb, '\"\"'::jsonb, '[]'::jsonb)");
                        });
                    } else if (type == FieldType.STRING_LIST) {
                        compare(jsonArray(json.column(), key), type, true, c.op(), c.value());
                    } else {
                        compare(jsonTyped(json.column(), key, type), type, false, c.op(), c.value());
                    }
                }
            }
        }

        /** Typed access to a jsonb key; a value of another JSON type counts as missing (NULL), never an error. */
        Expr jsonTyped(String column, SqlBuilder.Bound key, FieldType type) {
            return x -> {
                x.sql("case when jsonb_typeof(").sql(column).sql(" -> ").ref(key).sql(") = ");
                switch (type) {
                    case STRING -> x.sql("'string' then ").sql(column).sql(" ->> ").ref(key).sql(" end");
                    case NUMBER, INTEGER -> x.sql("'number' then (").sql(column).sql(" ->> ").ref(key).sql(")::numeric end");
                    case BOOLEAN -> x.sql("'boolean' then (").sql(column).sql(" ->> ").ref(key).sql(")::boolean end");
                    case DATE -> x.sql("'string' and (").sql(column).sql(" ->> ").ref(key).sql(") ~ ").sql(DATE_RE)
                            .sql(" then (").sql(column).sql(" ->> ").ref(key).sql(")::date end");
                    case TIMESTAMP -> x.sql("'string' and (").sql(column).sql(" ->> ").ref(key).sql(") ~ ").sql(TIMESTAMP_RE)
                            .sql(" then (").sql(column).sql(" ->> ").ref(key).sql(")::timestamptz end");
                    case STRING_LIST -> throw new IllegalStateException();
                }
            };
        }

        /** A jsonb array at a key, NULL when the key holds anything else. */
        Expr jsonArray(String column, SqlBuilder.Bound key) {
            return x -> x.sql("case when jsonb_typeof(").sql(column).sql(" -> ").ref(key).sql(") = 'array' then ")
                    .sql(column).sql(" -> ").ref(key).sql(" end");
        }

        /** Emits body as-is, or as {@code not coalesce(body, false)} when negate. */
        void negatable(boolean negate, Runnable body) {
            if (negate) b.sql("not coalesce(");
            body.run();
            if (negate) b.sql(", false)");
        }

        /**
         * Emits a comparison of operand X (of the given type) with the rule value. jsonList: X is a jsonb array
         * rather than text[].
         */
        void compare(Expr x, FieldType type, boolean jsonList, Operator op, Value value) {
            Operator positive = positiveOf(op);
            negatable(positive != op, () -> positive(x, type, jsonList, positive, value));
        }

        /** The operator a negating operator is the exact complement of; other operators map to themselves. */
        static Operator positiveOf(Operator op) {
            return switch (op) {
                case NEQ -> Operator.EQ;
                case NOT_IN -> Operator.IN;
                case NOT_CONTAINS -> Operator.CONTAINS;
                case HAS_NONE -> Operator.HAS_ANY;
                case NOT_WITHIN -> Operator.WITHIN;
                case IS_NOT_SET -> Operator.IS_SET;
                default -> op;
            };
        }

        void positive(Expr x, FieldType type, boolean jsonList, Operator op, Value value) {
            if (value instanceof Value.Ref r) {
                refComparison(x, type, op, r);
                return;
            }
            switch (op) {
                case IS_SET -> {
                    if (type == FieldType.STRING) {
                        x.accept(b);
                        b.sql(" <> ''");
                    } else if (type == FieldType.STRING_LIST) {
                        if (jsonList) {
                            b.sql("jsonb_array_length(");
                            x.accept(b);
                            b.sql(") > 0");
                        } else {
                            b.sql("cardinality(");
                            x.accept(b);
                            b.sql(") > 0");
                        }
                    } else {
                        x.accept(b);
                        b.sql(" is not null");
                    }
                }
                case EQ -> {
                    if (type == FieldType.TIMESTAMP) {
                        Values.TimeValue t = timeValue(value);
                        LocalDate day = t.isDate() ? t.date() : t.instant().toLocalDate();
                        range(x, Values.TimeValue.dayStart(day), Values.TimeValue.dayStart(day.plusDays(1)));
                    } else {
                        cmp(x, " = ", type, value);
                    }
                }
                case GT -> cmp(x, " > ", type, value);
                case GTE -> cmp(x, " >= ", type, value);
                case LT -> cmp(x, " < ", type, value);
                case LTE -> cmp(x, " <= ", type, value);
                case IN -> {
                    List<Value.Literal> items = ((Value.ListValue) value).items();
                    x.accept(b);
                    b.sql(" = any(");
                    if (type == FieldType.STRING) {
                        b.param(strings(items), PgType.TEXT_ARRAY);
                    } else { // numbers: exact decimals as text, cast once in SQL
                        String[] a = items.stream().map(l -> Values.decimal(l.value()).orElseThrow().toPlainString())
                                .toArray(String[]::new);
                        b.param(a, PgType.TEXT_ARRAY).sql("::numeric[]");
                    }
                    b.sql(")");
                }
                case CONTAINS, STARTS_WITH, ENDS_WITH -> {
                    String s = (String) ((Value.Literal) value).value();
                    String escaped = escapeLike(s);
                    String pattern = switch (op) {
                        case CONTAINS -> "%" + escaped + "%";
                        case STARTS_WITH -> escaped + "%";
                        default -> "%" + escaped;
                    };
                    x.accept(b);
                    b.sql(" ilike ").param(pattern, PgType.TEXT);
                }
                case BETWEEN -> {
                    List<Value.Literal> items = ((Value.ListValue) value).items();
                    if (type == FieldType.TIMESTAMP) {
                        Values.TimeValue from = Values.timeValue((String) items.get(0).value()).orElseThrow();
                        Values.TimeValue to = Values.timeValue((String) items.get(1).value()).orElseThrow();
                        x.accept(b);
                        b.sql(" >= ").param(from.start(), PgType.TIMESTAMPTZ).sql(" and ");
                        x.accept(b);
                        if (to.isDate()) b.sql(" < ").param(to.endExclusiveOfDay(), PgType.TIMESTAMPTZ);
                        else b.sql(" <= ").param(to.instant(), PgType.TIMESTAMPTZ);
                    } else {
                        x.accept(b);
                        b.sql(" between ");
                        literal(items.get(0), type);
                        b.sql(" and ");
                        literal(items.get(1), type);
                    }
                }
                case BEFORE -> {
                    if (type == FieldType.DATE) cmp(x, " < ", type, value);
                    else {
                        Values.TimeValue t = timeValue(value);
                        x.accept(b);
                        b.sql(" < ").param(t.start(), PgType.TIMESTAMPTZ);
                    }
                }
                case AFTER -> {
                    if (type == FieldType.DATE) cmp(x, " > ", type, value);
                    else {
                        Values.TimeValue t = timeValue(value);
                        x.accept(b);
                        if (t.isDate()) b.sql(" >= ").param(t.endExclusiveOfDay(), PgType.TIMESTAMPTZ);
                        else b.sql(" > ").param(t.instant(), PgType.TIMESTAMPTZ);
                    }
                }
                case WITHIN -> {
                    OffsetDateTime bound = Values.duration((String) ((Value.Literal) value).value()).orElseThrow()
                            .before(ctx.now());
                    x.accept(b);
                    if (type == FieldType.DATE) b.sql(" >= ").param(bound.toLocalDate(), PgType.DATE);
                    else b.sql(" >= ").param(bound, PgType.TIMESTAMPTZ);
                }
                case HAS_ANY, HAS_ALL -> {
                    String[] a = strings(((Value.ListValue) value).items());
                    x.accept(b);
                    if (jsonList) b.sql(op == Operator.HAS_ANY ? " ?| " : " ?& ");
                    else b.sql(op == Operator.HAS_ANY ? " && " : " @> ");
                    b.param(a, PgType.TEXT_ARRAY);
                }
                case NEQ, NOT_IN, NOT_CONTAINS, HAS_NONE, NOT_WITHIN, IS_NOT_SET ->
                        throw new IllegalStateException("negating operator reached positive(): " + op);
            }
        }

        void range(Expr x, OffsetDateTime fromInclusive, OffsetDateTime toExclusive) {
            x.accept(b);
            b.sql(" >= ").param(fromInclusive, PgType.TIMESTAMPTZ).sql(" and ");
            x.accept(b);
            b.sql(" < ").param(toExclusive, PgType.TIMESTAMPTZ);
        }

        void cmp(Expr x, String operator, FieldType type, Value value) {
            x.accept(b);
            b.sql(operator);
            literal((Value.Literal) value, type);
        }

        /** Binds a validated literal as the type's parameter. */
        void literal(Value.Literal l, FieldType type) {
            Object v = l.value();
            switch (type) {
                case STRING -> b.param(v, PgType.TEXT);
                case NUMBER -> b.param(Values.decimal(v).orElseThrow(), PgType.NUMERIC);
                case INTEGER -> b.param(Values.integer(v).orElseThrow(), PgType.BIGINT);
                case BOOLEAN -> b.param(v, PgType.BOOLEAN);
                case DATE -> b.param(Values.date((String) v).orElseThrow(), PgType.DATE);
                case TIMESTAMP -> b.param(timeValue(l).start(), PgType.TIMESTAMPTZ);
                case STRING_LIST -> throw new IllegalStateException();
            }
        }

        Values.TimeValue timeValue(Value v) {
            return Values.timeValue((String) ((Value.Literal) v).value()).orElseThrow();
        }

        /**
         * A quotient field {@code n / d} compared exactly (positive operators only): {@code (d > 0 and n OP v * d)}.
         * The rule's value has at most 20 fractional digits and d is an integer, so {@code v * d} is exact and the
         * comparison agrees with the true rational value (a division would round it).
         */
        void quotient(FieldDef.Quotient q, Operator op, Value value) {
            String n = q.numerator(), d = q.denominator();
            b.sql("(").sql(d).sql(" > 0");
            if (op == Operator.IS_SET) {
                b.sql(")");
                return;
            }
            b.sql(" and ");
            if (value instanceof Value.Ref r) {
                refComparison(z -> z.sql(n), FieldType.NUMBER, op, r, d); // n / d OP y  <=>  n OP y * d
                b.sql(")");
                return;
            }
            switch (op) {
                case EQ, GT, GTE, LT, LTE -> {
                    String sqlOp = switch (op) {
                        case EQ -> " = ";
                        case GT -> " > ";
                        case GTE -> " >= ";
                        case LT -> " < ";
                        default -> " <= ";
                    };
                    b.sql(n).sql(sqlOp);
                    literal((Value.Literal) value, FieldType.NUMBER);
                    b.sql(" * ").sql(d);
                }
                case BETWEEN -> {
                    List<Value.Literal> items = ((Value.ListValue) value).items();
                    b.sql(n).sql(" >= ");
                    literal(items.get(0), FieldType.NUMBER);
                    b.sql(" * ").sql(d).sql(" and ").sql(n).sql(" <= ");
                    literal(items.get(1), FieldType.NUMBER);
                    b.sql(" * ").sql(d);
                }
                case IN -> {
                    String[] a = ((Value.ListValue) value).items().stream()
                            .map(l -> Values.decimal(l.value()).orElseThrow().toPlainString()).toArray(String[]::new);
                    b.sql(n).sql(" = any(select v * ").sql(d).sql(" from unnest(").param(a, PgType.TEXT_ARRAY)
                            .sql("::numeric[]) v)");
                }
                default -> throw new IllegalStateException("unvalidated rule: " + op.json() + " on a quotient");
            }
            b.sql(")");
        }

        void refComparison(Expr x, FieldType type, Operator op, Value.Ref r) {
            refComparison(x, type, op, r, null);
        }

        /**
         * {@code x OP ref}, or {@code x OP ref * xScale} when xScale is not null (x is the numerator of a quotient
         * whose denominator is xScale, known positive). A ref to a quotient {@code n / d} is cross-multiplied:
         * {@code (d > 0 and x * d OP n [* xScale])}.
         */
        void refComparison(Expr x, FieldType type, Operator op, Value.Ref r, String xScale) {
            FieldDef rf = ctx.catalog().customerField(r.field())
                    .orElseThrow(() -> new IllegalStateException("unvalidated rule: unknown ref " + r.field()));
            if (rf.access() instanceof FieldDef.Quotient q) {
                b.sql("(").sql(q.denominator()).sql(" > 0 and (");
                x.accept(b);
                b.sql(") * ").sql(q.denominator()).sql(refOp(op)).sql(q.numerator());
                if (xScale != null) b.sql(" * ").sql(xScale);
                b.sql(")");
                return;
            }
            Expr y = switch (rf.access()) {
                case FieldDef.Quotient q -> throw new IllegalStateException();
                case FieldDef.Column col -> z -> z.sql(col.sql());
                case FieldDef.Json json -> jsonTyped(json.column(), b.bind(json.key(), PgType.TEXT), rf.type());
                case FieldDef.Age age -> throw new IllegalStateException("unvalidated rule: ref to age");
            };
            if (op == Operator.EQ && type == FieldType.TIMESTAMP) { // same UTC calendar day
                b.sql("(");
                x.accept(b);
                b.sql(" at time zone 'UTC')::date = (");
                y.accept(b);
                b.sql(" at time zone 'UTC')::date");
                return;
            }
            x.accept(b);
            b.sql(refOp(op));
            y.accept(b);
            if (xScale != null) b.sql(" * ").sql(xScale);
        }

        static String refOp(Operator op) {
            return switch (op) {
                case EQ -> " = ";
                case GT, AFTER -> " > ";
                case GTE -> " >= ";
                case LT, BEFORE -> " < ";
                case LTE -> " <= ";
                default -> throw new IllegalStateException("unvalidated rule: ref with " + op);
            };
        }

        // ------------------------------------------------------------ age

        /** age compiles to ranges of the birth date column, computed from now (sargable). */
        void age(String birthDate, Operator op, Value value) {
            Expr x = z -> z.sql(birthDate);
            switch (op) {
                case IS_SET, IS_NOT_SET -> compare(x, FieldType.DATE, false, op, value);
                case EQ -> ageRange(birthDate, n(value), n(value));
                case NEQ -> negatable(true, () -> ageRange(birthDate, n(value), n(value)));
                case GT -> ageRange(birthDate, n(value) + 1, null);
                case GTE -> ageRange(birthDate, n(value), null);
                case LT -> ageRange(birthDate, null, n(value) - 1);
                case LTE -> ageRange(birthDate, null, n(value));
                case BETWEEN -> {
                    List<Value.Literal> items = ((Value.ListValue) value).items();
                    ageRange(birthDate, n(items.get(0)), n(items.get(1)));
                }
                case IN, NOT_IN -> negatable(op == Operator.NOT_IN, () -> {
                    List<Long> ages = ((Value.ListValue) value).items().stream().map(this::n).distinct().sorted().toList();
                    b.sql("(");
                    for (int i = 0; i < ages.size(); i++) {
                        if (i > 0) b.sql(" or ");
                        ageRange(birthDate, ages.get(i), ages.get(i));
                    }
                    b.sql(")");
                });
                default -> throw new IllegalStateException("unvalidated rule: age with " + op);
            }
        }

        long n(Value v) { return Values.integer(((Value.Literal) v).value()).orElseThrow(); }

        /**
         * minAge <= age <= maxAge (either open). Age is the number of whole years since the birth date: age >= n
         * exactly when birth_date <= today - n years (a 29 February birthday counts from 1 March in common years).
         */
        void ageRange(String birthDate, Long minAge, Long maxAge) {
            b.sql("(");
            if (minAge != null) {
                b.sql(birthDate).sql(" <= ").param(today.minusYears(clampYears(minAge)), PgType.DATE);
            }
            if (maxAge != null) {
                if (minAge != null) b.sql(" and ");
                b.sql(birthDate).sql(" > ").param(today.minusYears(clampYears(maxAge + 1)), PgType.DATE);
            }
            b.sql(")");
        }

        static long clampYears(long y) { return Math.max(-2000, Math.min(2000, y)); }

        // ------------------------------------------------------------ aggregates

        /**
         * An aggregate node. Without where/within it may read a rollup column. Otherwise, in a set-oriented query
         * (counts), unless the compared value is a {@code ref} or an AND-ed customer-only condition already narrows
         * the customers to probe, the stream is pre-aggregated once (joining each row's customer when the where
         * has refs):
         * <pre>
         * exists (select 1 from (select x.customer_id from stream x [join customer c on c.tenant_id = x.tenant_id
         *         and c.id = x.customer_id] where x.tenant_id = $t [and where] [and window]
         *         group by x.customer_id having cmp) g where g.customer_id = c.id)
         * </pre>
         * which plans as a hash/merge semi join. Customers without (matching) rows form no group there, while the
         * contract gives them one (count = sum = 0, avg/min/max missing). The comparison on that empty group is
         * known at compile time ({@link #emptyGroupTruth}); when it is true the node is the complement of the
         * groups that fail: {@code not exists (... having not coalesce(cmp, false) ...)}, an anti join.
         * {@code negate} compiles {@code not node} (both forms are never NULL, so a plain {@code not} is exact).
         * Otherwise the aggregate is a correlated {@code exists (... having cmp)} over the customer's rows.
         */
        /** An aggregate's stream, aggregated field (null for count) and result type. */
        record Typed(FieldCatalog.StreamDef stream, FieldDef field, FieldType type) {
        }

        Typed typed(RuleNode.Aggregate a) {
            FieldCatalog.StreamDef s = ctx.catalog().stream(a.stream())
                    .orElseThrow(() -> new IllegalStateException("unvalidated rule: unknown stream " + a.stream()));
            FieldDef field = a.field() == null ? null : s.field(a.field())
                    .orElseThrow(() -> new IllegalStateException("unvalidated rule: unknown field " + a.field()));
            return new Typed(s, field, Typing.aggregateType(a.fn(), field, a.value()));
        }

        void aggregate(RuleNode.Aggregate a, boolean negate) {
            Typed t = typed(a);
            FieldCatalog.StreamDef s = t.stream();
            FieldDef field = t.field();
            FieldType rt = t.type();
            if (a.where() == null && a.within() == null) {
                String rollup = rollup(a);
                if (rollup != null) {
                    negatable(negate, () -> compare(z -> z.sql(rollup), rt, false, a.op(), a.value()));
                    return;
                }
            }
            if (existenceByRollup(a, negate)) {
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
            negatable(negate, () -> {
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
                compare(agg, rt, false, a.op(), a.value());
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
            String latest = rollup(a.stream(), RuleNode.AggregateFn.MAX, "occurredAt");
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
            String latest = rollup(a.stream(), RuleNode.AggregateFn.MAX, "occurredAt");
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
                default -> null;
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
                b.sql(" join customer c on c.tenant_id = ").sql(al).sql(".tenant_id and c.id = ").sql(al).sql(".customer_id");
            }
            b.sql(" where ").sql(al).sql(".tenant_id = ").ref(tenant);
            rowFilter(a, s);
            b.sql(" group by ").sql(al).sql(".customer_id having ");
            Operator positive = positiveOf(a.op());
            if (failing && positive != a.op()) {
                positive(agg, rt, false, positive, a.value()); // not (not P) = P; HAVING drops NULL as false
            } else {
                negatable(failing, () -> compare(agg, rt, false, a.op(), a.value()));
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
                    && ctx.resolver().resolve(ref.key()).orElse(null) instanceof ResolvedSegment.Dynamic d) {
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
                    node(t, null);
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
                case Value.Literal l -> Values.duration((String) l.value()).orElseThrow().before(ctx.now());
                case Value.Window w -> w.from() == null ? null : timeValue(w.from()).start();
                case Value.ListValue lv -> throw new IllegalStateException("unvalidated rule: within list");
                case Value.Ref r -> throw new IllegalStateException("unvalidated rule: within ref");
            };
        }

        /** {@code [and where] [and window]} of an aggregate's rows. */
        void rowFilter(RuleNode.Aggregate a, FieldCatalog.StreamDef s) {
            String occurred = ((FieldDef.Column) s.field("occurredAt").orElseThrow().access()).sql();
            if (a.where() != null) {
                b.sql(" and ");
                node(a.where(), s);
            }
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
         * Whether this aggregate compiles to the pre-aggregated form: only in a set-oriented query, not when a rollup
         * column answers it, and not when its value is a {@code ref} (the comparison, and its truth on the empty
         * group, would then differ per customer). Refs inside the where are fine: the pre-aggregation joins each
         * row's customer.
         */
        boolean preAggregated(RuleNode.Aggregate a) {
            if (shape == Shape.CORRELATED || (shape == Shape.SET && restricted)) return false;
            if (a.where() == null && a.within() == null && rollup(a) != null) return false;
            return !(a.value() instanceof Value.Ref);
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
                case RuleNode.Group g -> g.children().stream().allMatch(Run::customerOnly);
                case RuleNode.Not not -> customerOnly(not.child());
                case RuleNode.Condition c -> true;
                case RuleNode.Aggregate a -> false;
                case RuleNode.SegmentRef s -> false;
            };
        }

        static boolean hasRef(RuleNode n) {
            return switch (n) {
                case RuleNode.Group g -> g.children().stream().anyMatch(Run::hasRef);
                case RuleNode.Not not -> hasRef(not.child());
                case RuleNode.Condition c -> c.value() instanceof Value.Ref;
                case RuleNode.Aggregate a -> throw new IllegalStateException("unvalidated rule: aggregate in a where");
                case RuleNode.SegmentRef s -> throw new IllegalStateException("unvalidated rule: segment in a where");
            };
        }

        /**
         * The comparison's truth on the empty group, the aggregate of a customer without (matching) rows: count
         * and sum are 0, avg, min and max missing (NULL). Mirrors {@link #compare}: a missing value fails every
         * positive comparison, so exactly the negating operators hold; 0 is compared with the literal exactly
         * (numeric comparison, as PostgreSQL does).
         */
        static boolean emptyGroupTruth(RuleNode.AggregateFn fn, FieldType rt, Operator op, Value value) {
            boolean negating = positiveOf(op) != op;
            if (fn != RuleNode.AggregateFn.COUNT && fn != RuleNode.AggregateFn.SUM) return negating;
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
                default -> throw new IllegalStateException("unvalidated rule: " + op.json() + " on " + fn.json());
            };
        }

        /** Sign of 0 compared with a numeric literal: 0 - value. */
        static int zeroCmp(Value v) {
            return BigDecimal.ZERO.compareTo(Values.decimal(((Value.Literal) v).value()).orElseThrow(
                    () -> new IllegalStateException("unvalidated rule: not a number")));
        }

        Expr aggregateExpr(RuleNode.AggregateFn fn, FieldDef field, FieldType rt, Operator op) {
            if (fn == RuleNode.AggregateFn.COUNT) return z -> z.sql("count(*)");
            if ((fn == RuleNode.AggregateFn.MIN || fn == RuleNode.AggregateFn.MAX) && field.typedByValue()
                    && !op.takesValue() && field.access() instanceof FieldDef.Json json) {
                // min/max of an untyped property under isSet/isNotSet: no value to type it by, so the result is set
                // exactly when some row has the property set (as the condition isSet: present, not null, "" or [])
                SqlBuilder.Bound key = b.bind(json.key(), PgType.TEXT);
                return z -> z.sql("max(case when (").sql(json.column()).sql(" -> ").ref(key)
                        .sql(") not in ('null'::jsonb, '\"\"'::jsonb, '[]'::jsonb) then 1 end)");
            }
            Expr f = switch (field.access()) {
                case FieldDef.Column col -> z -> z.sql(col.sql());
                case FieldDef.Json json -> {
                    FieldType t = field.typedByValue()
                            ? (fn == RuleNode.AggregateFn.SUM || fn == RuleNode.AggregateFn.AVG ? FieldType.NUMBER : rt)
                            : field.type();
                    yield jsonTyped(json.column(), b.bind(json.key(), PgType.TEXT), t);
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
            String close = fn == RuleNode.AggregateFn.SUM ? "), 0)" : ")";
            return z -> {
                z.sql(open);
                f.accept(z);
                z.sql(close);
            };
        }

        /** The per-customer rollup column that equals this unfiltered aggregate, or null. */
        static String rollup(RuleNode.Aggregate a) {
            return rollup(a.stream(), a.fn(), a.field());
        }

        /** The rollup column that equals fn(field) over all of a customer's rows of the stream, or null. */
        static String rollup(String stream, RuleNode.AggregateFn fn, String field) {
            String key = stream + "/" + fn.json() + "/" + (field == null ? "" : field);
            return switch (key) {
                case "purchases/count/" -> "c.purchase_count";
                case "purchases/sum/amount" -> "c.total_spend";
                case "purchases/min/occurredAt" -> "c.first_purchase_at";
                case "purchases/max/occurredAt" -> "c.last_purchase_at";
                case "interactions/max/occurredAt" -> "c.last_interaction_at";
                default -> null;
            };
        }

        // ------------------------------------------------------------ segments

        void segment(RuleNode.SegmentRef s) {
            ResolvedSegment rs = ctx.resolver().resolve(s.key())
                    .orElseThrow(() -> new InvalidRuleException(List.of(
                            new RuleError(s.pointer(), "unknown_segment", "unknown segment '" + s.key() + "'"))));
            switch (rs) {
                case ResolvedSegment.Static st -> b.sql("exists (select 1 from segment_member m where m.segment_id = ")
                        .param(st.segmentId(), PgType.BIGINT).sql(" and m.customer_id = c.id)");
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

    static String[] strings(List<Value.Literal> items) {
        return items.stream().map(l -> (String) l.value()).toArray(String[]::new);
    }

    /** Escapes LIKE metacharacters with the default escape character backslash. */
    static String escapeLike(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '\\' || ch == '%' || ch == '_') sb.append('\\');
            sb.append(ch);
        }
        return sb.toString();
    }

}
