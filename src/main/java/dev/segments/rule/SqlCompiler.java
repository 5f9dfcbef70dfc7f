package dev.segments.rule;

import dev.segments.rule.SqlBuilder.PgType;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;

/**
 * Compiles a validated {@link RuleNode} to a PostgreSQL boolean predicate over the customer alias {@code c}.
 *
 * <p>Semantics are two-valued. Every node compiles to an expression that is TRUE exactly where the node is true
 * (it may be NULL or FALSE where it is false): plain, sargable comparisons. That is enough under AND/OR up to the
 * WHERE clause (positive polarity). Where a node is negated — {@code not}, and the negating operators neq, notIn,
 * notContains, hasNone, notWithin, isNotSet — the positive form is wrapped as {@code not coalesce(X, false)}, which
 * is exactly true where X is not true, so NULL never leaks.
 */
public final class SqlCompiler {

    private SqlCompiler() {
    }

    // ---------------------------------------------------------------- convenience queries for the service layer

    /** {@code select count(*) as count from customer c where c.tenant_id = $1 and (rule)}. Validates first. */
    public static SqlQuery count(long tenantId, RuleNode rule, CompileContext ctx) {
        new RuleValidator(ctx.catalog(), ctx.resolver()).check(rule);
        SqlBuilder b = new SqlBuilder();
        b.sql("select count(*) as count from customer c where c.tenant_id = ").param(tenantId, PgType.BIGINT).sql(" and (");
        predicate(rule, b, ctx);
        return b.sql(")").build();
    }

    /**
     * Keyset page of members: {@code select c.id, c.external_id ... and c.id > $k order by c.id limit $n}.
     * Pass {@code afterId = 0} for the first page. Validates first.
     */
    public static SqlQuery page(long tenantId, RuleNode rule, long afterId, int limit, CompileContext ctx) {
        if (limit < 1) throw new IllegalArgumentException("limit must be positive");
        new RuleValidator(ctx.catalog(), ctx.resolver()).check(rule);
        SqlBuilder b = new SqlBuilder();
        b.sql("select c.id, c.external_id from customer c where c.tenant_id = ").param(tenantId, PgType.BIGINT)
                .sql(" and c.id > ").param(afterId, PgType.BIGINT).sql(" and (");
        predicate(rule, b, ctx);
        return b.sql(") order by c.id limit ").param((long) limit, PgType.BIGINT).build();
    }

    /** One row with one boolean column {@code member}: is customer {@code customerId} of the tenant a member. */
    public static SqlQuery membership(long tenantId, long customerId, RuleNode rule, CompileContext ctx) {
        new RuleValidator(ctx.catalog(), ctx.resolver()).check(rule);
        SqlBuilder b = new SqlBuilder();
        b.sql("select exists (select 1 from customer c where c.tenant_id = ").param(tenantId, PgType.BIGINT)
                .sql(" and c.id = ").param(customerId, PgType.BIGINT).sql(" and (");
        predicate(rule, b, ctx);
        return b.sql(")) as member").build();
    }

