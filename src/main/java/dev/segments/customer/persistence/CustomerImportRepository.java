package dev.segments.customer.persistence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.customer.CustomerInput;
import jakarta.enterprise.context.ApplicationScoped;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import javax.sql.DataSource;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static dev.segments.common.db.CopyText.array;
import static dev.segments.common.db.CopyText.field;

/**
 * The COPY path of the bulk customer import (issue 18): a chunk of validated profiles (distinct external ids) goes
 * into a temporary staging table with one {@code COPY ... FROM STDIN} (the JDBC driver's CopyManager) and from there
 * into {@code customer} with one upsert, in one transaction: the statement of {@link CustomerRepository#upsert} (a
 * new external id is inserted, a known one updated only when its profile differs, its version then bumped), reading
 * typed columns instead of a JSON document that PostgreSQL parses and types row by row ({@code jsonb_to_recordset}). Uses the JDBC datasource (Agroal): one connection per import, held for its run.
 */
@ApplicationScoped
public class CustomerImportRepository {

    private static final String STAGE_COLUMNS = "line, external_id, name, email, phone, phones, gender, birth_date,"
            + " country, region, city, price_tier, payment_terms, lifecycle_stage, source, channel, tags, attributes,"
            + " contacts";

    private final DataSource dataSource;
    private final ObjectMapper mapper;

    CustomerImportRepository(DataSource dataSource, ObjectMapper mapper) {
        this.dataSource = dataSource;
        this.mapper = mapper;
    }

    /** A connection with the staging table, for the chunks of one import. */
    public Session open() throws SQLException {
        Connection c = dataSource.getConnection();
        try {
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                // rows live for one transaction: each chunk starts with an empty table
                s.execute("create temp table if not exists customer_stage (line bigint not null, external_id text,"
                        + " name text, email text, phone text, phones text[], gender text, birth_date date,"
                        + " country text, region text, city text, price_tier text, payment_terms text,"
                        + " lifecycle_stage text, source text, channel text, tags text[], attributes jsonb,"
                        + " contacts jsonb) on commit delete rows");
            }
            c.setAutoCommit(false);
            return new Session(c);
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    /** Work done in the chunk's transaction after its rows (the record of the customers it changed). */
    @FunctionalInterface
    public interface InTransaction {
        void run(Connection connection, CustomerRepository.ChunkResult result) throws SQLException;
    }

    /** A profile to store and the line it came from. */
    public record Row(long line, CustomerInput input) {
    }

    /** One import's connection. Not thread-safe. */
    public final class Session implements AutoCloseable {
        private final Connection c;

        private Session(Connection c) {
            this.c = c;
        }

        /**
         * Stages and upserts the rows (distinct external ids), then runs {@code extra} (the record of the change), in
         * one transaction that is committed; on any failure it is rolled back and the exception thrown (nothing of
         * the chunk is stored).
         */
        public CustomerRepository.ChunkResult upsert(long tenantId, List<Row> rows, InTransaction extra) throws SQLException {
            try {
                CopyIn copy = c.unwrap(PGConnection.class).getCopyAPI().copyIn("copy customer_stage ("
                        + STAGE_COLUMNS + ") from stdin");
                try {
                    StringBuilder text = new StringBuilder(64 * 1024);
                    for (Row row : rows) {
                        copyRow(text, row);
                        if (text.length() > 60 * 1024) {
                            byte[] b = text.toString().getBytes(StandardCharsets.UTF_8);
                            copy.writeToCopy(b, 0, b.length);
                            text.setLength(0);
                        }
                    }
                    byte[] b = text.toString().getBytes(StandardCharsets.UTF_8);
                    if (b.length > 0) {
                        copy.writeToCopy(b, 0, b.length);
                    }
                    copy.endCopy();
                } finally {
                    if (copy.isActive()) {
                        copy.cancelCopy();
                    }
                }
                List<Long> created = new ArrayList<>(), updated = new ArrayList<>();
                try (PreparedStatement upsert = c.prepareStatement(CustomerRepository.STAGED_UPSERT)) {
                    upsert.setLong(1, tenantId);
                    try (ResultSet r = upsert.executeQuery()) {
                        while (r.next()) {
                            (r.getBoolean(2) ? created : updated).add(r.getLong(1));
                        }
                    }
                }
                CustomerRepository.ChunkResult result = new CustomerRepository.ChunkResult(created.size(), updated.size(),
                        rows.size() - created.size() - updated.size(), created, updated);
                extra.run(c, result);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException ignored) {
                    // the connection is gone; the caller sees the first failure
                }
                throw e;
            }
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

    /** A profile as its COPY text line, columns in {@link #STAGE_COLUMNS} order. */
    private void copyRow(StringBuilder row, Row r) {
        CustomerInput in = r.input();
        row.append(r.line());
        field(row, in.externalId());
        field(row, in.name());
        field(row, in.email());
        field(row, in.phone());
        field(row, array(in.phones()));
        field(row, in.gender());
        field(row, in.birthDate() == null ? null : in.birthDate().toString());
        field(row, in.country());
        field(row, in.region());
        field(row, in.city());
        field(row, in.priceTier());
        field(row, in.paymentTerms());
        field(row, in.lifecycleStage());
        field(row, in.source());
        field(row, in.channel());
        field(row, array(in.tags()));
        // the same JSON the statement over a document reads (the service's mapper), so the same jsonb
        field(row, in.attributes() == null ? null : json(in.attributes()));
        field(row, in.contacts() == null ? null : json(in.contacts()));
        row.append('\n');
    }

    private String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
