package dev.segments.segment.persistence;

import dev.segments.common.config.ServiceConfig;
import dev.segments.common.metrics.ServiceMetrics;
import dev.segments.common.db.PreparedStatements;
import dev.segments.common.db.ReadPools;
import dev.segments.rule.sql.SqlQuery;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Runs compiled rule queries. Each runs in its own read-only transaction with a statement timeout, so one
 * expensive rule cannot hold the database; a timeout surfaces as SQLSTATE 57014, mapped to a 503 problem.
 * The compiler's parameters (String, Long, Boolean, BigDecimal, LocalDate, OffsetDateTime, String[]) bind to
 * the Vert.x client as they are. They are reads: {@link ReadPools} runs them on the read replica when there is one
 * and the request may read from it (docs/scaling.md).
 */
@ApplicationScoped
public class RuleQueryExecutor {

    /**
     * The transaction's settings in one round trip. {@code plan_cache_mode}: queries about a few given customers
     * ({@link #runForCustomers}) are kept prepared and their generic plan reused (see {@link PreparedStatements}).
     * Whole-tenant queries keep PostgreSQL's default.
     */
    static final String SETTINGS = "select set_config('transaction_read_only', 'on', true),"
            + " set_config('statement_timeout', $1, true), set_config('plan_cache_mode', $2, true)";

    /**
     * Added to {@link #SETTINGS} for a statement that groups the whole tenant's customers by a few columns (the
     * profile's base): PostgreSQL estimates the groups as the product of the columns' distinct values (up to one per
     * customer), so it sorts the whole base serially or on two workers, where a parallel hash aggregate of the real
     * groups (thousands) takes about 1.6 s instead of 2.6 at 1M customers (bench/analysis.md). Sorts the statement
     * cannot avoid (ranks, the member set's own) are still planned.
     */
    static final String HASH_GROUPING = ", set_config('enable_sort', 'off', true), set_config('parallel_tuple_cost', '0', true)";

    private final ReadPools reads;
    private final String timeout;
    private final EvaluationSlots slots;
    private final ServiceMetrics metrics;

    RuleQueryExecutor(ReadPools reads, ServiceConfig config, EvaluationSlots slots, ServiceMetrics metrics) {
        this.reads = reads;
        this.metrics = metrics;
        this.timeout = config.query().statementTimeout().toMillis() + "ms";
        this.slots = slots;
    }

    /** A query over the tenant's customers (counts, pages, exports, previews). */
    public Uni<RowSet<Row>> run(long tenantId, SqlQuery query) {
        return run(tenantId, query.sql(), query, false, SETTINGS);
    }

    /** A query grouping the tenant's whole base by a few columns (see {@link #HASH_GROUPING}). */
    public Uni<RowSet<Row>> runGrouping(long tenantId, SqlQuery query) {
        return run(tenantId, query.sql(), query, false, SETTINGS + HASH_GROUPING);
    }

    /** A query restricted to a few customers by id (which segments they are in). */
    public Uni<RowSet<Row>> runForCustomers(long tenantId, SqlQuery query) {
        return run(tenantId, PreparedStatements.KEEP + query.sql(), query, true, SETTINGS);
    }

    /**
     * A statement of this package's repositories that reads like an evaluation (insight: overlap, effectiveness):
     * the same read-only transaction, statement timeout and evaluation slot.
     */
    Uni<RowSet<Row>> runStatement(long tenantId, String sql, Tuple params) {
        // the pool is chosen now, in the request's context, not when a slot frees
        Uni<RowSet<Row>> read = reads.read(pool -> pool.withTransaction(conn -> conn.preparedQuery(SETTINGS)
                .execute(Tuple.of(timeout, PreparedStatements.planCacheMode(false)))
                .chain(() -> conn.preparedQuery(sql).execute(params))));
        return slots.run(tenantId, () -> read);
    }

    /**
     * Every evaluation takes a slot of its request and of its tenant first ({@link EvaluationSlots}); the time of
     * the statement itself (not the wait for a slot) is {@link ServiceMetrics#RULE_EVALUATION}.
     */
    private Uni<RowSet<Row>> run(long tenantId, String sql, SqlQuery query, boolean fewCustomers, String settings) {
        Uni<RowSet<Row>> read = reads.read(pool -> pool.withTransaction(conn -> conn.preparedQuery(settings)
                .execute(Tuple.of(timeout, PreparedStatements.planCacheMode(fewCustomers)))
                .chain(() -> metrics.timeRuleEvaluation(fewCustomers ? "customers" : "tenant",
                        () -> conn.preparedQuery(sql).execute(Tuple.from(query.params()))))));
        return slots.run(tenantId, () -> read);
    }
}
