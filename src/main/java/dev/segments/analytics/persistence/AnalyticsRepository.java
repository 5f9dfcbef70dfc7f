package dev.segments.analytics.persistence;

import dev.segments.analytics.AnalyticsModel;
import dev.segments.analytics.CustomerAnalytics;
import dev.segments.analytics.Freshness;
import dev.segments.analytics.RfmSegments;
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
 * The analytics models' rows ({@code analytics_model}) and the analytics columns of {@code customer}: one
 * set-based statement per run and tenant, writing only the customers whose values change, locked in id order
 * (the order activity writes lock customers in, so a run and a write cannot deadlock each other).
 */
@ApplicationScoped
public class AnalyticsRepository {

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
                       (c.rfm_recency, c.rfm_frequency, c.rfm_monetary, c.rfm_segment)
                           is distinct from (s.r::smallint, s.f::smallint, s.m::smallint, cells.segment) as scores_changed
                from customer c
                left join scored s on s.customer_id = c.id
                left join cells on cells.r = s.r and cells.f = s.f
                where c.tenant_id = $1
                  and (c.rfm_recency, c.rfm_frequency, c.rfm_monetary, c.rfm_segment, c.rfm_monetary_value)
                      is distinct from (s.r::smallint, s.f::smallint, s.m::smallint, cells.segment, s.total)
                order by c.id
                for update of c
            )
            update customer c set rfm_recency = n.r, rfm_frequency = n.f, rfm_monetary = n.m,
                rfm_score = n.r::text || n.f::text || n.m::text, rfm_segment = n.segment, rfm_monetary_value = n.total,
                rfm_computed_at = $5
            from next n
            where c.tenant_id = $1 and c.id = n.id
            returning c.id, n.scores_changed""".formatted(CELLS);

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

    /** A model's row: its saved configuration (null: defaults) and version, and the freshness of its last run. */
    public record StoredModel(String configJson, long version, Freshness freshness) {
        public static final StoredModel NONE = new StoredModel(null, 0, new Freshness(null, null, null, null));
    }

    /** A run's outcome: the customers rewritten, and among them those whose rule-visible values changed. */
    public record Run(int rewritten, List<Long> changed) {
    }

    private final Pool pool;

    AnalyticsRepository(Pool pool) {
        this.pool = pool;
    }

    public Uni<StoredModel> find(long tenantId, AnalyticsModel model) {
        return pool.preparedQuery("select config::text, version, computed_at, duration_ms, changed_count, next_run_at"
                        + " from analytics_model where tenant_id = $1 and model = $2")
                .execute(Tuple.of(tenantId, model.json()))
                .map(rows -> rows.size() == 0 ? StoredModel.NONE : stored(rows.iterator().next()));
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
        return pool.withTransaction(conn -> conn.preparedQuery("select set_config('statement_timeout', $1, true),"
                                + " pg_advisory_xact_lock(hashtextextended($2, 0))")
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
                        cross join (values ('rfm'), ('activity')) as m(model)
                        left join analytics_model a on a.tenant_id = t.id and a.model = m.model
                        where a.tenant_id is null or a.computed_at is null or a.next_run_at <= $1
                        order by t.id, m.model""")
                .execute(Tuple.of(now))
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
        return pool.preparedQuery("""
                        select rfm_recency, rfm_frequency, count(*), coalesce(sum(rfm_monetary_value), 0)
                        from customer where tenant_id = $1 and rfm_recency is not null
                        group by rfm_recency, rfm_frequency""")
                .execute(Tuple.of(tenantId))
                .map(rows -> {
                    List<CellRow> out = new ArrayList<>();
                    rows.forEach(r -> out.add(new CellRow(r.getInteger(0), r.getInteger(1), r.getLong(2), r.getBigDecimal(3))));
                    return out;
                });
    }

    /** Customers per activity status. */
    public Uni<Map<String, Long>> activityCounts(long tenantId) {
        return pool.preparedQuery("select activity_status, count(*) from customer where tenant_id = $1 group by 1")
                .execute(Tuple.of(tenantId))
                .map(rows -> {
                    Map<String, Long> out = new HashMap<>();
                    rows.forEach(r -> out.put(r.getString(0), r.getLong(1)));
                    return out;
                });
    }

    /**
     * The analytics values of these customers in one statement, by customer id (absent: no such customer). A value
     * is as of the later of the customer's own computation and the model's last run (a run rewrites only the
     * customers it changes, and confirms the others).
     */
    public Uni<Map<Long, CustomerAnalytics>> customers(long tenantId, List<Long> ids) {
        return pool.preparedQuery("""
                        select c.id, c.rfm_recency, c.rfm_frequency, c.rfm_monetary, c.rfm_score, c.rfm_segment,
                               c.rfm_monetary_value, greatest(c.rfm_computed_at, r.computed_at) as rfm_at,
                               c.activity_status, greatest(c.activity_computed_at, a.computed_at) as activity_at
                        from customer c
                        left join analytics_model r on r.tenant_id = c.tenant_id and r.model = 'rfm'
                        left join analytics_model a on a.tenant_id = c.tenant_id and a.model = 'activity'
                        where c.tenant_id = $1 and c.id = any($2::bigint[])""")
                .execute(Tuple.of(tenantId, ids.toArray(Long[]::new)))
                .map(rows -> {
                    Map<Long, CustomerAnalytics> out = new HashMap<>();
                    for (Row r : rows) {
                        CustomerAnalytics.Rfm rfm = r.getInteger("rfm_recency") == null ? null : new CustomerAnalytics.Rfm(
                                r.getInteger("rfm_recency"), r.getInteger("rfm_frequency"), r.getInteger("rfm_monetary"),
                                r.getString("rfm_score"), r.getString("rfm_segment"), r.getBigDecimal("rfm_monetary_value"),
                                r.getOffsetDateTime("rfm_at"));
                        out.put(r.getLong("id"), new CustomerAnalytics(r.getLong("id"), rfm, new CustomerAnalytics.Activity(
                                r.getString("activity_status"), r.getOffsetDateTime("activity_at"))));
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
