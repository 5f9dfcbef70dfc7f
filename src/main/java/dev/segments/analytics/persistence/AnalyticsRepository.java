package dev.segments.analytics.persistence;

import dev.segments.analytics.AnalyticsModel;
import dev.segments.analytics.CustomerAnalytics;
import dev.segments.analytics.Freshness;
import dev.segments.analytics.RfmSegments;
import dev.segments.common.db.PreparedStatements;
import dev.segments.common.db.Transactions;
import dev.segments.rule.sql.SqlQuery;
import dev.segments.common.db.ReadPools;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * The analytics models' rows ({@code analytics_model}) and the customers' model values ({@code customer_score},
 * V21; the activity status is a {@code customer} column): one set-based statement per run and tenant, writing only
 * the customers whose values change, as upserts in customer id order (the order in which the per-customer write
 * path, which holds its customers' row locks, upserts them: a run and a write cannot deadlock each other). A run
 * takes no lock on the customer rows, so writes are not held up by it; a value that both a run and a write compute
 * (XYZ, the lead score) keeps the newer of the two, compared in the upsert on the row as committed.
 */
@ApplicationScoped
public class AnalyticsRepository {

    /**
     * An upsert into {@code customer_score} of the rows of {@code next} (alias n, its columns {@code id} and then
     * {@code values} in the order of {@code columns}), in id order; {@code set} overrides a column's update
     * (default: {@code excluded.<column>}).
     */
    private static String upsert(String columns, String values, Map<String, String> set) {
        String update = Arrays.stream(columns.split(",")).map(String::strip)
                .map(col -> col + " = " + set.getOrDefault(col, "excluded." + col))
                .collect(Collectors.joining(", "));
        return "insert into customer_score as cs (customer_id, " + columns + ")\n    select n.id, " + values
                + " from next n order by n.id\n    on conflict (customer_id) do update set " + update;
    }

    /** The RF grid as a SQL values list (constant text from {@link RfmSegments}). */
    private static final String CELLS = IntStream.rangeClosed(1, 5).boxed()
            .flatMap(r -> IntStream.rangeClosed(1, 5).mapToObj(f -> "(" + r + ", " + f + ", '" + RfmSegments.of(r, f) + "')"))
            .collect(Collectors.joining(", "));

    /**
     * RFM over the tenant's purchases at or after $2 (the window start) that count ($3 currency, $4 positive only):
     * per buyer the last purchase time, the number of purchases and their sum. Quintiles ($6 false): with n buyers
     * and k the number of buyers whose value is at most the customer's (ties included), the score is ceil(5k / n),
     * computed in integers. Thresholds ($6 true): 1 + the number of bounds reached ($7 recency instants, $8
     * frequency counts, $9 monetary amounts). Returns each rewritten customer's id and whether a value that rules
     * read (the scores or the segment) changed; $5 is the run's clock.
     */
    private static final String RECOMPUTE_RFM = """
            with counted as (
                select p.customer_id, max(p.occurred_at) as last_at, count(*) as n, sum(p.amount) as total
                from purchase p
                where p.tenant_id = $1 and p.occurred_at >= $2
                  and ($3::text is null or p.currency = $3) and (not $4::boolean or p.amount > 0)
                group by p.customer_id
            ), scored as (
                select customer_id, total,
                       case when $6::boolean then 1 + (select count(*) from unnest($7::timestamptz[]) b where last_at >= b)
                            else (5 * count(*) over wr + count(*) over wall - 1) / count(*) over wall end as r,
                       case when $6::boolean then 1 + (select count(*) from unnest($8::numeric[]) b where n >= b)
                            else (5 * count(*) over wf + count(*) over wall - 1) / count(*) over wall end as f,
                       case when $6::boolean then 1 + (select count(*) from unnest($9::numeric[]) b where total >= b)
                            else (5 * count(*) over wm + count(*) over wall - 1) / count(*) over wall end as m
                from counted
                window wall as (), wr as (order by last_at), wf as (order by n), wm as (order by total)
            ), cells(r, f, segment) as (values %s
            ), next as (
                select c.id, s.r::smallint as r, s.f::smallint as f, s.m::smallint as m, cells.segment, s.total,
                       (cs.rfm_recency, cs.rfm_frequency, cs.rfm_monetary, cs.rfm_segment)
                           is distinct from (s.r::smallint, s.f::smallint, s.m::smallint, cells.segment) as scores_changed
                from customer c
                left join customer_score cs on cs.customer_id = c.id
                left join scored s on s.customer_id = c.id
                left join cells on cells.r = s.r and cells.f = s.f
                where c.tenant_id = $1
                  and (cs.rfm_recency, cs.rfm_frequency, cs.rfm_monetary, cs.rfm_segment, cs.rfm_monetary_value)
                      is distinct from (s.r::smallint, s.f::smallint, s.m::smallint, cells.segment, s.total)
            ), written as (
                %s
            )
            select n.id, n.scores_changed from next n""".formatted(CELLS, upsert(
            "rfm_recency, rfm_frequency, rfm_monetary, rfm_score, rfm_segment, rfm_monetary_value, rfm_computed_at",
            "n.r, n.f, n.m, n.r::text || n.f::text || n.m::text, n.segment, n.total, $5", Map.of()));

    /** Every customer's activity status at $3 under configuration $2; rewrites and returns the ones that change. */
    private static final String RECOMPUTE_ACTIVITY = """
            with next as (
                select c.id, s.status
                from customer c
                cross join lateral (select analytics_activity_status($2::text::jsonb, c.created_at, c.last_seen_at,
                                                                     c.last_purchase_at, $3) as status) s
                where c.tenant_id = $1 and c.activity_status <> s.status
                order by c.id
                for update of c
            )
            update customer c set activity_status = n.status, activity_computed_at = $3
            from next n
            where c.tenant_id = $1 and c.id = n.id
            returning c.id, true""";

    /**
     * The XYZ class and coefficient of variation from a customer's series over {@code %1$s} periods (N) with bounds
     * {@code %2$s} (x) and {@code %3$s} (y), given per customer {@code periods} (periods with counted purchases),
     * {@code s1} (their revenue) and {@code s2} (the sum of the squares of the per-period revenues): none without
     * periods; Z with fewer than two or a revenue that is not positive; else, with cv^2 = (N s2 - s1^2) / s1^2
     * compared exactly (no root), X when cv < x, Y when cv <= y, Z above. The same text serves the run and the
     * write path (docs/analytics.md).
     */
    private static final String XYZ_CLASS = """
            case when pc.periods is null or pc.periods = 0 then null
                 when pc.periods < 2 or pc.s1 <= 0 then 'Z'
                 when %1$s * pc.s2 - pc.s1 * pc.s1 < %2$s * %2$s * pc.s1 * pc.s1 then 'X'
                 when %1$s * pc.s2 - pc.s1 * pc.s1 <= %3$s * %3$s * pc.s1 * pc.s1 then 'Y'
                 else 'Z' end""";

    private static final String XYZ_CV = """
            case when pc.periods >= 2 and pc.s1 > 0
                 then round(sqrt(greatest(%1$s * pc.s2 - pc.s1 * pc.s1, 0)) / pc.s1, 6) end""";

    /** In an upsert of XYZ: the stored XYZ column when a write computed it after the upserted one, else the new. */
    private static final String NEWER_XYZ =
            "case when cs.xyz_computed_at > excluded.xyz_computed_at then cs.%1$s else excluded.%1$s end";

    /** Which purchases count ($3 currency, $4 positive only), over purchase alias p. */
    private static final String COUNTED = "($3::text is null or p.currency = $3) and (not $4::boolean or p.amount > 0)";

    /** Whether every purchase counts ({@link #COUNTED} true for every row): the purchase rollups are then the counted ones. */
    private static final String COUNTS_ALL = "($3::text is null and not $4::boolean)";

    /**
     * ABC and XYZ over the tenant ($1) in one pass over its counted purchases ({@link #COUNTED}) since the earlier
     * of $2 (the ABC window's start) and $6 (the XYZ horizon's start, inclusive; $7 its end, exclusive; $8 the
     * period, a date_trunc unit over UTC; $9 the number of periods). ABC over the customers with counted purchases
     * in the window, from the highest revenue down: "above" is the revenue of the customers with a strictly higher
     * one (ties share a class); A while above < $10 x total, B while above < $11 x total, C otherwise and for a
     * revenue that is not positive; total is the sum of the positive revenues. XYZ: {@link #XYZ_CLASS} with $12,
     * $13. A customer a purchase write gave a newer XYZ after the run's clock $5 keeps it. Returns each rewritten
     * customer's id and whether a rule-visible class changed.
     */
    private static final String RECOMPUTE_ABC_XYZ = """
            with per_period as (
                select p.customer_id,
                       case when p.occurred_at >= $6 and p.occurred_at < $7
                            then date_trunc($8::text, p.occurred_at at time zone 'UTC') end as period,
                       sum(p.amount) filter (where p.occurred_at >= $2) as revenue,
                       count(*) filter (where p.occurred_at >= $2) as in_window,
                       sum(p.amount) as total
                from purchase p
                where p.tenant_id = $1 and p.occurred_at >= least($2::timestamptz, $6::timestamptz) and %1$s
                group by 1, 2
            ), pc as (
                select customer_id, sum(revenue) as revenue, sum(in_window) as in_window, count(period) as periods,
                       sum(total) filter (where period is not null) as s1,
                       sum(total * total) filter (where period is not null) as s2
                from per_period group by customer_id
            ), ranked as (
                -- above: the running sum through the customer's peer group (equal revenues) less that group's own
                -- sum, both in one pass; a frame with "exclude group" would be recomputed row by row (quadratic:
                -- the statement did not finish in 5 minutes at 1M customers)
                select customer_id, revenue,
                       sum(revenue) over (order by revenue desc) - sum(revenue) over (partition by revenue) as above,
                       sum(revenue) filter (where revenue > 0) over () as total
                from pc where in_window > 0
            ), classes as (
                select pc.customer_id, r.revenue as abc_revenue,
                       case when r.customer_id is null then null
                            when r.revenue > 0 and r.above < $10::numeric * r.total then 'A'
                            when r.revenue > 0 and r.above < $11::numeric * r.total then 'B'
                            else 'C' end as abc,
                       %2$s as xyz,
                       %3$s as cv,
                       nullif(pc.periods, 0)::int as periods
                from pc left join ranked r on r.customer_id = pc.customer_id
            ), next as (
                select c.id, cl.abc, cl.abc_revenue, v.xyz, v.cv, v.periods, v.xyz_at,
                       (cs.abc_class, cs.xyz_class) is distinct from (cl.abc, v.xyz) as changed
                from customer c
                left join customer_score cs on cs.customer_id = c.id
                left join classes cl on cl.customer_id = c.id
                cross join lateral (
                    select case when f.keep then cs.xyz_class else cl.xyz end as xyz,
                           case when f.keep then cs.xyz_cv else cl.cv end as cv,
                           case when f.keep then cs.xyz_periods else cl.periods end as periods,
                           case when f.keep then cs.xyz_computed_at else $5 end as xyz_at
                    from (select coalesce(cs.xyz_computed_at > $5, false) as keep) f) v
                where c.tenant_id = $1
                  and (cs.abc_class, cs.abc_revenue, cs.xyz_class, cs.xyz_cv, cs.xyz_periods)
                      is distinct from (cl.abc, cl.abc_revenue, v.xyz, v.cv, v.periods)
            ), written as (
                %4$s
            )
            select n.id, n.changed from next n"""
            .formatted(COUNTED, XYZ_CLASS.formatted("$9::numeric", "$12::numeric", "$13::numeric"),
                    XYZ_CV.formatted("$9::numeric"), upsert(
                            "abc_class, abc_revenue, abc_computed_at, xyz_class, xyz_cv, xyz_periods, xyz_computed_at, abc_xyz",
                            "n.abc, n.abc_revenue, $5, n.xyz, n.cv, n.periods, n.xyz_at, n.abc || n.xyz",
                            // a purchase write that computed a newer XYZ after the run's snapshot keeps it
                            Map.of("xyz_class", NEWER_XYZ.formatted("xyz_class"), "xyz_cv", NEWER_XYZ.formatted("xyz_cv"),
                                    "xyz_periods", NEWER_XYZ.formatted("xyz_periods"),
                                    "xyz_computed_at", NEWER_XYZ.formatted("xyz_computed_at"),
                                    "abc_xyz", "excluded.abc_class || " + NEWER_XYZ.formatted("xyz_class"))));

    /**
     * XYZ of some customers ($2) at the clock $5 (the write path after a purchase write): the per-period series
     * over the horizon [$6, $7) as {@link #RECOMPUTE_ABC_XYZ} computes it, abcXyz from the stored ABC class. The
     * customers are locked by the caller. Returns each rewritten customer's id and whether its class changed.
     */
    private static final String RECOMPUTE_XYZ = """
            with per_period as (
                select p.customer_id, date_trunc($8::text, p.occurred_at at time zone 'UTC') as period, sum(p.amount) as total
                from purchase p
                where p.tenant_id = $1 and p.customer_id = any($2::bigint[]) and p.occurred_at >= $6 and p.occurred_at < $7
                  and %1$s
                group by 1, 2
            ), pc as (
                select customer_id, count(*) as periods, sum(total) as s1, sum(total * total) as s2
                from per_period group by customer_id
            ), classes as (
                select pc.customer_id, %2$s as xyz, %3$s as cv, pc.periods::int as periods from pc
            ), next as (
                select c.id, cl.xyz, cl.cv, cl.periods, cs.xyz_class is distinct from cl.xyz as changed
                from customer c
                left join customer_score cs on cs.customer_id = c.id
                left join classes cl on cl.customer_id = c.id
                where c.tenant_id = $1 and c.id = any($2::bigint[])
                  and (cs.xyz_class, cs.xyz_cv, cs.xyz_periods) is distinct from (cl.xyz, cl.cv, cl.periods)
            ), written as (
                %4$s
            )
            select n.id, n.changed from next n"""
            .formatted(COUNTED, XYZ_CLASS.formatted("$9::numeric", "$10::numeric", "$11::numeric"),
                    XYZ_CV.formatted("$9::numeric"), upsert("xyz_class, xyz_cv, xyz_periods, xyz_computed_at, abc_xyz",
                            "n.xyz, n.cv, n.periods, $5::timestamptz, null::text",
                            Map.of("abc_xyz", "cs.abc_class || excluded.xyz_class")));

    /**
     * Value quadrants over the tenant ($1) at $5: the customers with counted purchases ({@link #COUNTED}) at or
     * after $2; value = that revenue; time to value = first counted purchase (any time) minus first contact, the
     * earliest of createdAt, the first interaction or event (the rollup {@code first_touch_at}) and that first
     * purchase (the rollup {@code first_purchase_at} when every purchase counts). big when the value is
     * at least $6 (null: the median of the customers' values), soon when the first purchase is at most $7 (an
     * ISO-8601 duration, calendar-aware in UTC; null: the median time) after the first contact. Medians are exact:
     * the middle value, or the mean of the two middle ones. Returns each rewritten customer's id and whether its
     * quadrant changed.
     */
    private static final String RECOMPUTE_VALUE = """
            with counted as (
                -- the window's purchases only, by time (purchase_tenant_occurred)
                select p.customer_id, sum(p.amount) as revenue
                from purchase p
                where p.tenant_id = $1 and p.occurred_at >= $2 and %1$s
                group by p.customer_id
            ), measured as (
                select k.customer_id, k.revenue, fp.at as first_purchase, f.first_contact,
                       extract(epoch from (fp.at - f.first_contact)) as seconds
                from counted k
                join customer c on c.tenant_id = $1 and c.id = k.customer_id
                -- every purchase counts: the rollup; else the customer's first counted one (purchase_customer, in time order)
                cross join lateral (select case when %3$s then c.first_purchase_at
                                                else (select min(p.occurred_at) from purchase p
                                                      where p.tenant_id = $1 and p.customer_id = k.customer_id and %1$s)
                                           end as at) fp
                -- first_touch_at: the rollup of the first interaction or event (V24)
                cross join lateral (select least(c.created_at, fp.at, c.first_touch_at) as first_contact) f
            ), ranked as (
                select revenue, seconds, row_number() over (order by revenue) as rv, row_number() over (order by seconds) as rs,
                       count(*) over () as n
                from measured
            ), medians as (
                select avg(revenue) filter (where rv in ((n + 1) / 2, (n + 2) / 2)) as revenue,
                       avg(seconds) filter (where rs in ((n + 1) / 2, (n + 2) / 2)) as seconds
                from ranked
            ), classed as (
                select m.customer_id, m.revenue, round(m.seconds / 86400, 2) as days,
                       case when m.revenue >= coalesce($6::numeric, md.revenue) then 'big' else 'small' end
                       || case when ($7::text is null and m.seconds <= md.seconds)
                                 or ($7::text is not null and m.first_purchase
                                     <= ((m.first_contact at time zone 'UTC') + $7::text::interval) at time zone 'UTC')
                               then 'Soon' else 'Late' end as quadrant
                from measured m cross join medians md
            ), next as (
                select c.id, q.quadrant, q.revenue, q.days, cs.value_quadrant is distinct from q.quadrant as changed
                from customer c
                left join customer_score cs on cs.customer_id = c.id
                left join classed q on q.customer_id = c.id
                where c.tenant_id = $1
                  and (cs.value_quadrant, cs.value_revenue, cs.value_days) is distinct from (q.quadrant, q.revenue, q.days)
            ), written as (
                %2$s
            )
            select n.id, n.changed from next n""".formatted(COUNTED, upsert(
            "value_quadrant, value_revenue, value_days, value_computed_at", "n.quadrant, n.revenue, n.days, $5", Map.of()),
            COUNTS_ALL);

    /** A lead-scoring model without rules: nobody has a score. */
    private static final String CLEAR_LEAD_SCORES = """
            with next as (
                select cs.customer_id as id from customer_score cs join customer c on c.id = cs.customer_id
                where c.tenant_id = $1 and cs.lead_score is not null order by cs.customer_id for update of cs
            )
            update customer_score cs set lead_score = null, lead_temperature = null, lead_computed_at = $2
            from next n where cs.customer_id = n.id
            returning cs.customer_id, true""";

    /** A model's row: its saved configuration (null: defaults) and version, and the freshness of its last run. */
    public record StoredModel(String configJson, long version, Freshness freshness) {
        public static final StoredModel NONE = new StoredModel(null, 0, new Freshness(null, null, null, null));
    }

    /** A run's outcome: the customers rewritten, and among them those whose rule-visible values changed. */
    public record Run(int rewritten, List<Long> changed) {
        public static final Run NONE = new Run(0, List.of());

    }

    private final Pool pool;
    private final ReadPools reads;

    AnalyticsRepository(Pool pool, ReadPools reads) {
        this.pool = pool;
        this.reads = reads;
    }

    public Uni<StoredModel> find(long tenantId, AnalyticsModel model) {
        return reads.read(pool -> pool.preparedQuery("select config::text, version, computed_at, duration_ms, changed_count, next_run_at"
                        + " from analytics_model where tenant_id = $1 and model = $2")
                .execute(Tuple.of(tenantId, model.json()))
                .map(rows -> rows.size() == 0 ? StoredModel.NONE : stored(rows.iterator().next())));
    }

    /**
     * Saves a configuration when the stored version is {@code expectedVersion} (null: any; 0: never saved);
     * returns the new version, or empty on a version mismatch.
     */
    public Uni<Optional<Long>> save(long tenantId, AnalyticsModel model, String configJson, Long expectedVersion) {
        return pool.withTransaction(conn -> conn.preparedQuery("select pg_advisory_xact_lock(hashtextextended($3, 0)),"
                                + " (select version from analytics_model where tenant_id = $1 and model = $2)")
                .execute(Tuple.of(tenantId, model.json(), "analytics-config:" + model.json() + ":" + tenantId))
                .chain(rows -> {
                    Long current = rows.iterator().next().getLong(1);
                    if (expectedVersion != null && expectedVersion != (current == null ? 0 : current)) {
                        return Uni.createFrom().item(Optional.<Long>empty());
                    }
                    return conn.preparedQuery("""
                                    insert into analytics_model as m (tenant_id, model, config, version)
                                    values ($1, $2, $3::text::jsonb, 1)
                                    on conflict (tenant_id, model) do update set config = excluded.config,
                                        version = m.version + 1, updated_at = now()
                                    returning version""")
                            .execute(Tuple.of(tenantId, model.json(), configJson))
                            .map(r -> Optional.of(r.iterator().next().getLong(0)));
                }));
    }

    /**
     * Runs work in a transaction holding the model's lock for this tenant (two runs of one model never overlap),
     * with a statement timeout.
     */
    public <T> Uni<T> locked(long tenantId, AnalyticsModel model, String statementTimeout,
                             Function<SqlConnection, Uni<T>> work) {
        // the timeout is set by the lock's statement: it bounds the run, not the wait for the model's other run
        return Transactions.run(pool, "begin", conn -> conn.preparedQuery(
                        "select set_config('statement_timeout', $1, true), pg_advisory_xact_lock(hashtextextended($2, 0))")
                .execute(Tuple.of(statementTimeout, "analytics:" + model.json() + ":" + tenantId))
                .chain(() -> work.apply(conn)));
    }

    /** RFM for the whole tenant (see {@link #RECOMPUTE_RFM}). */
    public Uni<Run> recomputeRfm(SqlConnection conn, long tenantId, OffsetDateTime windowStart, String currency,
                                 boolean positiveOnly, OffsetDateTime at, boolean thresholds,
                                 OffsetDateTime[] recencyBounds, BigDecimal[] frequencyBounds, BigDecimal[] monetaryBounds) {
        return conn.preparedQuery(RECOMPUTE_RFM)
                .execute(Tuple.from(Arrays.asList(tenantId, windowStart, currency, positiveOnly, at, thresholds,
                        recencyBounds, frequencyBounds, monetaryBounds)))
                .map(AnalyticsRepository::run);
    }

    /** Activity status for the whole tenant at {@code at}. */
    public Uni<Run> recomputeActivity(SqlConnection conn, long tenantId, String configJson, OffsetDateTime at) {
        return conn.preparedQuery(RECOMPUTE_ACTIVITY).execute(Tuple.of(tenantId, configJson, at))
                .map(AnalyticsRepository::run);
    }

    /** ABC and XYZ for the whole tenant (see {@link #RECOMPUTE_ABC_XYZ}). */
    public Uni<Run> recomputeAbcXyz(SqlConnection conn, long tenantId, OffsetDateTime windowStart, String currency,
                                    boolean positiveOnly, OffsetDateTime at, XyzHorizon horizon, BigDecimal a, BigDecimal b,
                                    BigDecimal x, BigDecimal y) {
        return conn.preparedQuery(RECOMPUTE_ABC_XYZ)
                .execute(Tuple.from(Arrays.asList(tenantId, windowStart, currency, positiveOnly, at, horizon.start(),
                        horizon.end(), horizon.unit(), horizon.periods(), a, b, x, y)))
                .map(AnalyticsRepository::run);
    }

    /** The XYZ series' calendar: [start, end) in {@code periods} periods of {@code unit} (a date_trunc unit, UTC). */
    public record XyzHorizon(OffsetDateTime start, OffsetDateTime end, String unit, int periods) {
    }

    /** XYZ of these (locked) customers at {@code at} (see {@link #RECOMPUTE_XYZ}). */
    public Uni<Run> recomputeXyz(SqlConnection conn, long tenantId, List<Long> ids, String currency, boolean positiveOnly,
                                 OffsetDateTime at, XyzHorizon horizon, BigDecimal x, BigDecimal y) {
        return conn.preparedQuery(RECOMPUTE_XYZ)
                .execute(Tuple.from(Arrays.asList(tenantId, ids.toArray(Long[]::new), currency, positiveOnly, at,
                        horizon.start(), horizon.end(), horizon.unit(), horizon.periods(), x, y)))
                .map(AnalyticsRepository::run);
    }

    /** Value quadrants for the whole tenant (see {@link #RECOMPUTE_VALUE}); null thresholds split at the median. */
    public Uni<Run> recomputeValue(SqlConnection conn, long tenantId, OffsetDateTime windowStart, String currency,
                                   boolean positiveOnly, OffsetDateTime at, BigDecimal valueThreshold, String timeThreshold) {
        return conn.preparedQuery(RECOMPUTE_VALUE)
                .execute(Tuple.from(Arrays.asList(tenantId, windowStart, currency, positiveOnly, at, valueThreshold,
                        timeThreshold)))
                .map(AnalyticsRepository::run);
    }

    /**
     * Lead scores by a compiled scoring statement ({@code QueryShapes.leadScores}), run as it is; one for a few
     * customers stays prepared on the connection (a generic plan, see {@link #withCustomersLocked}).
     */
    public Uni<Run> rescore(SqlConnection conn, SqlQuery scoring, boolean fewCustomers) {
        String sql = fewCustomers ? PreparedStatements.KEEP + scoring.sql() : scoring.sql();
        return conn.preparedQuery(sql).execute(Tuple.from(scoring.params())).map(AnalyticsRepository::run);
    }

    /** No scoring rules: every score of the tenant is cleared. */
    public Uni<Run> clearLeadScores(SqlConnection conn, long tenantId, OffsetDateTime at) {
        return conn.preparedQuery(CLEAR_LEAD_SCORES).execute(Tuple.of(tenantId, at)).map(AnalyticsRepository::run);
    }

    /**
     * Runs work in a transaction that first locks these customers (in id order, as activity writes lock them), so
     * the per-customer models recompute them from data no concurrent writer changes.
     */
    public <T> Uni<T> withCustomersLocked(long tenantId, List<Long> ids, String statementTimeout,
                                          Function<SqlConnection, Uni<T>> work) {
        return Transactions.run(pool, Transactions.begin("begin", "statement_timeout", statementTimeout,
                        "plan_cache_mode", PreparedStatements.planCacheMode(ids.size()),
                        "random_page_cost", PreparedStatements.randomPageCost(ids.size())),
                conn -> conn.preparedQuery(
                                "select id from customer where tenant_id = $1 and id = any($2::bigint[]) order by id for update")
                        .execute(Tuple.of(tenantId, ids.toArray(Long[]::new)))
                        .chain(() -> work.apply(conn)));
    }

    /** The configurations of these models (absent: never saved, the defaults), with their versions. */
    public Uni<Map<AnalyticsModel, StoredModel>> find(long tenantId, List<AnalyticsModel> models) {
        return pool.preparedQuery("select model, config::text, version, computed_at, duration_ms, changed_count, next_run_at"
                        + " from analytics_model where tenant_id = $1 and model = any($2::text[])")
                .execute(Tuple.of(tenantId, models.stream().map(AnalyticsModel::json).toArray(String[]::new)))
                .map(rows -> {
                    Map<AnalyticsModel, StoredModel> out = new java.util.EnumMap<>(AnalyticsModel.class);
                    models.forEach(m -> out.put(m, StoredModel.NONE));
                    for (Row r : rows) {
                        out.put(AnalyticsModel.fromJson(r.getString(0)).orElseThrow(), new StoredModel(r.getString(1),
                                r.getLong(2), new Freshness(r.getOffsetDateTime(3), r.getLong(4), r.getInteger(5),
                                r.getOffsetDateTime(6))));
                    }
                    return out;
                });
    }

    /** Makes a model due at the scheduler's next round (after a per-customer update failed). */
    public Uni<Void> makeDue(long tenantId, AnalyticsModel model, OffsetDateTime now) {
        return pool.preparedQuery("update analytics_model set next_run_at = least(next_run_at, $3)"
                        + " where tenant_id = $1 and model = $2")
                .execute(Tuple.of(tenantId, model.json(), now)).replaceWithVoid();
    }

    /** Records a run's freshness (the row is created with the defaults' version 0 when never saved). */
    public Uni<Void> saveRun(SqlConnection conn, long tenantId, AnalyticsModel model, OffsetDateTime computedAt,
                             long durationMs, int changed, OffsetDateTime nextRunAt) {
        return conn.preparedQuery("""
                        insert into analytics_model as m (tenant_id, model, computed_at, duration_ms, changed_count, next_run_at)
                        values ($1, $2, $3, $4, $5, $6)
                        on conflict (tenant_id, model) do update set computed_at = excluded.computed_at,
                            duration_ms = excluded.duration_ms, changed_count = excluded.changed_count,
                            next_run_at = excluded.next_run_at""")
                .execute(Tuple.from(Arrays.asList(tenantId, model.json(), computedAt, durationMs, changed, nextRunAt)))
                .replaceWithVoid();
    }

    /** A due run: tenant and model. */
    public record Due(long tenantId, AnalyticsModel model) {
    }

    /**
     * The runs due at {@code now}: every model whose next run is due, and every model of a tenant that never ran
     * (the defaults schedule a run).
     */
    public Uni<List<Due>> due(OffsetDateTime now) {
        return pool.preparedQuery("""
                        select t.id, m.model from tenant t
                        cross join unnest($2::text[]) as m(model)
                        left join analytics_model a on a.tenant_id = t.id and a.model = m.model
                        where a.tenant_id is null or a.computed_at is null or a.next_run_at <= $1
                        order by t.id, m.model""")
                .execute(Tuple.of(now, Arrays.stream(AnalyticsModel.values()).map(AnalyticsModel::json).toArray(String[]::new)))
                .map(rows -> {
                    List<Due> out = new ArrayList<>();
                    rows.forEach(r -> out.add(new Due(r.getLong(0), AnalyticsModel.fromJson(r.getString(1)).orElseThrow())));
                    return out;
                });
    }

    /** Customers and counted revenue per (recency, frequency) cell of the customers with RFM scores. */
    public record CellRow(int recency, int frequency, long customers, BigDecimal revenue) {
    }

    public Uni<List<CellRow>> rfmCells(long tenantId) {
        return reads.read(pool -> pool.preparedQuery("""
                        select cs.rfm_recency, cs.rfm_frequency, count(*), coalesce(sum(cs.rfm_monetary_value), 0)
                        from customer c join customer_score cs on cs.customer_id = c.id
                        where c.tenant_id = $1 and cs.rfm_recency is not null
                        group by cs.rfm_recency, cs.rfm_frequency""")
                .execute(Tuple.of(tenantId))
                .map(rows -> {
                    List<CellRow> out = new ArrayList<>();
                    rows.forEach(r -> out.add(new CellRow(r.getInteger(0), r.getInteger(1), r.getLong(2), r.getBigDecimal(3))));
                    return out;
                }));
    }

    /** Customers and counted revenue per (ABC class, XYZ class), either may be null (but not both). */
    public record ClassRow(String abc, String xyz, long customers, BigDecimal revenue) {
    }

    public Uni<List<ClassRow>> abcXyzCells(long tenantId) {
        return reads.read(pool -> pool.preparedQuery("""
                        select cs.abc_class, cs.xyz_class, count(*), coalesce(sum(cs.abc_revenue), 0)
                        from customer c join customer_score cs on cs.customer_id = c.id
                        where c.tenant_id = $1 and (cs.abc_class is not null or cs.xyz_class is not null) group by 1, 2""")
                .execute(Tuple.of(tenantId))
                .map(rows -> {
                    List<ClassRow> out = new ArrayList<>();
                    rows.forEach(r -> out.add(new ClassRow(r.getString(0), r.getString(1), r.getLong(2), r.getBigDecimal(3))));
                    return out;
                }));
    }

    /** The stored lead scores: count, min, max, mean, per temperature, and per bucket of {@code width}. */
    public record LeadRows(long customers, BigDecimal min, BigDecimal max, BigDecimal average, Map<String, Long> temperatures,
                           Map<BigDecimal, Long> buckets) {
    }

    public Uni<LeadRows> leadScores(long tenantId, BigDecimal width) {
        return reads.read(pool -> pool.preparedQuery("""
                        select count(lead_score), min(lead_score), max(lead_score), round(avg(lead_score), 2),
                               count(*) filter (where lead_temperature = 'hot'), count(*) filter (where lead_temperature = 'warm'),
                               count(*) filter (where lead_temperature = 'cold')
                        from customer c join customer_score cs on cs.customer_id = c.id where c.tenant_id = $1""")
                .execute(Tuple.of(tenantId))
                .chain(summary -> pool.preparedQuery("""
                                select floor(cs.lead_score / $2) * $2, count(*)
                                from customer c join customer_score cs on cs.customer_id = c.id
                                where c.tenant_id = $1 and cs.lead_score is not null group by 1 order by 1""")
                        .execute(Tuple.of(tenantId, width))
                        .map(rows -> {
                            Row s0 = summary.iterator().next();
                            Map<String, Long> temperatures = new java.util.LinkedHashMap<>();
                            temperatures.put("hot", s0.getLong(4));
                            temperatures.put("warm", s0.getLong(5));
                            temperatures.put("cold", s0.getLong(6));
                            Map<BigDecimal, Long> buckets = new java.util.LinkedHashMap<>();
                            rows.forEach(r -> buckets.put(r.getBigDecimal(0), r.getLong(1)));
                            return new LeadRows(s0.getLong(0), s0.getBigDecimal(1), s0.getBigDecimal(2), s0.getBigDecimal(3),
                                    temperatures, buckets);
                        })));
    }

    /** Customers and revenue per value quadrant, and the exact medians of the stored revenue and days to value. */
    public record ValueRows(Map<String, long[]> customers, Map<String, BigDecimal> revenue, BigDecimal medianRevenue,
                            BigDecimal medianDays) {
    }

    public Uni<ValueRows> valueQuadrants(long tenantId) {
        return reads.read(pool -> pool.preparedQuery("""
                        select cs.value_quadrant, count(*), coalesce(sum(cs.value_revenue), 0)
                        from customer c join customer_score cs on cs.customer_id = c.id
                        where c.tenant_id = $1 and cs.value_quadrant is not null group by 1""")
                .execute(Tuple.of(tenantId))
                .chain(quadrants -> pool.preparedQuery("""
                                with ranked as (
                                    select value_revenue, value_days, row_number() over (order by value_revenue) as rv,
                                           row_number() over (order by value_days) as rd, count(*) over () as n
                                    from customer c join customer_score cs on cs.customer_id = c.id
                                    where c.tenant_id = $1 and cs.value_quadrant is not null)
                                select avg(value_revenue) filter (where rv in ((n + 1) / 2, (n + 2) / 2)),
                                       round(avg(value_days) filter (where rd in ((n + 1) / 2, (n + 2) / 2)), 2)
                                from ranked""")
                        .execute(Tuple.of(tenantId))
                        .map(medians -> {
                            Map<String, long[]> customers = new HashMap<>();
                            Map<String, BigDecimal> revenue = new HashMap<>();
                            quadrants.forEach(r -> {
                                customers.put(r.getString(0), new long[]{r.getLong(1)});
                                revenue.put(r.getString(0), r.getBigDecimal(2));
                            });
                            Row m = medians.iterator().next();
                            return new ValueRows(customers, revenue, m.getBigDecimal(0), m.getBigDecimal(1));
                        })));
    }

    /** Customers per activity status. */
    public Uni<Map<String, Long>> activityCounts(long tenantId) {
        return reads.read(pool -> pool.preparedQuery("select activity_status, count(*) from customer where tenant_id = $1 group by 1")
                .execute(Tuple.of(tenantId))
                .map(rows -> {
                    Map<String, Long> out = new HashMap<>();
                    rows.forEach(r -> out.put(r.getString(0), r.getLong(1)));
                    return out;
                }));
    }

    /**
     * The analytics values of these customers in one statement, by customer id (absent: no such customer). A value
     * is as of the later of the customer's own computation and the model's last run (a run rewrites only the
     * customers it changes, and confirms the others).
     */
    public Uni<Map<Long, CustomerAnalytics>> customers(long tenantId, List<Long> ids) {
        return pool.preparedQuery("""
                        select c.id, cs.rfm_recency, cs.rfm_frequency, cs.rfm_monetary, cs.rfm_score, cs.rfm_segment,
                               cs.rfm_monetary_value, greatest(cs.rfm_computed_at, r.computed_at) as rfm_at,
                               c.activity_status, greatest(c.activity_computed_at, a.computed_at) as activity_at,
                               cs.abc_class, cs.xyz_class, cs.abc_xyz, cs.abc_revenue, cs.xyz_cv, cs.xyz_periods,
                               greatest(cs.abc_computed_at, cs.xyz_computed_at, x.computed_at) as abc_xyz_at,
                               cs.lead_score, cs.lead_temperature, greatest(cs.lead_computed_at, l.computed_at) as lead_at,
                               cs.value_quadrant, cs.value_revenue, cs.value_days,
                               greatest(cs.value_computed_at, v.computed_at) as value_at
                        from customer c
                        left join customer_score cs on cs.customer_id = c.id
                        left join analytics_model r on r.tenant_id = c.tenant_id and r.model = 'rfm'
                        left join analytics_model a on a.tenant_id = c.tenant_id and a.model = 'activity'
                        left join analytics_model x on x.tenant_id = c.tenant_id and x.model = 'abc-xyz'
                        left join analytics_model l on l.tenant_id = c.tenant_id and l.model = 'lead-scoring'
                        left join analytics_model v on v.tenant_id = c.tenant_id and v.model = 'value-quadrants'
                        where c.tenant_id = $1 and c.id = any($2::bigint[])""")
                .execute(Tuple.of(tenantId, ids.toArray(Long[]::new)))
                .map(rows -> {
                    Map<Long, CustomerAnalytics> out = new HashMap<>();
                    for (Row r : rows) {
                        CustomerAnalytics.Rfm rfm = r.getInteger("rfm_recency") == null ? null : new CustomerAnalytics.Rfm(
                                r.getInteger("rfm_recency"), r.getInteger("rfm_frequency"), r.getInteger("rfm_monetary"),
                                r.getString("rfm_score"), r.getString("rfm_segment"), r.getBigDecimal("rfm_monetary_value"),
                                r.getOffsetDateTime("rfm_at"));
                        CustomerAnalytics.AbcXyz abcXyz = r.getString("abc_class") == null && r.getString("xyz_class") == null
                                ? null : new CustomerAnalytics.AbcXyz(r.getString("abc_class"), r.getString("xyz_class"),
                                r.getString("abc_xyz"), r.getBigDecimal("abc_revenue"), r.getBigDecimal("xyz_cv"),
                                r.getInteger("xyz_periods"), r.getOffsetDateTime("abc_xyz_at"));
                        CustomerAnalytics.Lead lead = r.getBigDecimal("lead_score") == null ? null : new CustomerAnalytics.Lead(
                                r.getBigDecimal("lead_score"), r.getString("lead_temperature"), r.getOffsetDateTime("lead_at"));
                        CustomerAnalytics.Value value = r.getString("value_quadrant") == null ? null : new CustomerAnalytics.Value(
                                r.getString("value_quadrant"), r.getBigDecimal("value_revenue"), r.getBigDecimal("value_days"),
                                r.getOffsetDateTime("value_at"));
                        out.put(r.getLong("id"), new CustomerAnalytics(r.getLong("id"), rfm, new CustomerAnalytics.Activity(
                                r.getString("activity_status"), r.getOffsetDateTime("activity_at")), abcXyz, lead, value));
                    }
                    return out;
                });
    }

    private static Run run(io.vertx.mutiny.sqlclient.RowSet<Row> rows) {
        List<Long> changed = new ArrayList<>();
        rows.forEach(r -> {
            if (r.getBoolean(1)) changed.add(r.getLong(0));
        });
        return new Run(rows.rowCount(), changed);
    }

    private static StoredModel stored(Row r) {
        return new StoredModel(r.getString(0), r.getLong(1), new Freshness(r.getOffsetDateTime(2),
                r.getLong(3), r.getInteger(4), r.getOffsetDateTime(5)));
    }
}
