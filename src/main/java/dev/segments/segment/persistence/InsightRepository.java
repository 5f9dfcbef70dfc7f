package dev.segments.segment.persistence;

import dev.segments.rule.sql.SqlQuery;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The statements of segment insight (docs/insight.md): profiles (the statement comes from {@code QueryShapes.profile},
 * since it may evaluate a rule), overlap from the materialized membership, effectiveness from the change feed and
 * the purchase stream. Each is one set-based statement, run like an evaluation (read-only, statement timeout,
 * evaluation slot).
 */
@ApplicationScoped
public class InsightRepository {

    private final RuleQueryExecutor executor;

    InsightRepository(RuleQueryExecutor executor) {
        this.executor = executor;
    }

    /** A row of a profile statement (see {@code QueryShapes.profile} for the sections). */
    public record ProfileRow(String section, Integer field, String value, long members, Long base, List<BigDecimal> nums) {
    }

    public Uni<List<ProfileRow>> profile(long tenantId, SqlQuery query) {
        return executor.runGrouping(tenantId, query).map(rs -> {
            List<ProfileRow> rows = new ArrayList<>();
            for (Row r : rs) {
                BigDecimal[] nums = r.getArrayOfBigDecimals("nums");
                rows.add(new ProfileRow(r.getString("section"), r.getInteger("field"), r.getString("value"),
                        r.getLong("members"), r.getLong("base"), nums == null ? null : Arrays.asList(nums)));
            }
            return rows;
        });
    }

    /** Members shared by two segments ({@code a == b}: a segment's size). */
    public record PairCount(long a, long b, long count) {
    }

    /**
     * For the given segments (at most 63; dynamic: materialized membership; static: their members), the size of
     * each and of every pairwise intersection ({@code a <= b} by id), in one scan of their membership rows: each
     * customer's segments as a bit mask (grouped by customer), the masks counted (grouped by mask: as many rows as
     * distinct combinations, far fewer than customers), and the pairs of each mask's bits added up here. Pairs
     * without a shared member are absent.
     */
    public Uni<List<PairCount>> overlap(long tenantId, List<Long> segmentIds) {
        if (segmentIds.size() > 63) throw new IllegalArgumentException("at most 63 segments in a mask");
        return executor.runStatement(tenantId, """
                        with m as (
                            select segment_id, customer_id from segment_membership
                            where tenant_id = $1 and segment_id = any($2::bigint[])
                            union all
                            select segment_id, customer_id from segment_member
                            where tenant_id = $1 and segment_id = any($2::bigint[])),
                        per as (select bit_or(1::bigint << (array_position($2::bigint[], segment_id) - 1)) as mask
                                from m group by customer_id)
                        select mask, count(*) from per group by mask""",
                Tuple.of(tenantId, segmentIds.toArray(Long[]::new))).map(rs -> {
                    int k = segmentIds.size();
                    long[][] n = new long[k][k];
                    int[] bits = new int[k];
                    for (Row r : rs) {
                        long mask = r.getLong(0), count = r.getLong(1);
                        int set = 0;
                        for (int i = 0; i < k; i++) {
                            if ((mask & (1L << i)) != 0) bits[set++] = i;
                        }
                        for (int x = 0; x < set; x++) {
                            for (int y = x; y < set; y++) n[bits[x]][bits[y]] += count;
                        }
                    }
                    List<PairCount> out = new ArrayList<>();
                    for (int i = 0; i < k; i++) {
                        for (int j = i; j < k; j++) {
                            long a = segmentIds.get(i), b = segmentIds.get(j);
                            if (n[i][j] > 0) out.add(new PairCount(Math.min(a, b), Math.max(a, b), n[i][j]));
                        }
                    }
                    return out;
                });
    }

    /** A cell of {@code QueryShapes.rfmGrid} (recency and frequency null: not scored). */
    public record RfmCellRow(Integer recency, Integer frequency, long members, long base, BigDecimal monetary,
                             OffsetDateTime computedAt) {
    }

    public Uni<List<RfmCellRow>> rfmGrid(long tenantId, SqlQuery query) {
        return executor.run(tenantId, query).map(rs -> {
            List<RfmCellRow> out = new ArrayList<>();
            for (Row r : rs) {
                out.add(new RfmCellRow(r.getInteger("recency"), r.getInteger("frequency"), r.getLong("members"),
                        r.getLong("base"), r.getBigDecimal("monetary"), r.getOffsetDateTime("computed_at")));
            }
            return out;
        });
    }

