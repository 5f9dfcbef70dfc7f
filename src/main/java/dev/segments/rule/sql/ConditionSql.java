package dev.segments.rule.sql;

import dev.segments.rule.FieldCatalog;
import dev.segments.rule.FieldDef;
import dev.segments.rule.FieldType;
import dev.segments.rule.Operator;
import dev.segments.rule.RuleNode;
import dev.segments.rule.Typing;
import dev.segments.rule.Value;
import dev.segments.rule.Values;
import dev.segments.rule.sql.SqlBuilder.PgType;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.function.Consumer;

/**
 * Conditions ({@code field op value}) and the comparisons aggregates reuse: a field's SQL expression from the
 * catalog compared with the rule's value, bound as parameters. Every positive comparison is TRUE exactly where it
 * holds (NULL or FALSE elsewhere); a negating operator is the exact complement {@code not coalesce(X, false)}.
 */
final class ConditionSql {

    /** Appends an SQL expression (value operand) to the builder. */
    interface Expr extends Consumer<SqlBuilder> {
    }

    private static final String DATE_RE = "'^\\d{4}-\\d{2}-\\d{2}$'";
    private static final String TIMESTAMP_RE =
            "'^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}(:?\\d{2})?)$'";

    private final SqlCompiler compiler;
    private final SqlBuilder b;
    private final LocalDate today;

    ConditionSql(SqlCompiler compiler) {
        this.compiler = compiler;
        this.b = compiler.b;
        this.today = compiler.ctx.now().toLocalDate();
    }

