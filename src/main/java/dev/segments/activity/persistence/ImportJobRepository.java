package dev.segments.activity.persistence;

import dev.segments.customer.ImportReport.LineError;
import jakarta.enterprise.context.ApplicationScoped;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.InputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Import jobs (table {@code import_job}, V15): the job rows, their spooled upload ({@code import_job_part}, parts of
 * {@link #PART_BYTES} each, the last one shorter) and their line errors. JDBC (the jobs run on worker threads and
 * read the upload as a stream); every statement filters on the tenant.
 */
@ApplicationScoped
public class ImportJobRepository {

    /** Size of every spooled part but the last: the part holding a byte offset is offset / PART_BYTES. */
    public static final int PART_BYTES = 1 << 20;

    private static final String COLUMNS = "tenant_id, id, stream, format, state, bytes_total, bytes_done, next_line,"
            + " csv_header, lines, stored, duplicates, failed, error_count, failure, created_at, started_at,"
            + " run_started_at, run_start_lines, run_start_bytes, updated_at, finished_at, now()";

    /** A job row as stored. */
    public record Job(long tenantId, String id, String stream, String format, String state, long bytesTotal,
                      long bytesDone, long nextLine, String[] csvHeader, long lines, long stored, long duplicates,
                      long failed, long errorCount, String failure, OffsetDateTime createdAt, OffsetDateTime startedAt,
                      OffsetDateTime runStartedAt, long runStartLines, long runStartBytes, OffsetDateTime updatedAt,
                      OffsetDateTime finishedAt, OffsetDateTime now) {
    }

    private final DataSource dataSource;

    ImportJobRepository(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @FunctionalInterface
    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T inTransaction(Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new JobStoreException(e);
        }
    }

    /** A failure of the job store (the database), as an unchecked exception. */
    public static final class JobStoreException extends RuntimeException {
        public JobStoreException(SQLException cause) {
            super(cause);
        }
    }

    private static Job job(ResultSet r) throws SQLException {
        java.sql.Array header = r.getArray(9);
        return new Job(r.getLong(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5), r.getLong(6),
                r.getLong(7), r.getLong(8), header == null ? null : (String[]) header.getArray(), r.getLong(10),
                r.getLong(11), r.getLong(12), r.getLong(13), r.getLong(14), r.getString(15), time(r, 16), time(r, 17),
                time(r, 18), r.getLong(19), r.getLong(20), time(r, 21), time(r, 22), time(r, 23));
    }

    private static OffsetDateTime time(ResultSet r, int column) throws SQLException {
        return r.getObject(column, OffsetDateTime.class);
    }

    public Optional<Job> find(long tenantId, String id) {
        return inTransaction(c -> find(c, tenantId, id, false));
    }

    private static Optional<Job> find(Connection c, long tenantId, String id, boolean lock) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("select " + COLUMNS + " from import_job where tenant_id = ?"
                + " and id = ?" + (lock ? " for update" : ""))) {
            s.setLong(1, tenantId);
            s.setString(2, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(job(r)) : Optional.empty();
            }
        }
    }

    /** The tenant's jobs, newest first, after the (createdAt, id) of the previous page's last job. */
    public List<Job> list(long tenantId, OffsetDateTime beforeAt, String beforeId, int limit) {
        return inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("select " + COLUMNS + " from import_job where tenant_id = ?"
                    + " and (?::timestamptz is null or (created_at, id) < (?::timestamptz, ?))"
                    + " order by created_at desc, id desc limit ?")) {
                s.setLong(1, tenantId);
                s.setObject(2, beforeAt);
                s.setObject(3, beforeAt);
                s.setString(4, beforeId);
                s.setInt(5, limit);
                List<Job> jobs = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        jobs.add(job(r));
                    }
                }
                return jobs;
            }
        });
    }

    /** The outcome of starting an upload: the job as it was before, if one had the id. */
    public record Opened(Optional<Job> existing, boolean receive) {
    }

    /**
     * Opens an upload under the client's id: a new job (state receiving), or one whose earlier upload did not finish
     * (its parts are dropped, it is received again); a job past receiving is left alone ({@code receive} false).
     * Refuses (returns empty with receive false) when the tenant already has {@code maxPending} unfinished jobs.
     */
    public Opened open(long tenantId, String id, String stream, String format, int maxPending, Duration receiveLease) {
        return inTransaction(c -> {
            try (PreparedStatement lock = c.prepareStatement("select id from tenant where id = ? for update")) {
                lock.setLong(1, tenantId); // one upload start at a time per tenant: the pending bound holds
                lock.executeQuery().close();
            }
            Optional<Job> existing = find(c, tenantId, id, true);
            if (existing.isPresent() && !existing.get().state().equals("receiving") && !abandoned(existing.get())) {
                return new Opened(existing, false);
            }
            if (existing.isPresent() && (!existing.get().stream().equals(stream)
                    || !existing.get().format().equals(format))) {
                return new Opened(existing, false);
            }
            try (PreparedStatement count = c.prepareStatement("select count(*) from import_job where tenant_id = ?"
                    + " and state in ('receiving', 'queued', 'running') and id <> ?")) {
                count.setLong(1, tenantId);
                count.setString(2, id);
                try (ResultSet r = count.executeQuery()) {
                    r.next();
                    if (r.getLong(1) >= maxPending) {
                        return new Opened(Optional.empty(), false);
                    }
                }
            }
            if (existing.isPresent()) {
                try (PreparedStatement drop = c.prepareStatement(
                        "delete from import_job_part where tenant_id = ? and job_id = ?")) {
                    drop.setLong(1, tenantId);
                    drop.setString(2, id);
                    drop.executeUpdate();
                }
                try (PreparedStatement reset = c.prepareStatement("update import_job set state = 'receiving',"
                        + " bytes_total = 0, failure = null, finished_at = null,"
                        + " lease_until = now() + ? * interval '1 millisecond',"
                        + " created_at = now(), updated_at = now() where tenant_id = ? and id = ?")) {
                    reset.setLong(1, receiveLease.toMillis());
                    reset.setLong(2, tenantId);
                    reset.setString(3, id);
                    reset.executeUpdate();
                }
            } else {
                try (PreparedStatement insert = c.prepareStatement("insert into import_job (tenant_id, id, stream,"
                        + " format, lease_until) values (?, ?, ?, ?, now() + ? * interval '1 millisecond')")) {
                    insert.setLong(1, tenantId);
                    insert.setString(2, id);
                    insert.setString(3, stream);
                    insert.setString(4, format);
                    insert.setLong(5, receiveLease.toMillis());
                    insert.executeUpdate();
                }
            }
            return new Opened(existing, true);
        });
    }

    /** Whether a job failed while its upload was being received (it never ran): its id may be uploaded again. */
    static boolean abandoned(Job job) {
        return job.state().equals("failed") && job.startedAt() == null;
    }

    /**
     * Spools one part of a job's upload (committed on its own: a part is at most {@link #PART_BYTES}) and renews
     * the receive lease. Returns false, storing nothing, when the job is no longer receiving (its lease lapsed and
     * {@link #failAbandoned} failed it, or it was cancelled).
     */
    public boolean appendPart(long tenantId, String id, int seq, byte[] data, int length, Duration receiveLease) {
        return inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("update import_job set bytes_total = bytes_total + ?,"
                    + " lease_until = now() + ? * interval '1 millisecond', updated_at = now()"
                    + " where tenant_id = ? and id = ? and state = 'receiving'")) {
                s.setLong(1, length);
                s.setLong(2, receiveLease.toMillis());
                s.setLong(3, tenantId);
                s.setString(4, id);
                if (s.executeUpdate() == 0) {
                    return false;
                }
            }
            try (PreparedStatement s = c.prepareStatement("insert into import_job_part (tenant_id, job_id, seq, data)"
                    + " values (?, ?, ?, ?)")) {
                s.setLong(1, tenantId);
                s.setString(2, id);
                s.setInt(3, seq);
                s.setBinaryStream(4, new java.io.ByteArrayInputStream(data, 0, length), length);
                s.executeUpdate();
            }
            return true;
        });
    }

    /**
     * Fails every job still receiving whose receive lease lapsed (the client went away mid-upload, or its
     * instance stopped while spooling): state failed with a failure that says so, its spooled parts dropped, so it
     * no longer counts as pending. Its id may be uploaded again ({@link #open} starts it over). Returns the jobs
     * failed (tenant, id). Runs across tenants: the worker's sweep, like {@link #claim}.
     */
    public List<String[]> failAbandoned(Duration receiveLease) {
        return inTransaction(c -> {
            List<String[]> failed = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("update import_job j set state = 'failed',"
                    + " failure = 'abandoned: the upload stopped after ' || j.bytes_total || ' bytes and nothing more"
                    + " arrived before its receive lease lapsed; send the upload again (the same id starts it over)',"
                    + " lease_until = null, finished_at = now(), updated_at = now()"
                    + " where (j.tenant_id, j.id) in (select q.tenant_id, q.id from import_job q"
                    + "   where q.state = 'receiving'"
                    + "     and coalesce(q.lease_until, q.updated_at + ? * interval '1 millisecond') < now()"
                    + "   for update skip locked)"
                    + " returning j.tenant_id, j.id")) {
                s.setLong(1, receiveLease.toMillis()); // a job opened before leases were kept: from its last part
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        failed.add(new String[]{Long.toString(r.getLong(1)), r.getString(2)});
                    }
                }
            }
            for (String[] job : failed) {
                dropParts(c, Long.parseLong(job[0]), job[1]);
            }
            return failed;
        });
    }

    /** The upload is complete: the job is queued for a worker. */
    public void queue(long tenantId, String id) {
        update("update import_job set state = 'queued', updated_at = now() where tenant_id = ? and id = ?"
                + " and state = 'receiving'", tenantId, id);
    }

    /** Drops a job whose upload was refused (too large, unreadable): nothing of it was imported. */
    public void delete(long tenantId, String id) {
        update("delete from import_job where tenant_id = ? and id = ? and state = 'receiving'", tenantId, id);
    }

    private void update(String sql, long tenantId, String id) {
        inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement(sql)) {
                s.setLong(1, tenantId);
                s.setString(2, id);
                return s.executeUpdate();
            }
        });
    }

    /**
     * Takes the oldest job a worker may run: a queued one of a tenant with fewer than {@code maxRunningPerTenant}
     * running jobs, or a running one whose lease lapsed (its instance stopped: it is resumed). Marks it running with
     * a lease; empty when there is none.
     */
    public Optional<Job> claim(int maxRunningPerTenant, Duration lease) {
        return inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("update import_job j set state = 'running',"
                    + " lease_until = now() + ? * interval '1 millisecond', started_at = coalesce(started_at, now()),"
                    + " run_started_at = now(), run_start_lines = lines, run_start_bytes = bytes_done,"
                    + " updated_at = now()"
                    + " where (j.tenant_id, j.id) = (select q.tenant_id, q.id from import_job q"
                    + "   where (q.state = 'queued' and (select count(*) from import_job r where r.tenant_id = q.tenant_id"
                    + "          and r.state = 'running' and r.lease_until > now()) < ?)"
                    + "      or (q.state = 'running' and q.lease_until < now())"
                    + "   order by q.created_at limit 1 for update skip locked)"
                    + " returning " + COLUMNS.replace("tenant_id, id,", "j.tenant_id, j.id,"))) {
                s.setLong(1, lease.toMillis());
                s.setInt(2, maxRunningPerTenant);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? Optional.of(job(r)) : Optional.empty();
                }
            }
        });
    }

    /** Renews the lease of a job this instance runs (between chunks that take long). */
    public void renew(long tenantId, String id, Duration lease) {
        inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("update import_job set lease_until = now() + ?"
                    + " * interval '1 millisecond' where tenant_id = ? and id = ? and state = 'running'")) {
                s.setLong(1, lease.toMillis());
                s.setLong(2, tenantId);
                s.setString(3, id);
                return s.executeUpdate();
            }
        });
    }

    /** Keeps the CSV header of a job (read once; a resumed job starts after it). */
    public void header(long tenantId, String id, String[] header) {
        inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("update import_job set csv_header = ?"
                    + " where tenant_id = ? and id = ?")) {
                s.setArray(1, c.createArrayOf("text", header));
                s.setLong(2, tenantId);
                s.setString(3, id);
                return s.executeUpdate();
            }
        });
    }

    /** The counts and offset a chunk committed, with its line errors. */
    public record Committed(long offset, long nextLine, long lines, long stored, long duplicates, long failed,
                            long errorCount) {
    }

    /**
     * Records a committed chunk on {@code c} (the chunk's own transaction, for an activity import): offset, counts,
     * renewed lease, and the chunk's errors while the job keeps fewer than {@code maxErrors}. Returns false when the
     * job was cancelled meanwhile (the worker stops after this chunk).
     */
    public boolean commit(Connection c, long tenantId, String id, Committed p, List<LineError> errors, int maxErrors,
                          Duration lease) throws SQLException {
        int kept;
        String state;
        try (PreparedStatement s = c.prepareStatement("update import_job set bytes_done = ?, next_line = ?, lines = ?,"
                + " stored = ?, duplicates = ?, failed = ?, error_count = ?, updated_at = now(),"
                + " lease_until = now() + ? * interval '1 millisecond'"
                + " where tenant_id = ? and id = ? returning state, stored_errors")) {
            s.setLong(1, p.offset());
            s.setLong(2, p.nextLine());
            s.setLong(3, p.lines());
            s.setLong(4, p.stored());
            s.setLong(5, p.duplicates());
            s.setLong(6, p.failed());
            s.setLong(7, p.errorCount());
            s.setLong(8, lease.toMillis());
            s.setLong(9, tenantId);
            s.setString(10, id);
            try (ResultSet r = s.executeQuery()) {
                if (!r.next()) {
                    return false;
                }
                state = r.getString(1);
                kept = r.getInt(2);
            }
        }
        int room = Math.max(0, Math.min(errors.size(), maxErrors - kept));
        if (room > 0) {
            try (PreparedStatement s = c.prepareStatement("insert into import_job_error (tenant_id, job_id, line,"
                    + " pointer, code, message) values (?, ?, ?, ?, ?, ?)")) {
                for (LineError e : errors.subList(0, room)) {
                    s.setLong(1, tenantId);
                    s.setString(2, id);
                    s.setLong(3, e.line());
                    s.setString(4, e.pointer());
                    s.setString(5, e.code());
                    s.setString(6, e.message());
                    s.addBatch();
                }
                s.executeBatch();
            }
            try (PreparedStatement s = c.prepareStatement("update import_job set stored_errors = stored_errors + ?"
                    + " where tenant_id = ? and id = ?")) {
                s.setInt(1, room);
                s.setLong(2, tenantId);
                s.setString(3, id);
                s.executeUpdate();
            }
        }
        return state.equals("running");
    }

    /** {@link #commit} in a transaction of its own (a customer import, whose chunks commit on the reactive pool). */
    public boolean commit(long tenantId, String id, Committed p, List<LineError> errors, int maxErrors, Duration lease) {
        return inTransaction(c -> commit(c, tenantId, id, p, errors, maxErrors, lease));
    }

    /** Ends a job (completed or failed) unless it was cancelled meanwhile, and drops its upload. */
    public void finish(long tenantId, String id, String state, String failure) {
        inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("update import_job set state = case when state = 'running'"
                    + " then ? else state end, failure = ?, finished_at = coalesce(finished_at, now()),"
                    + " lease_until = null, updated_at = now() where tenant_id = ? and id = ?")) {
                s.setString(1, state);
                s.setString(2, failure);
                s.setLong(3, tenantId);
                s.setString(4, id);
                s.executeUpdate();
            }
            dropParts(c, tenantId, id);
            return null;
        });
    }

    private static void dropParts(Connection c, long tenantId, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("delete from import_job_part where tenant_id = ? and job_id = ?")) {
            s.setLong(1, tenantId);
            s.setString(2, id);
            s.executeUpdate();
        }
    }

    /**
     * Cancels a job that has not ended; a job not running loses its upload now, a running one stops after its
     * current chunk (its worker drops the upload). Returns the job as it is now, empty when there is no such job.
     */
    public Optional<Job> cancel(long tenantId, String id) {
        return inTransaction(c -> {
            Optional<Job> job = find(c, tenantId, id, true);
            if (job.isEmpty()) {
                return job;
            }
            String state = job.get().state();
            if (state.equals("receiving") || state.equals("queued") || state.equals("running")) {
                try (PreparedStatement s = c.prepareStatement("update import_job set state = 'cancelled',"
                        + " finished_at = now(), updated_at = now() where tenant_id = ? and id = ?")) {
                    s.setLong(1, tenantId);
                    s.setString(2, id);
                    s.executeUpdate();
                }
                if (!state.equals("running")) {
                    dropParts(c, tenantId, id);
                }
            }
            return find(c, tenantId, id, false);
        });
    }

    /** The job's stored line errors in line order, one at a time (streamed from the database). */
    public void errors(long tenantId, String id, Consumer<LineError> each) {
        inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("select line, pointer, code, message from import_job_error"
                    + " where tenant_id = ? and job_id = ? order by line")) {
                s.setFetchSize(1000);
                s.setLong(1, tenantId);
                s.setString(2, id);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        each.accept(new LineError(r.getLong(1), r.getString(2), r.getString(3), r.getString(4)));
                    }
                }
            }
            return null;
        });
    }

    /** The spooled upload from {@code offset} on, read part by part (one part in memory at a time). */
    public InputStream upload(long tenantId, String id, long offset) {
        return new InputStream() {
            private int seq = (int) (offset / PART_BYTES);
            private byte[] part;
            private int pos = (int) (offset % PART_BYTES);
            private boolean end;

            private boolean fill() throws IOException {
                while (!end && (part == null || pos >= part.length)) {
                    if (part != null) {
                        seq++;
                        pos = 0;
                    }
                    try {
                        part = inTransaction(c -> {
                            try (PreparedStatement s = c.prepareStatement("select data from import_job_part"
                                    + " where tenant_id = ? and job_id = ? and seq = ?")) {
                                s.setLong(1, tenantId);
                                s.setString(2, id);
                                s.setInt(3, seq);
                                try (ResultSet r = s.executeQuery()) {
                                    return r.next() ? r.getBytes(1) : null;
                                }
                            }
                        });
                    } catch (JobStoreException e) {
                        throw new IOException("the spooled upload could not be read", e.getCause());
                    }
                    if (part == null) {
                        end = true;
                    }
                }
                return !end;
            }

            @Override
            public int read() throws IOException {
                return fill() ? part[pos++] & 0xFF : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (!fill()) {
                    return -1;
                }
                int n = Math.min(len, part.length - pos);
                System.arraycopy(part, pos, b, off, n);
                pos += n;
                return n;
            }
        };
    }

}
