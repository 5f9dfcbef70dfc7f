package dev.segments.activity.service;

import dev.segments.activity.persistence.ImportJobRepository;
import dev.segments.activity.persistence.ImportJobRepository.Committed;
import dev.segments.activity.persistence.ImportJobRepository.Job;
import dev.segments.activity.persistence.StreamKind;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.Problem;
import dev.segments.common.error.ProblemException;
import dev.segments.customer.ImportReport;
import dev.segments.customer.service.CustomerImporter;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.InputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Runs import jobs: claims queued jobs (and running ones whose instance's lease lapsed: a restart resumes them from
 * their last committed chunk), at most {@code segments.imports.workers} at once on this instance and
 * {@code max-running-per-tenant} per tenant, and renews the leases of the jobs it runs. Each chunk's transaction
 * records the job's offset and counts; progress is logged per chunk.
 */
@ApplicationScoped
public class ImportWorker {

    private static final Logger LOG = Logger.getLogger(ImportWorker.class);

    private final ImportJobRepository repository;
    private final ActivityImporter activities;
    private final CustomerImporter customers;
    private final ServiceConfig config;
    private final AtomicInteger running = new AtomicInteger();
    /** The jobs this instance runs (tenant/id), whose leases it renews. */
    private final Map<String, Job> mine = new ConcurrentHashMap<>();
    private ScheduledExecutorService poller;
    private ExecutorService runners;
    private volatile boolean stopping;

    ImportWorker(ImportJobRepository repository, ActivityImporter activities, CustomerImporter customers,
                 ServiceConfig config) {
        this.repository = repository;
        this.activities = activities;
        this.customers = customers;
        this.config = config;
    }

