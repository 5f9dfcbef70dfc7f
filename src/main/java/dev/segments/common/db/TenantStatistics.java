package dev.segments.common.db;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;

/**
 * The planner's picture of a tenant in a shared table, refreshed where a bulk import has just made it wrong.
 *
 * <p>Every table is shared by the tenants and read by {@code tenant_id = ...} first. Until the table is analyzed
 * again, a tenant that has just grown (its first import: a new tenant's customers, then their history) is a value
 * the statistics do not know, estimated at a row or so. The statements of the next import then plan the tenant's
 * side as tiny: at 1M customers, an activity import right after its tenant's customer import locked each chunk's
 * customers with a nested loop that went through the chunk's 38k staged ids once per customer of the tenant
 * (453k): 90 s a chunk instead of 0.7 s. Autovacuum's analyze comes, but on its own schedule, minutes later. So the
 * imports ask: when the tenant's rows are at least {@link #MIN_ROWS} and more than ten times the planner's
 * estimate (counted only that far, and not at all for an estimate of a tenth of {@link #COUNT_CAP} or more), the
 * table is analyzed at once (a sample of 30,000 rows at the default statistics target: 0.6-0.8 s at 1M rows, paid
 * only when the estimate is that wrong).
 */
@ApplicationScoped
public class TenantStatistics {

    private static final Logger LOG = Logger.getLogger(TenantStatistics.class);

    /** Tables a caller may name (the name goes into the statement's text). */
    private static final Set<String> TABLES = Set.of("customer", "purchase", "interaction", "event");
    /** Below this many rows no plan goes far wrong. */
    static final long MIN_ROWS = 1_000;
    /** How long the analyze waits for its lock (a vacuum of the table holds it). */
    static final long LOCK_TIMEOUT_MS = 3_000;
    /** An estimate of a tenth of this is not checked: no plan of the imports goes far wrong from there. */
    static final long COUNT_CAP = 100_000;

    private final DataSource dataSource;
    private final ObjectMapper mapper;

    /**
     * The rows one import has stored, and when to check the statistics again: after 10,000 and then each time
     * the count has grown fourfold, so an import of n rows checks about log4(n / 10,000) times while the tenant
     * grows under it (a customer import of 453k rows planned on statistics from before it took 38 s, 15 s where
     * autovacuum's analyze came in its middle). Thread-safe: the lanes of an import add to one.
     */
    public static final class Growth {
        private long rows;
        private long next = 10_000;

        /** Adds a committed chunk's rows; true when the total has just passed the next check. */
        public synchronized boolean add(long stored) {
            rows += stored;
            if (rows < next) {
                return false;
            }
            while (next <= rows) {
                next *= 4;
            }
            return true;
        }
    }

    TenantStatistics(DataSource dataSource, ObjectMapper mapper) {
        this.dataSource = dataSource;
        this.mapper = mapper;
    }

    /**
     * Analyzes {@code table} if the planner misjudges the tenant's rows in it tenfold; returns whether it did. A
     * failure is logged and answered false: the statistics help the plans, the import does not depend on them.
     */
    public boolean refresh(String table, long tenantId) {
        if (!TABLES.contains(table)) {
            throw new IllegalArgumentException("not a tenant table: " + table);
        }
        try {
            return refreshOrFail(table, tenantId);
        } catch (SQLException e) {
            LOG.warnf(e, "could not check the statistics of %s for tenant %d", table, tenantId);
            return false;
        }
    }

    private boolean refreshOrFail(String table, long tenantId) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            double estimate;
            try (Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("explain (format json) select 1 from " + table + " where tenant_id = "
                         + tenantId)) {
                r.next();
                estimate = readPlan(r.getString(1)).path(0).path("Plan").path("Plan Rows").asDouble(0);
            }
            // the rows that prove the estimate tenfold wrong: counted no further (a small import pays little)
            long wrong = Math.max(MIN_ROWS, (long) Math.ceil(estimate * 10) + 1);
            if (wrong > COUNT_CAP) {
                return false;
            }
            long rows;
            try (PreparedStatement count = c.prepareStatement("select count(*) from (select 1 from " + table
                    + " where tenant_id = ? limit ?) t")) {
                count.setLong(1, tenantId);
                count.setLong(2, wrong);
                try (ResultSet r = count.executeQuery()) {
                    r.next();
                    rows = r.getLong(1);
                }
            }
            if (rows < wrong) {
                return false;
            }
            long t0 = System.nanoTime();
            // a vacuum of the table holds the lock ANALYZE takes (autovacuum's yields to it after deadlock_timeout,
            // an anti-wraparound one does not): wait a bounded time, then leave the statistics to it
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("set local lock_timeout = '" + LOCK_TIMEOUT_MS + "ms'");
                s.execute("analyze " + table);
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
            LOG.infof("analyzed %s for tenant %d: the planner estimated %.0f of its rows, it has at least %d (%d ms)",
                    table, tenantId, estimate, rows, (System.nanoTime() - t0) / 1_000_000);
            return true;
        }
    }

    private JsonNode readPlan(String json) throws SQLException {
        try {
            return mapper.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new SQLException("unreadable plan: " + e.getOriginalMessage(), e);
        }
    }
}
