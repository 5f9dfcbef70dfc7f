package dev.segments.activity.persistence;

import dev.segments.common.db.PreparedStatements;

import jakarta.enterprise.context.ApplicationScoped;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The COPY path of the bulk activity import (issue 18): a chunk of validated rows goes into a temporary staging table
 * with one {@code COPY ... FROM STDIN} (the JDBC driver's CopyManager), and from there into the stream in a few
 * set-based statements of the same transaction: resolve the customer references, lock the customers touched (in id
 * order, like every activity write, so rollups stay exact under concurrent writes), insert skipping known external
 * ids, and add what was inserted to those customers' rollups in one statement ({@link #addRollups}). Uses the JDBC
 * datasource (Agroal, unpooled): one connection per import, held for its run.
 */
@ApplicationScoped
public class ActivityImportRepository {

    /** A validated row: the line it came from and its COPY text line (columns in {@link #copyColumns} order). */
    public record Staged(long line, String copyRow, boolean byId) {
    }

    /** A staged row whose customer is not the tenant's. */
    public record Unknown(long line, boolean byId) {
    }

    /** What one chunk stored: inserted rows, rows skipped as known external ids, rows without a customer. */
    public record ChunkOutcome(long stored, long duplicates, List<Unknown> unknown, List<Long> customers) {
    }

    /** Work done in the chunk's transaction after its rows (an import job records its committed offset). */
    @FunctionalInterface
    public interface InTransaction {
        void run(Connection connection, ChunkOutcome outcome) throws SQLException;
    }

    private final DataSource dataSource;

    ActivityImportRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The columns of a COPY row, in order, for a stream. */
    public static List<String> copyColumns(StreamKind kind) {
        List<String> columns = new ArrayList<>(List.of("line", "customer_id", "customer_external_id", "external_id",
                "occurred_at"));
        columns.addAll(switch (kind) {
            case PURCHASE -> List.of("amount", "currency", "product", "category", "quantity", "channel", "attributes");
            case INTERACTION -> List.of("type", "channel", "outcome", "reason", "attributes");
            case EVENT -> List.of("name", "properties");
        });
        return columns;
    }

    private static String stageColumns(StreamKind kind) {
        return switch (kind) {
            case PURCHASE -> "amount numeric, currency text, product text, category text, quantity integer, "
                    + "channel text, attributes jsonb";
            case INTERACTION -> "type text, channel text, outcome text, reason text, attributes jsonb";
            case EVENT -> "name text, properties jsonb";
        };
    }

    private static String stageValues(StreamKind kind) {
        return switch (kind) {
            case PURCHASE -> "occurred_at, amount, currency, product, category, quantity, channel, "
                    + "coalesce(attributes, '{}')";
            case INTERACTION -> "occurred_at, type, channel, outcome, reason, coalesce(attributes, '{}')";
            case EVENT -> "occurred_at, name, coalesce(properties, '{}')";
        };
    }

    /** A connection with the stream's staging table, for the chunks of one import. */
    public Session open(StreamKind kind) throws SQLException {
        Connection c = dataSource.getConnection();
        try {
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                // rows live for one transaction: each chunk starts with an empty table
                s.execute("create temp table if not exists import_stage (line bigint not null, customer_id bigint, "
                        + "customer_external_id text, external_id text, occurred_at timestamptz, "
                        + stageColumns(kind) + ", cid bigint) on commit delete rows");
                s.execute("create temp table if not exists import_delta (customer_id bigint primary key, n bigint not null,"
                        + " total numeric not null, first_at timestamptz not null, last_at timestamptz not null)"
                        + " on commit delete rows");
            }
            c.setAutoCommit(false);
            return new Session(c, kind);
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** One import's connection. Not thread-safe. */
    public static final class Session implements AutoCloseable {
        private final Connection c;
        private final StreamKind kind;

        private Session(Connection c, StreamKind kind) {
            this.c = c;
            this.kind = kind;
        }

        /** The connection (for work of the import in its own transactions, e.g. recording a job's failure). */
        public Connection connection() {
            return c;
        }

        /**
         * Stages and stores the rows, then runs {@code extra}, in one transaction that is committed; on any failure
         * it is rolled back and the exception thrown (nothing of the chunk is stored).
         */
        public ChunkOutcome store(long tenantId, List<Staged> rows, InTransaction extra) throws SQLException {
            try {
                try (Statement s = c.createStatement()) {
                    // a chunk reads its customers by key, from cache (PreparedStatements.randomPageCost)
                    s.execute("set local random_page_cost = " + PreparedStatements.MANY_CUSTOMERS_RANDOM_PAGE_COST);
                }
                ChunkOutcome outcome = rows.isEmpty() ? new ChunkOutcome(0, 0, List.of(), List.of())
                        : stage(tenantId, rows);
                if (extra != null) {
                    extra.run(c, outcome);
                }
                c.commit();
                return outcome;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // the connection is gone; the caller sees the first failure
                }
                throw e;
            }
        }

        private ChunkOutcome stage(long tenantId, List<Staged> rows) throws SQLException {
            CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn("copy import_stage ("
                    + String.join(", ", copyColumns(kind)) + ") from stdin");
            try {
                byte[] buffer = new byte[64 * 1024];
                int used = 0;
                for (Staged row : rows) {
                    byte[] b = row.copyRow().getBytes(StandardCharsets.UTF_8);
                    if (used + b.length + 1 > buffer.length) {
                        copy.writeToCopy(buffer, 0, used);
                        used = 0;
                        if (b.length + 1 > buffer.length) {
                            buffer = new byte[b.length + 1];
                        }
                    }
                    System.arraycopy(b, 0, buffer, used, b.length);
                    used += b.length;
                    buffer[used++] = '\n';
                }
                if (used > 0) {
                    copy.writeToCopy(buffer, 0, used);
                }
                copy.endCopy();
            } finally {
                if (copy.isActive()) {
                    copy.cancelCopy();
                }
            }
            try (Statement s = c.createStatement()) {
                // the columns the joins with customer read (the whole table, jsonb included, costs five times more)
                s.execute("analyze import_stage (line, customer_id, customer_external_id)");
            }
            try (PreparedStatement byId = c.prepareStatement("update import_stage s set cid = c.id from customer c"
                    + " where s.customer_id is not null and c.tenant_id = ? and c.id = s.customer_id");
                 PreparedStatement byExternal = c.prepareStatement("update import_stage s set cid = c.id from customer c"
                         + " where s.customer_id is null and c.tenant_id = ? and c.external_id = s.customer_external_id")) {
                byId.setLong(1, tenantId);
                byId.executeUpdate();
                byExternal.setLong(1, tenantId);
                byExternal.executeUpdate();
            }
            List<Unknown> unknown = new ArrayList<>();
            try (Statement s = c.createStatement();
                 ResultSet r = s.executeQuery("select line, customer_id is not null from import_stage"
                         + " where cid is null order by line")) {
                while (r.next()) {
                    unknown.add(new Unknown(r.getLong(1), r.getBoolean(2)));
                }
            }
            try (PreparedStatement lock = c.prepareStatement("select id from customer where tenant_id = ?"
                    + " and id in (select cid from import_stage where cid is not null) order by id for update")) {
                lock.setLong(1, tenantId);
                try (ResultSet r = lock.executeQuery()) {
                    while (r.next()) {
                        // locked until the commit
                    }
                }
            }
            // insert, and in the same statement the per-customer sums of what was inserted (conflicts excluded)
            long stored;
            try (PreparedStatement insert = c.prepareStatement("with ins as (insert into " + kind.table
                    + " (tenant_id, customer_id, external_id, " + kind.columns + ")"
                    + " select ?, cid, external_id, " + stageValues(kind)
                    + " from import_stage where cid is not null order by line"
                    + " on conflict (tenant_id, external_id) do nothing returning customer_id, occurred_at"
                    + (kind == StreamKind.PURCHASE ? ", amount" : "") + ")"
                    + ", d as (insert into import_delta (customer_id, n, total, first_at, last_at)"
                    + " select customer_id, count(*), " + (kind == StreamKind.PURCHASE ? "sum(amount)" : "0")
                    + ", min(occurred_at), max(occurred_at) from ins group by customer_id returning n)"
                    + " select coalesce(sum(n), 0) from d")) {
                insert.setLong(1, tenantId);
                try (ResultSet r = insert.executeQuery()) {
                    r.next();
                    stored = r.getLong(1);
                }
            }
            List<Long> customers = new ArrayList<>();
            if (stored > 0) {
                try (PreparedStatement rollups = c.prepareStatement(addRollups(kind, tenantId))) {
                    try (ResultSet r = rollups.executeQuery()) {
                        while (r.next()) {
                            customers.add(r.getLong(1));
                        }
                    }
                }
            }
            long resolved = rows.size() - unknown.size();
            return new ChunkOutcome(stored, resolved - stored, unknown, customers);
        }

        @Override
        public void close() {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing a broken connection
            }
        }
    }

    /**
     * The rollups of the customers a chunk inserted rows for, from their rollups before it and the sums of the rows
     * it inserted ({@code import_delta}): a count and a sum add, first and last instants take the least and the
     * greatest ({@code least}/{@code greatest} ignore nulls), the activity status follows from the new instants as
     * {@code ActivityRepository}'s recompute sets it. Exactly what that recompute from all of the customer's rows
     * gives, because every writer keeps the rollups equal to it under the customer's row lock, which the chunk holds
     * from before its insert to its commit; an import only adds rows. It reads the chunk's rows only, where the
     * recompute reads every row of every touched customer in three streams (per chunk, the history again).
     * Returns the ids of those customers.
     */
    static String addRollups(StreamKind kind, long tenantId) {
        String lastPurchase = kind == StreamKind.PURCHASE ? "greatest(c.last_purchase_at, d.last_at)" : "c.last_purchase_at";
        String set = switch (kind) {
            case PURCHASE -> "purchase_count = c.purchase_count + d.n, total_spend = c.total_spend + d.total,"
                    + " first_purchase_at = least(c.first_purchase_at, d.first_at), last_purchase_at = " + lastPurchase + ",";
            case INTERACTION -> "last_interaction_at = greatest(c.last_interaction_at, d.last_at),"
                    + " first_touch_at = least(c.first_touch_at, d.first_at),";
            case EVENT -> "first_touch_at = least(c.first_touch_at, d.first_at),";
        };
        return "update customer c set " + set + " last_seen_at = greatest(c.last_seen_at, d.last_at),"
                + " activity_status = analytics_activity_status(m.config, c.created_at, greatest(c.last_seen_at, d.last_at), "
                + lastPurchase + ", now()), activity_computed_at = now()"
                + " from import_delta d cross join (select (select config from analytics_model where tenant_id = "
                + tenantId + " and model = 'activity') as config) m"
                + " where c.tenant_id = " + tenantId + " and c.id = d.customer_id returning c.id";
    }

    /** Whether the database refused a chunk for the data in it (a value, a constraint, a size), not for itself. */
    public static boolean refusedForData(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("22") || state.startsWith("23") || state.startsWith("54"));
    }
}