    /**
     * Appends the predicate of a validated rule over customer alias {@code c}. Throws IllegalStateException
     * for a rule that did not pass {@link RuleValidator}.
     */
    public static void predicate(RuleNode rule, SqlBuilder b, CompileContext ctx) {
        new Run(ctx, b).node(rule, null);
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
        final Deque<String> segmentStack = new ArrayDeque<>();
        final LocalDate today;

        Run(CompileContext ctx, SqlBuilder b) {
            this.ctx = ctx;
            this.b = b;
            this.today = ctx.now().toLocalDate();
        }

        /** stream == null: customer scope. */
        void node(RuleNode n, FieldCatalog.StreamDef stream) {
            switch (n) {
                case RuleNode.Group g -> {
                    String sep = g.combinator() == RuleNode.Combinator.AND ? " and " : " or ";
                    b.sql("(");
                    for (int i = 0; i < g.children().size(); i++) {
                        if (i > 0) b.sql(sep);
                        node(g.children().get(i), stream);
                    }
                    b.sql(")");
                }
                case RuleNode.Not not -> {
                    b.sql("not coalesce(");
                    node(not.child(), stream);
                    b.sql(", false)");
                }
                case RuleNode.Condition c -> condition(c, stream);
                case RuleNode.Aggregate a -> aggregate(a);
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
            Operator positive = switch (op) {
                case NEQ -> Operator.EQ;
                case NOT_IN -> Operator.IN;
                case NOT_CONTAINS -> Operator.CONTAINS;
                case HAS_NONE -> Operator.HAS_ANY;
                case NOT_WITHIN -> Operator.WITHIN;
                case IS_NOT_SET -> Operator.IS_SET;
                default -> op;
            };
            negatable(positive != op, () -> positive(x, type, jsonList, positive, value));
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

        void refComparison(Expr x, FieldType type, Operator op, Value.Ref r) {
            FieldDef rf = ctx.catalog().customerField(r.field())
                    .orElseThrow(() -> new IllegalStateException("unvalidated rule: unknown ref " + r.field()));
            Expr y = switch (rf.access()) {
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
            String sqlOp = switch (op) {
                case EQ -> " = ";
                case GT, AFTER -> " > ";
                case GTE -> " >= ";
                case LT, BEFORE -> " < ";
                case LTE -> " <= ";
                default -> throw new IllegalStateException("unvalidated rule: ref with " + op);
            };
            x.accept(b);
            b.sql(sqlOp);
            y.accept(b);
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

        void aggregate(RuleNode.Aggregate a) {
            FieldCatalog.StreamDef s = ctx.catalog().stream(a.stream())
                    .orElseThrow(() -> new IllegalStateException("unvalidated rule: unknown stream " + a.stream()));
            FieldDef field = a.field() == null ? null : s.field(a.field())
                    .orElseThrow(() -> new IllegalStateException("unvalidated rule: unknown field " + a.field()));
            FieldType rt = Typing.aggregateType(a.fn(), field, a.value());
            if (a.where() == null && a.within() == null) {
                String rollup = rollup(a);
                if (rollup != null) {
                    compare(z -> z.sql(rollup), rt, false, a.op(), a.value());
                    return;
                }
            }
            String al = s.alias();
            String occurred = ((FieldDef.Column) s.field("occurredAt").orElseThrow().access()).sql();
            b.sql("exists (select 1 from ").sql(s.table()).sql(" ").sql(al)
                    .sql(" where ").sql(al).sql(".tenant_id = c.tenant_id and ").sql(al).sql(".customer_id = c.id");
            if (a.where() != null) {
                b.sql(" and ");
                node(a.where(), s);
            }
            if (a.within() != null) {
                switch (a.within()) {
                    case Value.Literal l -> b.sql(" and ").sql(occurred).sql(" >= ")
                            .param(Values.duration((String) l.value()).orElseThrow().before(ctx.now()), PgType.TIMESTAMPTZ);
                    case Value.Window w -> {
                        if (w.from() != null) {
                            b.sql(" and ").sql(occurred).sql(" >= ").param(timeValue(w.from()).start(), PgType.TIMESTAMPTZ);
                        }
                        if (w.to() != null) {
                            Values.TimeValue t = timeValue(w.to());
                            if (t.isDate()) b.sql(" and ").sql(occurred).sql(" < ").param(t.endExclusiveOfDay(), PgType.TIMESTAMPTZ);
                            else b.sql(" and ").sql(occurred).sql(" <= ").param(t.instant(), PgType.TIMESTAMPTZ);
                        }
                    }
                    case Value.ListValue lv -> throw new IllegalStateException("unvalidated rule: within list");
                    case Value.Ref r -> throw new IllegalStateException("unvalidated rule: within ref");
                }
            }
            b.sql(" having ");
            // HAVING without GROUP BY: exactly one group, even over no rows; the comparison decides existence,
            // so the node is two-valued and the aggregate may be referenced more than once (computed once).
            Expr agg = aggregateExpr(a.fn(), field, rt);
            compare(agg, rt, false, a.op(), a.value());
            b.sql(")");
        }

        Expr aggregateExpr(RuleNode.AggregateFn fn, FieldDef field, FieldType rt) {
            if (fn == RuleNode.AggregateFn.COUNT) return z -> z.sql("count(*)");
            Expr f = switch (field.access()) {
                case FieldDef.Column col -> z -> z.sql(col.sql());
                case FieldDef.Json json -> {
                    FieldType t = field.typedByValue()
                            ? (fn == RuleNode.AggregateFn.SUM || fn == RuleNode.AggregateFn.AVG ? FieldType.NUMBER : rt)
                            : field.type();
                    yield jsonTyped(json.column(), b.bind(json.key(), PgType.TEXT), t);
                }
                case FieldDef.Age age -> throw new IllegalStateException();
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
            String key = a.stream() + "/" + a.fn().json() + "/" + (a.field() == null ? "" : a.field());
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