    /** One segment's standing: its members now and at {@code since} (from the change feed), and their revenue. */
    public record StandingRow(long segmentId, long size, long sizeThen, BigDecimal revenue) {
    }

    /** The tenant's customers and their revenue (sum of totalSpend), with every segment's {@link StandingRow}. */
    public record Standings(long baseSize, BigDecimal baseRevenue, List<StandingRow> segments) {
    }

    /**
     * Every segment of the tenant in one statement (the tenant overview): members now from the materialized
     * membership (static segments: their members) with the sum of their totalSpend, and the size at {@code since}
     * as the change feed tells it (entries minus exits before then); plus the base's size and revenue.
     */
    public Uni<Standings> standings(long tenantId, OffsetDateTime since) {
        return executor.runStatement(tenantId, """
                        with m as (
                            select segment_id, customer_id from segment_membership where tenant_id = $1
                            union all
                            select segment_id, customer_id from segment_member where tenant_id = $1),
                        now_ as (
                            select m.segment_id, count(*) as size, coalesce(sum(c.total_spend), 0) as revenue
                            from m join customer c on c.tenant_id = $1 and c.id = m.customer_id group by m.segment_id),
                        then_ as (
                            select segment_id, sum(case kind when 'entered' then 1 else -1 end) as size
                            from membership_change where tenant_id = $1 and at < $2 group by segment_id),
                        base as (
                            select count(*) as size, coalesce(sum(total_spend), 0) as revenue from customer where tenant_id = $1)
                        select s.id, coalesce(now_.size, 0) as size, coalesce(then_.size, 0)::bigint as size_then,
                               coalesce(now_.revenue, 0) as revenue, base.size as base_size, base.revenue as base_revenue
                        from base left join segment s on s.tenant_id = $1
                        left join now_ on now_.segment_id = s.id left join then_ on then_.segment_id = s.id
                        order by s.key""",
                Tuple.of(tenantId, since)).map(rs -> {
                    long baseSize = 0;
                    BigDecimal baseRevenue = BigDecimal.ZERO;
                    List<StandingRow> out = new ArrayList<>();
                    for (Row r : rs) {
                        baseSize = r.getLong("base_size");
                        baseRevenue = r.getBigDecimal("base_revenue");
                        if (r.getLong("id") != null) {
                            out.add(new StandingRow(r.getLong("id"), r.getLong("size"), r.getLong("size_then"),
                                    r.getBigDecimal("revenue")));
                        }
                    }
                    return new Standings(baseSize, baseRevenue, out);
                });
    }

    /** A window length as PostgreSQL's make_interval takes it: calendar years, months and days, exact seconds. */
    public record Window(int years, int months, int days, long seconds) {
    }

    /** The figures of {@link #effectiveness}. */
    public record Effectiveness(long entered, long converted, long openWindows, BigDecimal revenue, long purchases,
                                OffsetDateTime baselineFrom, OffsetDateTime baselineTo, long baselineCustomers,
                                long baselineConverted, BigDecimal baselineRevenue, long baselinePurchases,
                                long stays, long completed, long stillMembers, Double medianSeconds, Double meanSeconds,
                                List<String> exitCauses, List<Long> exitCounts) {
    }

