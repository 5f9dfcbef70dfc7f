package dev.segments.report.service;

import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.report.ReportDtos.ReportJob;
import dev.segments.report.ReportDtos.ReportJobRequest;
import dev.segments.report.ReportDtos.ReportProgress;
import dev.segments.report.ReportDtos.Rendered;
import dev.segments.report.persistence.ReportJobRepository;
import dev.segments.report.persistence.ReportJobRepository.FileRow;
import dev.segments.report.persistence.ReportJobRepository.JobRow;
import dev.segments.segment.service.SegmentService;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.util.UUID;

/**
 * Report jobs (docs/insight.md, "Report jobs"): a report rendered in the background instead of holding a request
 * open. A job is a {@code report_job} row: created queued, run at once on this instance (its own Vert.x context,
 * with the tenant's evaluation slots like any evaluation), its progress written at every step, its file stored in
 * the row (at most {@code segments.reports.max-bytes}) until it expires. A job whose instance stopped (no progress for
 * {@code stale-after}) is taken over by the cleanup round of any instance and run again from its first step, up to
 * {@code max-attempts} runs, then failed; expired jobs are deleted by it.
 */
@ApplicationScoped
public class ReportJobs {

    private static final Logger LOG = Logger.getLogger(ReportJobs.class);

    private final ReportJobRepository repository;
    private final ReportService reports;
    private final SegmentService segments;
    private final ServiceConfig.Reports config;
    private final Vertx vertx;
    private volatile Long timerId;

    ReportJobs(ReportJobRepository repository, ReportService reports, SegmentService segments, ServiceConfig config, Vertx vertx) {
        this.repository = repository;
        this.reports = reports;
        this.segments = segments;
        this.config = config.reports();
        this.vertx = vertx;
    }

