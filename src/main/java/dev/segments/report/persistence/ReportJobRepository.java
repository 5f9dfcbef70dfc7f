package dev.segments.report.persistence;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.buffer.Buffer;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Optional;
import java.util.UUID;

/** The {@code report_job} table (V16): report jobs, their progress and their finished file, per tenant. */
@ApplicationScoped
public class ReportJobRepository {

    /** A job without its file. */
    public record JobRow(UUID id, String report, String segmentKey, String format, String state, String step,
                         int stepsDone, int stepsTotal, String error, String mediaType, String fileName, Long size,
                         OffsetDateTime createdAt, OffsetDateTime finishedAt, OffsetDateTime expiresAt) {
    }

    /** A finished job's file. */
    public record FileRow(String state, String mediaType, String fileName, byte[] bytes) {
    }

    private static final String COLUMNS = "id, report, segment_key, format, state, step, steps_done, steps_total, error,"
            + " media_type, file_name, octet_length(result) as size, created_at, finished_at, expires_at";

    private final Pool pool;

    ReportJobRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * A new queued job, unless the tenant already has {@code maxActive} queued or running ones (then empty). The
     * count and the insert are one statement under a per-tenant advisory lock, so two requests cannot both pass.
     */
    public Uni<Optional<JobRow>> insert(long tenantId, UUID id, String report, String segmentKey, String format,
                                        int stepsTotal, Duration retention, int maxActive) {
        return pool.withTransaction(conn -> conn.preparedQuery("select pg_advisory_xact_lock(hashtextextended('report_job', $1))")
                .execute(Tuple.of(tenantId))
                .chain(() -> conn.preparedQuery("insert into report_job (id, tenant_id, report, segment_key, format, steps_total,"
                                + " expires_at) select $1, $2, $3, $4, $5, $6, now() + $7 * interval '1 millisecond'"
                                + " where (select count(*) from report_job where tenant_id = $2 and state in ('queued', 'running')"
                                + " and expires_at > now()) < $8 returning " + COLUMNS)
                        .execute(Tuple.from(new Object[]{id, tenantId, report, segmentKey, format, stepsTotal,
                                retention.toMillis(), maxActive})))
                .map(rs -> rs.size() == 0 ? Optional.<JobRow>empty() : Optional.of(row(rs.iterator().next()))));
    }

    public Uni<Optional<JobRow>> find(long tenantId, UUID id) {
        return pool.preparedQuery("select " + COLUMNS + " from report_job where tenant_id = $1 and id = $2 and expires_at > now()")
                .execute(Tuple.of(tenantId, id))
                .map(rs -> rs.size() == 0 ? Optional.empty() : Optional.of(row(rs.iterator().next())));
    }

    public Uni<Optional<FileRow>> file(long tenantId, UUID id) {
        return pool.preparedQuery("select state, media_type, file_name, result from report_job"
                        + " where tenant_id = $1 and id = $2 and expires_at > now()")
                .execute(Tuple.of(tenantId, id))
                .map(rs -> {
                    if (rs.size() == 0) return Optional.empty();
                    Row r = rs.iterator().next();
                    Buffer b = r.getBuffer("result");
                    return Optional.of(new FileRow(r.getString("state"), r.getString("media_type"), r.getString("file_name"),
                            b == null ? null : b.getBytes()));
                });
    }

    /** The job's progress: running, at {@code step} with {@code done} steps finished. */
    public Uni<Void> progress(long tenantId, UUID id, String step, int done) {
        return pool.preparedQuery("update report_job set state = 'running', step = $3, steps_done = $4, updated_at = now()"
                        + " where tenant_id = $1 and id = $2 and state in ('queued', 'running')")
                .execute(Tuple.of(tenantId, id, step, done)).replaceWithVoid();
    }

    public Uni<Void> succeeded(long tenantId, UUID id, String mediaType, String fileName, byte[] bytes) {
        return pool.preparedQuery("update report_job set state = 'succeeded', steps_done = steps_total, media_type = $3,"
                        + " file_name = $4, result = $5, updated_at = now(), finished_at = now()"
                        + " where tenant_id = $1 and id = $2 and state in ('queued', 'running')")
                .execute(Tuple.of(tenantId, id, mediaType, fileName, io.vertx.core.buffer.Buffer.buffer(bytes))).replaceWithVoid();
    }

    public Uni<Void> failed(long tenantId, UUID id, String error) {
        return pool.preparedQuery("update report_job set state = 'failed', error = $3, updated_at = now(), finished_at = now()"
                        + " where tenant_id = $1 and id = $2 and state in ('queued', 'running')")
                .execute(Tuple.of(tenantId, id, error)).replaceWithVoid();
    }

    /** Deletes expired jobs; how many. */
    public Uni<Integer> deleteExpired() {
        return pool.preparedQuery("delete from report_job where expires_at <= now()")
                .execute().map(io.vertx.mutiny.sqlclient.SqlResult::rowCount);
    }

    /** A job taken over from a stopped instance, with its tenant. */
    public record Resumed(long tenantId, JobRow job) {
    }

    /**
     * The queued or running jobs whose progress has not moved for {@code staleAfter} (their instance stopped):
     * those run {@code maxAttempts} times already are failed; the others are taken over (back to queued from step 0,
     * one attempt more, {@code updated_at} now, so no other instance takes them too: {@code for update skip locked})
     * and returned, for this instance to run.
     */
    public Uni<java.util.List<Resumed>> takeOverStale(Duration staleAfter, int maxAttempts) {
        return pool.preparedQuery("with stale as (select id, attempts from report_job where state in ('queued', 'running')"
                        + " and updated_at < now() - $1 * interval '1 millisecond' and expires_at > now()"
                        + " for update skip locked),"
                        + " failed as (update report_job j set state = 'failed', error = 'interrupted: the instance rendering it"
                        + " stopped, ' || j.attempts || ' times; create the job again', finished_at = now(), updated_at = now()"
                        + " from stale where j.id = stale.id and stale.attempts >= $2 returning 1)"
                        + " update report_job j set state = 'queued', step = null, steps_done = 0, attempts = j.attempts + 1,"
                        + " updated_at = now() from stale where j.id = stale.id and stale.attempts < $2"
                        + " returning j.tenant_id, " + COLUMNS.replace("id, report,", "j.id, report,"))
                .execute(Tuple.of(staleAfter.toMillis(), maxAttempts))
                .map(rs -> {
                    java.util.List<Resumed> out = new java.util.ArrayList<>();
                    for (Row r : rs) out.add(new Resumed(r.getLong("tenant_id"), row(r)));
                    return out;
                });
    }

    private static JobRow row(Row r) {
        return new JobRow(r.getUUID("id"), r.getString("report"), r.getString("segment_key"), r.getString("format"),
                r.getString("state"), r.getString("step"), r.getInteger("steps_done"), r.getInteger("steps_total"),
                r.getString("error"), r.getString("media_type"), r.getString("file_name"),
                r.getValue("size") == null ? null : r.getLong("size"), r.getOffsetDateTime("created_at"),
                r.getOffsetDateTime("finished_at"), r.getOffsetDateTime("expires_at"));
    }
}