    /**
     * A segment's effectiveness over the entries of [from, to) (docs/insight.md, "Effectiveness"), in one statement.
     * Stays are read from the change feed (an entry and the exit after it, if any; ordered by time, then id); the
     * cohort is the still-existing customers with an entry in the period, at their first entry there; conversion and
     * revenue count their purchases in [entry, entry + window); the baseline is the customers created at or before
     * the cohort's median entry time who were not a member at any instant of [from, to), over [median entry,
     * median entry + window) (from, when nobody entered). Window arithmetic is in UTC, calendar units as the rules'.
     */
    public Uni<Effectiveness> effectiveness(long tenantId, long segmentId, OffsetDateTime from, OffsetDateTime to,
                                            Window window, OffsetDateTime now) {
        String w = "make_interval($5::int, $6::int, 0, $7::int, 0, 0, $8::float8)";
        return executor.runStatement(tenantId, """
                        with ch as (
                            select customer_id, kind, cause, at, id from membership_change
                            where tenant_id = $1 and segment_id = $2),
                        st as (
                            select customer_id, kind, at, lead(kind) over w as next_kind, lead(at) over w as next_at,
                                   lead(cause) over w as next_cause
                            from ch window w as (partition by customer_id order by at, id)),
                        stays as (
                            select customer_id, at as entered_at,
                                   case when next_kind = 'exited' then next_at end as exited_at,
                                   case when next_kind = 'exited' then next_cause end as exit_cause
                            from st where kind = 'entered'),
                        period as (select * from stays where entered_at >= $3 and entered_at < $4),
                        cohort as (
                            select p.customer_id, min(p.entered_at) as entered_at from period p
                            join customer c on c.tenant_id = $1 and c.id = p.customer_id group by p.customer_id),
                        conv as (
                            select co.customer_id, count(pu.amount) as purchases, coalesce(sum(pu.amount), 0) as revenue,
                                   (co.entered_at at time zone 'UTC' + WINDOW) at time zone 'UTC' as window_end
                            from cohort co left join purchase pu on pu.tenant_id = $1 and pu.customer_id = co.customer_id
                                and pu.occurred_at >= co.entered_at
                                and pu.occurred_at < (co.entered_at at time zone 'UTC' + WINDOW) at time zone 'UTC'
                            group by co.customer_id, co.entered_at),
                        bwin as (
                            select a.start, (a.start at time zone 'UTC' + WINDOW) at time zone 'UTC' as stop
                            from (select coalesce(percentile_disc(0.5) within group (order by entered_at), $3) as start
                                  from cohort) a),
                        touched as (
                            select distinct customer_id from stays
                            where entered_at < $4 and (exited_at is null or exited_at > $3)),
                        bp as (
                            select pu.customer_id, count(*) as purchases, sum(pu.amount) as revenue
                            from purchase pu cross join bwin
                            where pu.tenant_id = $1 and pu.occurred_at >= bwin.start and pu.occurred_at < bwin.stop
                            group by pu.customer_id),
                        bconv as (
                            select c.id, coalesce(bp.purchases, 0) as purchases, coalesce(bp.revenue, 0) as revenue
                            from customer c cross join bwin
                            left join bp on bp.customer_id = c.id
                            where c.tenant_id = $1 and c.created_at <= bwin.start
                              and not exists (select 1 from touched t where t.customer_id = c.id)),
                        exits as (
                            select exit_cause, count(*) as n from period where exited_at is not null group by exit_cause)
                        select (select count(*) from cohort),
                               (select count(*) from conv where purchases > 0),
                               (select count(*) from conv where window_end > $9),
                               (select coalesce(sum(revenue), 0) from conv),
                               (select coalesce(sum(purchases), 0) from conv),
                               (select start from bwin), (select stop from bwin),
                               (select count(*) from bconv),
                               (select count(*) from bconv where purchases > 0),
                               (select coalesce(sum(revenue), 0) from bconv),
                               (select coalesce(sum(purchases), 0) from bconv),
                               (select count(*) from period),
                               (select count(*) from period where exited_at is not null),
                               (select count(*) from period where exited_at is null),
                               (select percentile_cont(0.5) within group (order by extract(epoch from exited_at - entered_at))
                                from period where exited_at is not null),
                               (select avg(extract(epoch from exited_at - entered_at))::float8
                                from period where exited_at is not null),
                               (select array_agg(exit_cause order by n desc, exit_cause) from exits),
                               (select array_agg(n order by n desc, exit_cause) from exits)""".replace("WINDOW", w),
                Tuple.from(List.of(tenantId, segmentId, from, to, window.years(), window.months(), window.days(),
                        (double) window.seconds(), now))).map(rs -> {
                    Row r = rs.iterator().next();
                    String[] causes = r.getArrayOfStrings(16);
                    Long[] counts = r.getArrayOfLongs(17);
                    return new Effectiveness(r.getLong(0), r.getLong(1), r.getLong(2), r.getBigDecimal(3), r.getLong(4),
                            r.getOffsetDateTime(5), r.getOffsetDateTime(6), r.getLong(7), r.getLong(8),
                            r.getBigDecimal(9), r.getLong(10), r.getLong(11), r.getLong(12), r.getLong(13),
                            r.getDouble(14), r.getDouble(15), causes == null ? List.of() : List.of(causes),
                            counts == null ? List.of() : List.of(counts));
                });
    }
}