    void onStart(@Observes StartupEvent event) {
        long interval = config.cleanupInterval().toMillis();
        if (interval > 0) {
            timerId = vertx.setPeriodic(interval, id -> cleanUp().subscribe().with(
                    n -> LOG.debugf("report jobs: %d expired or stale", n),
                    failure -> LOG.warn("report job cleanup failed", failure)));
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        Long id = timerId;
        if (id != null) vertx.cancelTimer(id);
    }

    /**
     * Deletes expired jobs, fails the stale ones that ran {@code max-attempts} times and runs the other stale ones
     * again here; how many were deleted or taken over.
     */
    public Uni<Integer> cleanUp() {
        return repository.deleteExpired().chain(deleted -> repository.takeOverStale(config.staleAfter(), config.maxAttempts())
                .map(resumed -> {
                    for (ReportJobRepository.Resumed r : resumed) {
                        LOG.infof("report job %s: its instance stopped; running it again here", r.job().id());
                        start(r.tenantId(), r.job());
                    }
                    return deleted + resumed.size();
                }));
    }

    /**
     * Checks the request (422 with the pointer of the member at fault, 404 for an unknown segment is 422
     * unknown_segment here since the key is in the body), stores the job and starts it.
     */
    public Uni<ReportJob> create(long tenantId, ReportJobRequest request) {
        if (request == null) throw ProblemException.validation("", "required", "a body is required");
        String report = request.report();
        if (report == null) throw ProblemException.validation("/report", "required", "report is required: segment or segments");
        if (!report.equals("segment") && !report.equals("segments")) {
            throw ProblemException.validation("/report", "unknown_report", "report must be segment or segments");
        }
        String format = ReportService.format(request.format(), "/format");
        boolean one = report.equals("segment");
        if (one && (request.segment() == null || request.segment().isBlank())) {
            throw ProblemException.validation("/segment", "required", "segment is required for report segment");
        }
        if (!one && request.segment() != null) {
            throw ProblemException.validation("/segment", "not_allowed", "report segments covers every segment: leave segment out");
        }
        String key = one ? request.segment() : null;
        int steps = (one ? ReportService.SEGMENT_STEPS : ReportService.OVERVIEW_STEPS).size();
        Uni<Void> check = one ? segments.rules(tenantId).chain(rules -> rules.segments().containsKey(key)
                ? Uni.createFrom().voidItem()
                : Uni.createFrom().failure(ProblemException.validation("/segment", "unknown_segment", "unknown segment '" + key + "'")))
                : Uni.createFrom().voidItem();
        UUID id = UUID.randomUUID();
        return check.chain(() -> repository.insert(tenantId, id, report, key, format, steps, config.retention(),
                        config.maxActivePerTenant()))
                .map(row -> row.orElseThrow(() -> new ProblemException(ProblemType.TOO_MANY_REQUESTS, "At most "
                        + config.maxActivePerTenant() + " report jobs may be queued or running at a time; wait for one to finish")))
                .invoke(row -> start(tenantId, row))
                .map(ReportJobs::view);
    }

    public Uni<ReportJob> get(long tenantId, UUID id) {
        return repository.find(tenantId, id).map(r -> view(r.orElseThrow(() -> notFound(id))));
    }

    /** The finished file; 404 when the job is unknown or expired, 409 while it is not finished or when it failed. */
    public Uni<Rendered> file(long tenantId, UUID id) {
        return repository.file(tenantId, id).map(r -> {
            FileRow f = r.orElseThrow(() -> notFound(id));
            if (!f.state().equals("succeeded")) {
                throw new ProblemException(ProblemType.CONFLICT, "Report job " + id + " is " + f.state()
                        + (f.state().equals("failed") ? "" : "; GET /reports/" + id + " tells its progress"));
            }
            return new Rendered(f.bytes(), f.mediaType(), f.fileName());
        });
    }

    private void start(long tenantId, JobRow job) {
        // its own duplicated context: Hibernate Reactive (the attribute catalog) needs one, and the job's evaluation
        // slots are its own, not the creating request's
        io.vertx.core.Context context = VertxContext.createNewDuplicatedContext(vertx.getDelegate().getOrCreateContext());
        context.runOnContext(v -> run(tenantId, job).subscribe().with(
                ok -> LOG.debugf("report job %s finished", job.id()),
                failure -> LOG.warn("report job " + job.id() + " could not record its end", failure)));
    }

    private Uni<Void> run(long tenantId, JobRow job) {
        ReportService.Progress progress = (step, done) -> repository.progress(tenantId, job.id(), step, done);
        Uni<Rendered> work = job.report().equals("segment")
                ? reports.segmentFile(tenantId, job.segmentKey(), job.format(), progress)
                : reports.overviewFile(tenantId, job.format(), progress);
        return work.onItemOrFailure().transformToUni((file, failure) -> {
            if (failure != null) {
                LOG.debugf(failure, "report job %s failed", job.id());
                return repository.failed(tenantId, job.id(), reason(failure));
            }
            if (file.bytes().length > config.maxBytes()) {
                return repository.failed(tenantId, job.id(), "too_large: the report has " + file.bytes().length
                        + " bytes, more than the " + config.maxBytes() + " a job keeps");
            }
            return repository.succeeded(tenantId, job.id(), file.mediaType(), file.fileName(), file.bytes());
        });
    }

    private static String reason(Throwable failure) {
        if (failure instanceof ProblemException p) return p.getMessage();
        return "the report could not be rendered (" + failure.getClass().getSimpleName() + ")";
    }

    static ReportJob view(JobRow r) {
        int percent = (int) Math.floor(100.0 * r.stepsDone() / r.stepsTotal());
        return new ReportJob(r.id(), r.report(), r.segmentKey(), r.format(), r.state(),
                new ReportProgress(r.stepsDone(), r.stepsTotal(), percent, r.step()), r.error(), r.createdAt(),
                r.finishedAt(), r.expiresAt(), r.mediaType(), r.size(),
                r.state().equals("succeeded") ? "/reports/" + r.id() + "/file" : null);
    }

    private static ProblemException notFound(UUID id) {
        return ProblemException.notFound("Report job '" + id + "'");
    }
}