    void start(@Observes StartupEvent event) {
        poller = Executors.newSingleThreadScheduledExecutor(r -> thread(r, "import-poller"));
        runners = Executors.newFixedThreadPool(config.imports().workers(), r -> thread(r, "import-worker"));
        long every = config.imports().pollInterval().toMillis();
        poller.scheduleWithFixedDelay(this::poll, every, every, TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent event) {
        stopping = true;
        if (poller != null) {
            poller.shutdownNow();
            runners.shutdownNow(); // running jobs keep state running: their lease lapses and a start resumes them
        }
    }

    private static Thread thread(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Looks for work now (a job was queued). */
    public void wake() {
        if (poller != null && !stopping) {
            poller.execute(this::poll);
        }
    }

    private void poll() {
        try {
            Duration lease = config.imports().lease();
            for (Job job : mine.values()) {
                repository.renew(job.tenantId(), job.id(), lease);
            }
            for (String[] abandoned : repository.failAbandoned(config.imports().receiveLease())) {
                LOG.infof("import job %s (tenant %s): failed, its upload was abandoned (no part for %s)", abandoned[1],
                        abandoned[0], config.imports().receiveLease());
            }
            while (!stopping && running.get() < config.imports().workers()) {
                var claimed = repository.claim(config.imports().maxRunningPerTenant(), lease);
                if (claimed.isEmpty()) {
                    return;
                }
                Job job = claimed.get();
                running.incrementAndGet();
                mine.put(job.tenantId() + "/" + job.id(), job);
                runners.execute(() -> run(job));
            }
        } catch (RuntimeException e) {
            LOG.warn("import jobs: polling failed (retried at the next poll)", e);
        }
    }

    private void run(Job job) {
        String name = "import job " + job.id() + " (tenant " + job.tenantId() + ", " + job.stream() + ")";
        LOG.infof("%s: %s at byte %d of %d, line %d", name, job.bytesDone() > 0 ? "resumed" : "started",
                job.bytesDone(), job.bytesTotal(), job.nextLine());
        long t0 = System.nanoTime();
        try {
            boolean csv = job.format().equals("csv");
            InputStream upload = repository.upload(job.tenantId(), job.id(), job.bytesDone());
            if (job.stream().equals("customers")) {
                runCustomers(job, name, csv, upload, t0);
            } else {
                runActivity(job, name, csv, upload, t0);
            }
            repository.finish(job.tenantId(), job.id(), "completed", null);
            Job end = repository.find(job.tenantId(), job.id()).orElse(job);
            LOG.infof("%s: %s, %d rows read, %d stored, %d duplicates, %d failed, %.1f s", name, end.state(),
                    end.lines(), end.stored(), end.duplicates(), end.failed(), (System.nanoTime() - t0) / 1e9);
        } catch (ProblemException e) {
            Problem p = e.problem();
            String detail = p.detail() != null ? p.detail() : p.title();
            if (p.errors() != null && !p.errors().isEmpty()) {
                detail += ": " + p.errors().stream().map(f -> (f.pointer().isEmpty() ? "" : f.pointer() + " ")
                        + f.message()).collect(Collectors.joining("; "));
            }
            LOG.warnf("%s failed: %s", name, detail);
            end(job, "failed", detail);
        } catch (RuntimeException e) {
            if (stopping) {
                LOG.infof("%s: interrupted by the shutdown; resumed from its last chunk at the next start", name);
            } else {
                LOG.errorf(e, "%s failed", name);
                end(job, "failed", "The import stopped on an internal error after the last committed chunk;"
                        + " submit the upload again under a new id to import the rest");
            }
        } finally {
            mine.remove(job.tenantId() + "/" + job.id());
            running.decrementAndGet();
            wake();
        }
    }

    private void end(Job job, String state, String failure) {
        try {
            repository.finish(job.tenantId(), job.id(), state, failure);
        } catch (RuntimeException e) {
            LOG.warnf("import job %s: its end could not be recorded (its lease lapses and it is resumed)", job.id());
        }
    }

    private void progress(String name, Job job, long bytesDone, long lines, long stored, long duplicates,
                          long failed, long t0) {
        double seconds = (System.nanoTime() - t0) / 1e9;
        LOG.infof("%s: %d of %d bytes, %d rows read, %d stored, %d duplicates, %d failed, %.0f rows/s", name,
                bytesDone, job.bytesTotal(), lines, stored, duplicates, failed,
                seconds > 0 ? (lines - job.lines()) / seconds : 0.0);
    }

    private void runActivity(Job job, String name, boolean csv, InputStream upload, long t0) {
        StreamKind kind = switch (job.stream()) {
            case "purchases" -> StreamKind.PURCHASE;
            case "interactions" -> StreamKind.INTERACTION;
            default -> StreamKind.EVENT;
        };
        ActivityImporter.Listener listener = new ActivityImporter.Listener() {
            @Override
            public void header(String[] header) {
                repository.header(job.tenantId(), job.id(), header);
            }

            @Override
            public boolean committed(Connection c, ActivityImporter.Progress p, List<ImportReport.LineError> errors)
                    throws SQLException {
                boolean go = repository.commit(c, job.tenantId(), job.id(), new Committed(p.offset(), p.nextLine(),
                        p.lines(), p.stored(), p.duplicates(), p.failed(), p.errorCount()), errors,
                        config.imports().maxStoredErrors(), config.imports().lease());
                progress(name, job, p.offset(), p.lines(), p.stored(), p.duplicates(), p.failed(), t0);
                return go && !stopping;
            }
        };
        activities.run(job.tenantId(), kind, csv, upload,
                new ActivityImporter.Position(job.bytesDone(), job.nextLine(), job.csvHeader()), listener,
                new ActivityImporter.Progress(job.bytesDone(), job.nextLine(), job.lines(), job.stored(),
                        job.duplicates(), job.failed(), job.errorCount()));
    }

    private void runCustomers(Job job, String name, boolean csv, InputStream upload, long t0) {
        CustomerImporter.Hook hook = new CustomerImporter.Hook() {
            @Override
            public void header(String[] header) {
                repository.header(job.tenantId(), job.id(), header);
            }

            @Override
            public boolean chunk(long offset, long nextLine, ImportReport counts, List<ImportReport.LineError> errors) {
                long lines = job.lines() + counts.lines();
                long stored = job.stored() + counts.created() + counts.updated();
                long duplicates = job.duplicates() + counts.unchanged();
                long failed = job.failed() + counts.failed();
                boolean go = repository.commit(job.tenantId(), job.id(), new Committed(offset, nextLine, lines,
                        stored, duplicates, failed, errorCountSoFar(errors)), errors,
                        config.imports().maxStoredErrors(), config.imports().lease());
                progress(name, job, offset, lines, stored, duplicates, failed, t0);
                return go && !stopping;
            }

            private long told;

            private long errorCountSoFar(List<ImportReport.LineError> errors) {
                told += errors.size();
                return job.errorCount() + told;
            }
        };
        if (csv) {
            customers.importCsv(job.tenantId(), upload, job.bytesDone(), job.nextLine(), job.csvHeader(), hook);
        } else {
            customers.importNdjson(job.tenantId(), upload, job.bytesDone(), job.nextLine(), hook);
        }
    }
}
