package dev.segments.segment.persistence;

import dev.segments.common.config.ServiceConfig;
import dev.segments.rule.SqlQuery;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Runs compiled rule queries. Each runs in its own read-only transaction with a statement timeout, so one
 * expensive rule cannot hold the database; a timeout surfaces as SQLSTATE 57014, mapped to a 503 problem.
 * The compiler's parameters (String, Long, Boolean, BigDecimal, LocalDate, OffsetDateTime, String[]) bind to
 * the Vert.x client as they are.
 */
@ApplicationScoped
public class RuleQueryExecutor {

    private final Pool pool;
    private final String timeout;

    RuleQueryExecutor(Pool pool, ServiceConfig config) {
        this.pool = pool;
        this.timeout = config.query().statementTimeout().toMillis() + "ms";
    }

    public Uni<RowSet<Row>> run(SqlQuery query) {
        return pool.withTransaction(conn -> conn.query("set transaction read only").execute()
                .chain(() -> conn.preparedQuery("select set_config('statement_timeout', $1, true)")
                        .execute(Tuple.of(timeout)))
                .chain(() -> conn.preparedQuery(query.sql()).execute(Tuple.from(query.params()))));
    }
}