    /** stream == null: customer scope. */
    void condition(RuleNode.Condition c, FieldCatalog.StreamDef stream) {
        FieldDef f = (stream == null ? compiler.ctx.catalog().customerField(c.field()) : stream.field(c.field()))
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

    /**
     * Appends a customer field's value as a rule reads it, for showing it (explain), never for deciding a node: a
     * column as stored; an attribute typed as declared (a value of another JSON type is missing, NULL, as the
     * comparisons see it; a list as its jsonb array); a quotient divided (numeric division, rounded to its scale:
     * comparisons cross-multiply instead); age in whole years at now (PostgreSQL's {@code age}, so a 29 February
     * birthday counts from 1 March in common years, as the compiled ranges do).
     */
    void fieldValue(FieldDef f) {
        switch (f.access()) {
            case FieldDef.Column col -> b.sql(col.sql());
            case FieldDef.Json json -> {
                SqlBuilder.Bound key = b.bind(json.key(), PgType.TEXT);
                if (f.type() == null) {
                    b.sql("(").sql(json.column()).sql(" -> ").ref(key).sql(")");
                } else if (f.type() == FieldType.STRING_LIST) {
                    jsonArray(json.column(), key).accept(b);
                } else {
                    jsonTyped(json.column(), key, f.type()).accept(b);
                }
            }
            case FieldDef.Quotient q -> b.sql("(").sql(q.numerator()).sql(" / nullif(").sql(q.denominator()).sql(", 0))");
            case FieldDef.Age age -> b.sql("date_part('year', age(").param(today, PgType.DATE).sql("::timestamp, ")
                    .sql(age.birthDateColumn()).sql("::timestamp))::integer");
        }
    }

    /**
     * A customer field's value as a profile reads it ({@link QueryShapes#profile}): for a categorical field its value
     * as {@code text} (NULL where not set: missing or {@code ''}), for a list field a {@code text[]} of its values,
     * {@code array[null]} where it is empty or missing, so that unnesting gives one row per value or one "not set"
     * row; for a numeric field a {@code numeric} (NULL where not set), averageOrderValue as the (rounded) division and
     * age in whole years at now as the rules count it.
     */
    void profileValue(FieldDef f, boolean categorical) {
        FieldType type = f.type();
        switch (f.access()) {
            case FieldDef.Column col -> {
                if (!categorical) b.sql(col.sql()).sql("::numeric");
                else if (type == FieldType.STRING_LIST) b.sql("case when cardinality(").sql(col.sql()).sql(") > 0 then ")
                        .sql(col.sql()).sql(" else array[null::text] end");
                else if (type == FieldType.STRING) b.sql("nullif(").sql(col.sql()).sql(", '')");
                else b.sql(col.sql()).sql("::text");
            }
            case FieldDef.Json json -> {
                SqlBuilder.Bound key = b.bind(json.key(), PgType.TEXT);
                if (type == FieldType.STRING_LIST) {
                    b.sql("case when jsonb_typeof(").sql(json.column()).sql(" -> ").ref(key).sql(") = 'array' and jsonb_array_length(")
                            .sql(json.column()).sql(" -> ").ref(key).sql(") > 0 then array(select distinct jsonb_array_elements_text(")
                            .sql(json.column()).sql(" -> ").ref(key).sql(")) else array[null::text] end");
                } else if (!categorical) {
                    jsonTyped(json.column(), key, type).accept(b);
                } else {
                    b.sql(type == FieldType.STRING ? "nullif(" : "(");
                    jsonTyped(json.column(), key, type).accept(b);
                    b.sql(type == FieldType.STRING ? ", '')" : ")::text");
                }
            }
            case FieldDef.Quotient q -> b.sql("case when ").sql(q.denominator()).sql(" > 0 then ").sql(q.numerator())
                    .sql("::numeric / ").sql(q.denominator()).sql(" end");
            case FieldDef.Age age -> b.sql("date_part('year', age(").param(today, PgType.DATE).sql(", ")
                    .sql(age.birthDateColumn()).sql("))::numeric");
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
            case IS_SET, EQ, IN, CONTAINS, STARTS_WITH, ENDS_WITH, GT, GTE, LT, LTE, BETWEEN, BEFORE, AFTER, WITHIN,
                 HAS_ANY, HAS_ALL -> op;
        };
    }

    void positive(Expr x, FieldType type, boolean jsonList, Operator op, Value value) {
        if (value instanceof Value.Ref r) {
            refComparison(x, type, op, r);
            return;
        }
        switch (op) {
            case IS_SET -> {
                switch (type) {
                    case STRING -> {
                        x.accept(b);
                        b.sql(" <> ''");
                    }
                    case STRING_LIST -> {
                        b.sql(jsonList ? "jsonb_array_length(" : "cardinality(");
                        x.accept(b);
                        b.sql(") > 0");
                    }
                    case NUMBER, INTEGER, BOOLEAN, DATE, TIMESTAMP -> {
                        x.accept(b);
                        b.sql(" is not null");
                    }
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
            case CONTAINS -> like(x, "%" + escapeLike(string(value)) + "%");
            case STARTS_WITH -> like(x, escapeLike(string(value)) + "%");
            case ENDS_WITH -> like(x, "%" + escapeLike(string(value)));
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
                        .before(compiler.ctx.now());
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

    void like(Expr x, String pattern) {
        x.accept(b);
        b.sql(" ilike ").param(pattern, PgType.TEXT);
    }

    static String string(Value v) {
        return (String) ((Value.Literal) v).value();
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

    static Values.TimeValue timeValue(Value v) {
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
                b.sql(n).sql(refOp(op));
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
            case IS_SET -> throw new IllegalStateException("isSet on a quotient is handled above");
            case IS_NOT_SET, NEQ, NOT_IN, NOT_CONTAINS, HAS_NONE, NOT_WITHIN ->
                    throw new IllegalStateException("negating operator reached quotient(): " + op);
            case CONTAINS, STARTS_WITH, ENDS_WITH, BEFORE, AFTER, WITHIN, HAS_ANY, HAS_ALL ->
                    throw new IllegalStateException("unvalidated rule: " + op.json() + " on a quotient");
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
        FieldDef rf = compiler.ctx.catalog().customerField(r.field())
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

    /** The SQL comparison of an ordering operator (refs, quotients); NEQ reaches here as its complement EQ. */
    static String refOp(Operator op) {
        return switch (op) {
            case EQ -> " = ";
            case GT, AFTER -> " > ";
            case GTE -> " >= ";
            case LT, BEFORE -> " < ";
            case LTE -> " <= ";
            case IS_SET, IS_NOT_SET, NEQ, IN, NOT_IN, CONTAINS, NOT_CONTAINS, STARTS_WITH, ENDS_WITH, BETWEEN, WITHIN,
                 NOT_WITHIN, HAS_ANY, HAS_ALL, HAS_NONE ->
                    throw new IllegalStateException("unvalidated rule: " + op.json() + " as a plain comparison");
        };
    }

    // ---------------------------------------------------------------- age

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
                List<Long> ages = ((Value.ListValue) value).items().stream().map(ConditionSql::n).distinct().sorted().toList();
                b.sql("(");
                for (int i = 0; i < ages.size(); i++) {
                    if (i > 0) b.sql(" or ");
                    ageRange(birthDate, ages.get(i), ages.get(i));
                }
                b.sql(")");
            });
            case CONTAINS, NOT_CONTAINS, STARTS_WITH, ENDS_WITH, BEFORE, AFTER, WITHIN, NOT_WITHIN, HAS_ANY, HAS_ALL,
                 HAS_NONE -> throw new IllegalStateException("unvalidated rule: age with " + op);
        }
    }

    static long n(Value v) { return Values.integer(((Value.Literal) v).value()).orElseThrow(); }

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
