package dev.segments.rule.sql;

import dev.segments.rule.CompileContext;
import dev.segments.rule.FieldCatalog;
import dev.segments.rule.FieldDef;
import dev.segments.rule.FieldType;
import dev.segments.rule.Operator;
import dev.segments.rule.ResolvedSegment;
import dev.segments.rule.RuleNode;
import dev.segments.rule.Source;
import dev.segments.rule.Typing;
import dev.segments.rule.Value;
import dev.segments.rule.ValidatedRule;
import dev.segments.rule.Values;
import dev.segments.rule.sql.SqlBuilder.PgType;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The "next due instant of these customers" statement ({@link QueryShapes#dueInstants}): for every leaf of the given
 * rules that reads the clock, the instants at which it may next change its truth for a customer, and the least of
 * them strictly after {@code now}. Lower bounds: an instant may be early, never late (docs/live-membership.md,
 * "Time events").
 *
 * <ul>
 *   <li>a field {@code v within / notWithin D} (compiled {@code v >= now - D}): {@code v + D + 1 µs} for a timestamp,
 *   {@code (v + 1 day) 00:00 UTC + D} for a date (compiled against {@code (now - D)}'s day);</li>
 *   <li>a stream row's field under within (an aggregate's duration window over occurredAt, a where condition, the
 *   aggregated value compared with within): the same per row, the least over the customer's rows in one grouped
 *   read per stream (the aggregate's where is left out: that can only make the instant earlier);</li>
 *   <li>{@code age}: the next anniversary of the birth date at 00:00 UTC (for 29 February also 1 March);</li>
 *   <li>durations with months or years are not monotone near a month's end ({@code now - P1M} is clamped to the
 *   shorter month, the same in Java and PostgreSQL): each such leaf also yields {@code v + D} shifted by -1..3 days
 *   and the UTC midnights of the days -1..4 around it, which contain every instant at which the clamped bound
 *   crosses {@code v} or jumps over it.</li>
 * </ul>
 * Segment references are followed into the referenced dynamic segments; static segments do not read the clock.
 *
 * <p>With each customer's least instant the statement keeps which segments it is the instant of: {@code segments},
 * the segments whose own least instant is before it plus {@link #SET_HORIZON}, and {@code others_due_at}, the least
 * instant of the other segments (NULL: none has one). The tick evaluates only {@code segments} while its now is
 * before {@code others_due_at}, every clock-dependent segment otherwise (docs/live-membership.md, "Time events").
 */
final class DueSql {

    /**
     * How far after a customer's least instant another segment's instant still joins its due segments: a tick
     * later than this after the instant (the service was down) evaluates every clock-dependent segment instead.
     */
    static final java.time.Duration SET_HORIZON = java.time.Duration.ofMinutes(10);
    private static final String HORIZON_SQL = "interval '" + SET_HORIZON.toSeconds() + " seconds'";

    /** A clock-dependent value: an expression over the customer (stream null) or a row of the stream. */
    private record Leaf(FieldCatalog.StreamDef stream, FieldDef field, FieldType type, Values.IsoDuration duration,
                        boolean age) {
    }

    private final CompileContext ctx;
    private final SqlBuilder b;
    private final SqlCompiler compiler;
    private final SqlBuilder.Bound now;
    private final Map<String, Leaf> leaves = new LinkedHashMap<>();
    /** The keys of the leaves each target reads (its own and those of the dynamic segments it references). */
    private final Map<Long, Set<String>> targetLeaves = new LinkedHashMap<>();
    private Set<String> collecting;

    private DueSql(CompileContext ctx, SqlBuilder b, SqlBuilder.Bound tenant, SqlBuilder.Bound now) {
        this.ctx = ctx;
        this.b = b;
        this.compiler = new SqlCompiler(ctx, b, tenant, SqlCompiler.Shape.CORRELATED);
        this.now = now;
    }

    /**
     * The writes that can move these rules' due instants: the sources of the values their clock-dependent leaves
     * read (a stream's for its rows, a field's own otherwise). A write of any other source leaves them as they are.
     */
    static Set<Source> sources(List<ValidatedRule> rules, CompileContext ctx) {
        Set<Source> out = EnumSet.noneOf(Source.class);
        leavesOf(rules, ctx).leaves.values().forEach(l -> {
            if (l.stream() != null) out.add(l.stream().source());
            else out.addAll(l.field().changedBy());
        });
        return out;
    }

    /** Whether any of these rules reads the clock (then they have due instants). */
    static boolean timeDependent(List<ValidatedRule> rules, CompileContext ctx) {
        return !leavesOf(rules, ctx).leaves.isEmpty();
    }

    /** The clock-dependent leaves of these rules, collected without building a statement. */
    private static DueSql leavesOf(List<ValidatedRule> rules, CompileContext ctx) {
        DueSql d = new DueSql(ctx, new SqlBuilder(), null, null);
        rules.forEach(r -> d.collect(d.compiler.checked(r), null, new HashSet<>()));
        return d;
    }

    /** The table {@link #rows} writes: the whole tenant's due rows, dropped at commit. */
    static final String DUE_ROWS = "due_rows";

    /**
     * For the whole tenant: its due rows into a temporary table ({@link #DUE_ROWS}), which
     * {@link #statement} with {@code customerIds} null then writes. A statement of its own because PostgreSQL
     * plans no parallel scan in a statement that writes tables, and this one reads every stream.
     */
    static SqlQuery rows(long tenantId, List<QueryShapes.Target> targets, OffsetDateTime now, CompileContext ctx) {
        SqlBuilder b = new SqlBuilder();
        SqlBuilder.Bound tenant = b.bind(tenantId, PgType.BIGINT);
        SqlBuilder.Bound at = b.bind(now, PgType.TIMESTAMPTZ);
        b.sql("create temporary table " + DUE_ROWS + " (customer_id, due_at, segments, others_due_at) on commit drop as ");
        collected(ctx, b, tenant, at, targets).due(tenant, null);
        return b.build();
    }

    private static DueSql collected(CompileContext ctx, SqlBuilder b, SqlBuilder.Bound tenant, SqlBuilder.Bound at,
                                    List<QueryShapes.Target> targets) {
        DueSql d = new DueSql(ctx, b, tenant, at);
        for (QueryShapes.Target t : targets) {
            d.collecting = d.targetLeaves.computeIfAbsent(t.segmentId(), k -> new HashSet<>());
            d.collect(d.compiler.checked(t.rule()), null, new HashSet<>());
        }
        return d;
    }

    /**
     * Writes the due rows of these customers ({@code customerIds} null: of the whole tenant, read from the table
     * {@link #rows} wrote in this transaction) as {@code mode} says.
     */
    static SqlQuery statement(long tenantId, List<QueryShapes.Target> targets, List<Long> customerIds,
                              QueryShapes.DueUpdate mode, OffsetDateTime now, CompileContext ctx) {
        SqlBuilder b = new SqlBuilder();
        SqlBuilder.Bound tenant = b.bind(tenantId, PgType.BIGINT);
        SqlBuilder.Bound at = b.bind(now, PgType.TIMESTAMPTZ);
        SqlBuilder.Bound ids = customerIds == null ? null : QueryShapes.idArray(b, customerIds);
        b.sql("with due (customer_id, due_at, segments, others_due_at) as (");
        if (ids == null) {
            // (now is read so that every bound parameter appears in the statement, whatever the mode)
            b.sql("select * from " + DUE_ROWS + " where ").ref(at).sql(" is not null");
        } else {
            collected(ctx, b, tenant, at, targets).due(tenant, ids);
        }
        b.sql("), upserted as (insert into customer_due as cd (tenant_id, customer_id, due_at, segments, others_due_at)"
                        + " select ").ref(tenant)
                .sql(", customer_id, due_at, segments, others_due_at from due where due_at is not null"
                        + " on conflict (tenant_id, customer_id) do update set ");
        // a row is rewritten only when it changes (most do not when rules are added or data written)
        switch (mode) {
            case EVALUATED -> b.sql("due_at = excluded.due_at, segments = excluded.segments,"
                    + " others_due_at = excluded.others_due_at where (cd.due_at, cd.segments, cd.others_due_at)"
                    + " is distinct from (excluded.due_at, excluded.segments, excluded.others_due_at)");
            // these customers were not evaluated at now for every clock-dependent segment: an instant already
            // passed and not processed by the tick stays (the tick replaces it), and the tick then evaluates every
            // clock-dependent segment (the written data may have instants before its now in segments not named)
            case WRITTEN -> b.sql("due_at = case when cd.due_at > ").ref(at).sql(" then excluded.due_at else cd.due_at end,"
                            + " segments = case when cd.due_at > ").ref(at).sql(" then excluded.segments end,"
                            + " others_due_at = case when cd.due_at > ").ref(at).sql(" then excluded.others_due_at end"
                            + " where cd.due_at > ").ref(at).sql(" and (cd.due_at, cd.segments, cd.others_due_at)"
                            + " is distinct from (excluded.due_at, excluded.segments, excluded.others_due_at)"
                            + " or cd.due_at <= ").ref(at).sql(" and cd.segments is not null");
            // rules added to the others: an instant only moves earlier and the others' instants stay. The due
            // segments: the earlier side's when the other side's instant is beyond the horizon (which then bounds
            // others_due_at), both sides' otherwise; an added instant at or after others_due_at leaves the row as it is
            case ADDED -> {
                String later = "excluded.due_at >= cd.due_at + " + HORIZON_SQL;
                String earlier = "cd.due_at >= excluded.due_at + " + HORIZON_SQL;
                b.sql("due_at = least(cd.due_at, excluded.due_at), segments = case when cd.segments is null"
                        + " or excluded.segments is null then null when " + later + " then cd.segments when " + earlier
                        + " then excluded.segments else array(select distinct x from unnest(cd.segments"
                        + " || excluded.segments) x order by x) end, others_due_at = case when " + later
                        + " then least(cd.others_due_at, excluded.due_at) when " + earlier
                        + " then least(excluded.others_due_at, cd.due_at) else least(cd.others_due_at,"
                        + " excluded.others_due_at) end where excluded.due_at < cd.due_at or cd.segments is not null"
                        + " and (cd.others_due_at is null or excluded.due_at < cd.others_due_at)");
            }
        }
        b.sql(" returning 1), removed as (");
        if (mode == QueryShapes.DueUpdate.ADDED) {
            b.sql("select 1 where false)");
        } else {
            b.sql("delete from customer_due cd where cd.tenant_id = ").ref(tenant);
            if (ids != null) {
                b.sql(" and cd.customer_id = any(").ref(ids).sql("::bigint[])");
            }
            if (mode == QueryShapes.DueUpdate.WRITTEN) {
                b.sql(" and cd.due_at > ").ref(at);
            }
            b.sql(" and not exists (select 1 from due where due.customer_id = cd.customer_id and due.due_at is not null)"
                    + " returning 1)");
        }
        b.sql(" select (select count(*) from upserted), (select count(*) from removed)");
        return b.build();
    }

    // ---------------------------------------------------------------- the leaves

    private void collect(RuleNode n, FieldCatalog.StreamDef stream, Set<String> seen) {
        switch (n) {
            case RuleNode.Group g -> g.children().forEach(c -> collect(c, stream, seen));
            case RuleNode.Not not -> collect(not.child(), stream, seen);
            case RuleNode.Condition c -> {
                FieldDef f = (stream == null ? ctx.catalog().customerField(c.field()) : stream.field(c.field()))
                        .orElseThrow(() -> new IllegalStateException("unvalidated rule: unknown field " + c.field()));
                if (f.access() instanceof FieldDef.Age) {
                    add(new Leaf(null, f, FieldType.DATE, null, true));
                } else if (within(c.op())) {
                    FieldType type = Typing.conditionType(f, c.op(), c.value()).orElseThrow();
                    add(new Leaf(stream, f, type, duration(c.value()), false));
                }
            }
            case RuleNode.Aggregate a -> {
                FieldCatalog.StreamDef s = ctx.catalog().requireStream(a.stream());
                if (a.where() != null) {
                    collect(a.where(), s, seen);
                }
                if (a.within() instanceof Value.Literal) {
                    add(new Leaf(s, s.field("occurredAt").orElseThrow(), FieldType.TIMESTAMP, duration(a.within()), false));
                }
                if (within(a.op())) { // max of occurredAt within P30D: the value is one of the rows'
                    FieldDef f = s.field(a.field()).orElseThrow();
                    add(new Leaf(s, f, Typing.aggregateType(a.fn(), f, a.value()), duration(a.value()), false));
                }
            }
            case RuleNode.SegmentRef r -> {
                if (seen.add(r.key()) && ctx.resolver().resolve(r.key()).orElse(null) instanceof ResolvedSegment.Dynamic d) {
                    collect(d.rule(), null, seen);
                }
            }
        }
    }

    private static boolean within(Operator op) {
        return op == Operator.WITHIN || op == Operator.NOT_WITHIN;
    }

    private static Values.IsoDuration duration(Value v) {
        return Values.duration((String) ((Value.Literal) v).value())
                .orElseThrow(() -> new IllegalStateException("unvalidated rule: not a duration"));
    }

    private void add(Leaf leaf) {
        String key = (leaf.stream() == null ? "" : leaf.stream().name()) + "|" + leaf.field().name() + "|"
                + leaf.type() + "|" + leaf.duration() + "|" + leaf.age();
        leaves.putIfAbsent(key, leaf);
        if (collecting != null) collecting.add(key);
    }

    // ---------------------------------------------------------------- the statement

    /**
     * {@code select customer_id, due_at, segments, others_due_at}: one row per customer of the tenant (of the ids),
     * due_at NULL for none. Three levels: each leaf's least instant (the stream leaves in one grouped read per
     * stream), each target's (the least of its leaves'), and the customer's with its due segments.
     */
    private void due(SqlBuilder.Bound tenant, SqlBuilder.Bound ids) {
        if (leaves.isEmpty()) {
            // no customer has an instant (now is read so that every bound parameter appears in the statement)
            b.sql("select null::bigint, null::timestamptz, null::bigint[], null::timestamptz where ").ref(now)
                    .sql(" is null and ").ref(tenant).sql(" is null");
            return;
        }
        List<String> keys = new ArrayList<>(leaves.keySet());
        Map<FieldCatalog.StreamDef, List<Integer>> byStream = new LinkedHashMap<>();
        List<Integer> own = new ArrayList<>();
        for (int k = 0; k < keys.size(); k++) {
            Leaf l = leaves.get(keys.get(k));
            if (l.stream() == null) own.add(k);
            else byStream.computeIfAbsent(l.stream(), x -> new ArrayList<>()).add(k);
        }
        // the targets that read the clock, with their leaves' columns
        Map<Long, List<Integer>> targets = new LinkedHashMap<>();
        targetLeaves.forEach((id, ls) -> {
            if (!ls.isEmpty()) targets.put(id, ls.stream().map(keys::indexOf).sorted().toList());
        });
        b.sql("select x.id, x.due_at, array_remove(array[");
        String glue = "";
        int t = 0;
        for (Long id : targets.keySet()) {
            b.sql(glue).sql("case when x.d" + t + " < x.due_at + " + HORIZON_SQL + " then ").param(id, PgType.BIGINT).sql(" end");
            glue = ", ";
            t++;
        }
        b.sql("], null), least(");
        glue = "";
        for (t = 0; t < targets.size(); t++) {
            b.sql(glue).sql("case when x.d" + t + " >= x.due_at + " + HORIZON_SQL + " then x.d" + t + " end");
            glue = ", ";
        }
        b.sql(") from (select y.*, least(");
        glue = "";
        for (t = 0; t < targets.size(); t++) {
            b.sql(glue).sql("y.d" + t);
            glue = ", ";
        }
        b.sql(") as due_at from (select l.id");
        t = 0;
        for (List<Integer> ls : targets.values()) {
            b.sql(", least(");
            glue = "";
            for (int k : ls) {
                b.sql(glue).sql("l.l" + k);
                glue = ", ";
            }
            b.sql(") as d" + t);
            t++;
        }
        b.sql(" from (select c.id");
        for (int k : own) {
            b.sql(", ");
            candidates(leaves.get(keys.get(k)));
            b.sql(" as l" + k);
        }
        int i = 0;
        for (List<Integer> ls : byStream.values()) {
            for (int k : ls) {
                b.sql(", s" + i + ".l" + k);
            }
            i++;
        }
        b.sql(" from ").sql(QueryShapes.CUSTOMERS);
        i = 0;
        for (Map.Entry<FieldCatalog.StreamDef, List<Integer>> e : byStream.entrySet()) {
            FieldCatalog.StreamDef s = e.getKey();
            String al = s.alias();
            b.sql(" left join (select ").sql(al).sql(".customer_id");
            OffsetDateTime lowest = null;
            boolean allOccurred = true;
            for (int k : e.getValue()) {
                Leaf l = leaves.get(keys.get(k));
                b.sql(", ");
                earliestOfRows(l);
                b.sql(" as l" + k);
                boolean occurred = l.field().access() instanceof FieldDef.Column col && col.sql().equals(s.occurredAtColumn());
                if (occurred) {
                    OffsetDateTime lo = lowerBound(l.duration());
                    lowest = lowest == null || lo.isBefore(lowest) ? lo : lowest;
                } else {
                    allOccurred = false;
                }
            }
            b.sql(" from ").sql(s.table()).sql(" ").sql(al).sql(" where ").sql(al).sql(".tenant_id = ").ref(tenant);
            if (ids != null) {
                b.sql(" and ").sql(al).sql(".customer_id = any(").ref(ids).sql("::bigint[])");
            }
            if (allOccurred && lowest != null) {
                // rows older than this have no instant after now (index range on occurredAt)
                b.sql(" and ").sql(s.occurredAtColumn()).sql(" >= ").param(lowest, PgType.TIMESTAMPTZ);
            }
            b.sql(" group by ").sql(al).sql(".customer_id) s" + i).sql(" on s" + i + ".customer_id = c.id");
            i++;
        }
        b.sql(" where c.tenant_id = ").ref(tenant);
        if (ids != null) {
            b.sql(" and c.id = any(").ref(ids).sql("::bigint[])");
        }
        // each level computed once per row: flattened, every reference to a column of the level below would
        // repeat its whole expression (x.due_at alone is read twice per target)
        b.sql(" offset 0) l offset 0) y offset 0) x");
    }

    /**
     * The earliest row time whose instants can still be after now: {@code now - D} exactly for durations without
     * months or years ({@code v + D + 1 µs > now} iff {@code v >= now - D}), a week earlier otherwise (the clamped
     * candidates lie within days of {@code v + D}).
     */
    private OffsetDateTime lowerBound(Values.IsoDuration d) {
        OffsetDateTime start = d.before(ctx.now());
        return calendar(d) ? start.minusDays(7) : start;
    }

    private static boolean calendar(Values.IsoDuration d) {
        return d.period().getYears() != 0 || d.period().getMonths() != 0;
    }

    /**
     * Appends the least candidate strictly after now of a stream leaf over the customer's rows (grouped by customer):
     * {@code min(least(candidates))}, or for a timestamp column and a duration without months or years
     * {@code min(v) filter (where v >= now - D) + D + 1 µs} (when after now, which it always is): there
     * {@code v + D + 1 µs > now} iff {@code v >= now - D} (microseconds), and {@code v + D} is the same instant in
     * every zone, so each row is compared instead of shifted (a text-to-interval cast and two zone conversions per
     * row and leaf, most of the statement's time over a tenant's whole stream).
     */
    private void earliestOfRows(Leaf l) {
        Values.IsoDuration d = l.duration();
        if (!l.age() && l.type() != FieldType.DATE && !calendar(d) && l.field().access() instanceof FieldDef.Column col) {
            long seconds = d.period().getDays() * 86_400L + d.time().getSeconds();
            SqlBuilder.Bound since = b.bind(lowerBound(d), PgType.TIMESTAMPTZ);
            SqlBuilder.Bound shift = b.bind(seconds + " seconds", PgType.TEXT);
            // after(...) per customer, not per row (it always holds: the rows are those at or after now - D)
            after(() -> b.sql("(min(").sql(col.sql()).sql(") filter (where ").sql(col.sql()).sql(" >= ").ref(since)
                    .sql(") + ").ref(shift).sql("::interval + interval '1 microsecond')"));
            return;
        }
        b.sql("min(");
        candidates(l);
        b.sql(")");
    }

    /** Appends {@code least(candidates strictly after now)} of one leaf: NULL when it has none. */
    private void candidates(Leaf l) {
        b.sql("least(");
        if (l.age()) {
            age(l);
        } else {
            window(l);
        }
        b.sql(")");
    }

    /** {@code case when X > now then X end}. */
    private void after(Runnable x) {
        b.sql("case when ");
        x.run();
        b.sql(" > ").ref(now).sql(" then ");
        x.run();
        b.sql(" end");
    }

    private void value(Leaf l) {
        switch (l.field().access()) {
            case FieldDef.Column col -> b.sql(col.sql());
            case FieldDef.Json json -> compiler.conditions().jsonTyped(json.column(), b.bind(json.key(), PgType.TEXT),
                    l.type()).accept(b);
            case FieldDef.Age age -> throw new IllegalStateException("age is not a window leaf");
            case FieldDef.Quotient q -> throw new IllegalStateException("within on a quotient");
        }
    }

    private void window(Leaf l) {
        boolean date = l.type() == FieldType.DATE;
        Values.IsoDuration d = l.duration();
        String interval = d.period().getYears() + " years " + d.period().getMonths() + " months "
                + d.period().getDays() + " days " + d.time().getSeconds() + " seconds";
        SqlBuilder.Bound iv = b.bind(interval, PgType.TEXT);
        // v + D as a UTC timestamp (without time zone: calendar arithmetic independent of the session's zone);
        // a date compares with (now - D)'s day, so it leaves at the midnight after it, plus D
        Runnable shifted = () -> {
            b.sql("(");
            if (date) {
                b.sql("((");
                value(l);
                b.sql(") + 1)::timestamp");
            } else {
                b.sql("((");
                value(l);
                b.sql(") at time zone 'UTC')");
            }
            b.sql(" + ").ref(iv).sql("::interval)");
        };
        String eps = date ? "" : " + interval '1 microsecond'";
        if (!calendar(d)) {
            after(() -> {
                b.sql("((");
                shifted.run();
                b.sql(eps).sql(") at time zone 'UTC')");
            });
            return;
        }
        String glue = "";
        for (int k = -1; k <= 3; k++) {
            int days = k;
            b.sql(glue);
            after(() -> {
                b.sql("((");
                shifted.run();
                b.sql(eps).sql(" + interval '" + days + " days') at time zone 'UTC')");
            });
            glue = ", ";
        }
        for (int k = -1; k <= 4; k++) {
            int days = k;
            b.sql(glue);
            after(() -> {
                b.sql("((date_trunc('day', ");
                shifted.run();
                b.sql(") + interval '" + days + " days') at time zone 'UTC')");
            });
        }
    }

    /**
     * The next anniversary of the birth date at 00:00 UTC, this year's or next year's: age compiles to ranges of the
     * birth date computed from today (UTC), which move by whole days, and a range bound {@code today - n years}
     * passes a birth date only on its anniversary (29 February: PostgreSQL's clamped 28 February, and 1 March,
     * when Java's {@code minusYears} lets it in).
     */
    private void age(Leaf l) {
        String bd = ((FieldDef.Age) l.field().access()).birthDateColumn();
        int year = ctx.now().getYear();
        String glue = "";
        for (int y = year; y <= year + 1; y++) {
            SqlBuilder.Bound yb = b.bind((long) y, PgType.BIGINT);
            b.sql(glue);
            after(() -> anniversary(bd, yb, false));
            b.sql(", ");
            after(() -> {
                b.sql("case when extract(month from ").sql(bd).sql(") = 2 and extract(day from ").sql(bd)
                        .sql(") = 29 then ");
                anniversary(bd, yb, true);
                b.sql(" end");
            });
            glue = ", ";
        }
    }

    /** The birth date's anniversary in year {@code y} (29 February clamped to 28), or the day after, at 00:00 UTC. */
    private void anniversary(String bd, SqlBuilder.Bound y, boolean dayAfter) {
        b.sql("((").sql(bd).sql(" + make_interval(years => (").ref(y).sql(" - extract(year from ").sql(bd)
                .sql("))::int)").sql(dayAfter ? " + interval '1 day'" : "").sql(") at time zone 'UTC')");
    }
}
