package dev.segments.activity.service;

import dev.segments.activity.ImportJobView;
import dev.segments.activity.persistence.ImportJobRepository;
import dev.segments.activity.persistence.ImportJobRepository.Job;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.pagination.Cursors;
import dev.segments.common.pagination.Page;
import dev.segments.common.pagination.PageRequest;
import dev.segments.customer.ImportReport.LineError;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Import jobs (issue 18, docs/imports.md): an upload is spooled into PostgreSQL as it arrives (bounded by
 * {@code segments.imports.max-upload-bytes}), then queued for {@link ImportWorker}, which imports it chunk by chunk
 * and commits the offset with each chunk. The client's id makes a retried upload a no-op (the job exists) or start
 * over (its earlier upload did not finish). Everything is scoped to the tenant: another tenant's job is not found.
 */
@ApplicationScoped
public class ImportJobs {

    private static final Logger LOG = Logger.getLogger(ImportJobs.class);
    static final Set<String> STREAMS = Set.of("customers", "purchases", "interactions", "events");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,100}");

    /** A submitted job, and whether this request created it (else it existed: the upload was not read). */
    public record Submitted(ImportJobView job, boolean created) {
    }

    private final ImportJobRepository repository;
    private final ServiceConfig config;
    private final ImportWorker worker;

    ImportJobs(ImportJobRepository repository, ServiceConfig config, ImportWorker worker) {
        this.repository = repository;
        this.config = config;
        this.worker = worker;
    }

    /** Spools an upload as a job (or finds the job the id names); blocking. */
    public Submitted submit(long tenantId, String requestedId, String stream, String format, InputStream body) {
        if (stream == null || stream.isBlank()) {
            throw ProblemException.validation("stream", "required",
                    "stream is required: customers, purchases, interactions or events");
        }
        if (!STREAMS.contains(stream)) {
            throw ProblemException.validation("stream", "invalid_value",
                    "stream must be customers, purchases, interactions or events");
        }
        if (format == null) {
            throw new ProblemException(ProblemType.UNSUPPORTED_MEDIA_TYPE,
                    "Send the upload as application/x-ndjson or text/csv, or name its format (format=ndjson|csv)");
        }
        if (!format.equals("ndjson") && !format.equals("csv")) {
            throw ProblemException.validation("format", "invalid_value", "format must be ndjson or csv");
        }
        if (requestedId != null && !ID.matcher(requestedId).matches()) {
            throw ProblemException.validation("id", "invalid_value",
                    "an import id has 1 to 100 letters, digits or . _ : -");
        }
        String id = requestedId != null ? requestedId : UUID.randomUUID().toString();
        Duration receiveLease = config.imports().receiveLease();
        ImportJobRepository.Opened opened = repository.open(tenantId, id, stream, format,
                config.imports().maxPendingPerTenant(), receiveLease);
        if (!opened.receive()) {
            if (opened.existing().isEmpty()) {
                throw new ProblemException(ProblemType.TOO_MANY_REQUESTS, "The tenant has "
                        + config.imports().maxPendingPerTenant() + " import jobs queued or running (at most "
                        + config.imports().maxPendingPerTenant() + "); submit again when one has ended");
            }
            Job job = opened.existing().get();
            if (!job.stream().equals(stream) || !job.format().equals(format)) {
                throw new ProblemException(ProblemType.CONFLICT, "Import " + id + " exists with stream "
                        + job.stream() + " and format " + job.format() + "; a retry must send the same");
            }
            return new Submitted(view(job), false); // the retried upload is a no-op: the job has it already
        }
        long total = 0;
        try {
            byte[] part = new byte[ImportJobRepository.PART_BYTES];
            int seq = 0;
            int used = 0;
            for (int n; (n = body.read(part, used, part.length - used)) >= 0; ) {
                used += n;
                total += n;
                if (total > config.imports().maxUploadBytes()) {
                    repository.delete(tenantId, id);
                    throw new ProblemException(ProblemType.PAYLOAD_TOO_LARGE, "An import upload holds at most "
                            + config.imports().maxUploadBytes() + " bytes (segments.imports.max-upload-bytes)");
                }
                if (used == part.length) {
                    append(tenantId, id, seq++, part, used, receiveLease);
                    used = 0;
                }
            }
            if (used > 0) {
                append(tenantId, id, seq, part, used, receiveLease);
            }
        } catch (IOException e) {
            // the client went away: the job stays receiving until its receive lease lapses, then the worker fails it
            // (ImportWorker, ImportJobRepository.failAbandoned); the same id sent again starts the upload over
            throw new UncheckedIOException(e);
        }
        if (total == 0) {
            repository.delete(tenantId, id);
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The body is empty: send the records to import");
        }
        repository.queue(tenantId, id);
        LOG.infof("import job %s (tenant %d, %s %s): %d bytes received, queued", id, tenantId, stream, format, total);
        worker.wake();
        return new Submitted(get(tenantId, id), true);
    }

    /** Spools a part; a job that stopped receiving meanwhile (abandoned by its lease, or cancelled) is a 409. */
    private void append(long tenantId, String id, int seq, byte[] part, int used, Duration receiveLease) {
        if (!repository.appendPart(tenantId, id, seq, part, used, receiveLease)) {
            throw new ProblemException(ProblemType.CONFLICT, "Import " + id + " is no longer receiving its upload"
                    + " (cancelled, or abandoned after segments.imports.receive-lease without a part); send it again");
        }
    }

    public ImportJobView get(long tenantId, String id) {
        return view(find(tenantId, id));
    }

    private Job find(long tenantId, String id) {
        return repository.find(tenantId, id).orElseThrow(() -> ProblemException.notFound("Import " + id));
    }

    public Page<ImportJobView> list(long tenantId, PageRequest page) {
        OffsetDateTime beforeAt = null;
        String beforeId = null;
        if (page.after() != null) {
            String[] key = Cursors.decode(page.after()).split("\\|", 2);
            try {
                beforeAt = OffsetDateTime.parse(key[0]);
                beforeId = key[1];
            } catch (DateTimeParseException | ArrayIndexOutOfBoundsException e) {
                throw Cursors.invalid();
            }
        }
        List<ImportJobView> rows = repository.list(tenantId, beforeAt, beforeId, page.limit() + 1).stream()
                .map(ImportJobs::view).toList();
        return Page.fromOverfetch(rows, page.limit(), j -> Cursors.encode(j.createdAt() + "|" + j.id()));
    }

    public ImportJobView cancel(long tenantId, String id) {
        Job job = repository.cancel(tenantId, id).orElseThrow(() -> ProblemException.notFound("Import " + id));
        LOG.infof("import job %s (tenant %d): %s", id, tenantId, job.state());
        return view(job);
    }

    /** The job's stored line errors, in line order (404 when there is no such job). */
    public void errors(long tenantId, String id, Consumer<LineError> each) {
        find(tenantId, id);
        repository.errors(tenantId, id, each);
    }

    static ImportJobView view(Job j) {
        String state = j.state().equals("receiving") ? "queued" : j.state();
        double seconds = j.runStartedAt() == null ? 0
                : Duration.between(j.runStartedAt(), j.state().equals("running") ? j.now()
                : (j.finishedAt() != null ? j.finishedAt() : j.updatedAt())).toMillis() / 1000.0;
        long rowsThisRun = j.lines() - j.runStartLines();
        double rate = seconds > 0 ? Math.round(rowsThisRun / seconds * 10) / 10.0 : 0;
        Long left = null;
        long bytesThisRun = j.bytesDone() - j.runStartBytes();
        if (state.equals("running") && bytesThisRun > 0 && seconds > 0) {
            left = Math.round((j.bytesTotal() - j.bytesDone()) * seconds / bytesThisRun);
        }
        return new ImportJobView(j.id(), j.stream(), j.format(), state, j.bytesTotal(), j.bytesDone(), j.lines(),
                j.stored(), j.duplicates(), j.failed(), j.errorCount(), rate, left, j.failure(), j.createdAt(),
                j.startedAt(), j.updatedAt(), j.finishedAt());
    }
}
