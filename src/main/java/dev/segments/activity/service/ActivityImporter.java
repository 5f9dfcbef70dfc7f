package dev.segments.activity.service;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.activity.ActivityDtos.ActivityInput;
import dev.segments.activity.ActivityDtos.EventInput;
import dev.segments.activity.ActivityDtos.InteractionInput;
import dev.segments.activity.ActivityDtos.PurchaseInput;
import dev.segments.activity.ActivityImportReport;
import dev.segments.activity.persistence.ActivityImportRepository;
import dev.segments.common.db.TenantStatistics;
import dev.segments.common.db.CopyText;
import dev.segments.activity.persistence.ActivityImportRepository.ChunkOutcome;
import dev.segments.activity.persistence.ActivityImportRepository.Staged;
import dev.segments.activity.persistence.StreamKind;
import dev.segments.attribute.service.AttributeCatalog;
import dev.segments.attribute.service.AttributeService;
import dev.segments.common.concurrent.Lanes;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.JsonPointers;
import dev.segments.common.error.Problem.FieldError;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.metrics.ServiceMetrics;
import dev.segments.customer.CustomerChanges;
import dev.segments.customer.ImportReport.LineError;
import dev.segments.customer.service.ImportLines;
import dev.segments.customer.service.ImportRecords;
import dev.segments.customer.service.ImportValues;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.InputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bulk import of an activity stream (purchases, interactions, events) from NDJSON or CSV of any size, in constant
 * memory (issue 18). Lines are framed and parsed like the customer import's ({@code customer.service.ImportRecords},
 * {@code ImportLines}), and each item is bound with the service's own JSON mapper and checked by
 * {@link ActivityService#problems}: an imported item is validated exactly like a posted one. Valid rows are
 * collected into chunks ({@code segments.imports.chunk-rows}) and each chunk is stored by
 * {@link ActivityImportRepository} with COPY and set-based statements in one transaction; after the commit the
 * touched customers' membership is updated with one {@link CustomerChanges} call per chunk.
 *
 * <p>A line naming a customer the tenant does not have is a per-line error ({@code unknown_customer} at
 * {@code /customerId} or {@code /customerExternalId}), where the batch endpoint refuses the whole batch with the
 * same code and pointer: an import keeps its good lines. A line whose externalId is already recorded (before, or
 * earlier in the same body) is a duplicate, stored once: sending the same body again stores nothing new.
 */
@ApplicationScoped
public class ActivityImporter {

    private static final Logger LOG = Logger.getLogger(ActivityImporter.class);
    private static final int PROBLEM_ERRORS = 20;

    /** Where a (resumed) import starts: a byte offset into the body, the line there, the CSV header if past it. */
    public record Position(long offset, long line, String[] header) {
        public static final Position START = new Position(0, 1, null);
    }

    /** The counts after a committed chunk, and where the next chunk starts. */
    public record Progress(long offset, long nextLine, long lines, long stored, long duplicates, long failed,
                           long errorCount) {
    }

    /** How an import job follows its run: told in each chunk's transaction, it may stop the run after the chunk. */
    public interface Listener {
        /** The CSV header was read (a job keeps it, to resume after it). */
        void header(String[] header);

        /**
         * Called in the chunk's transaction, after its rows: record the progress and the chunk's errors; return
         * false to stop after this chunk (the job was cancelled).
         */
        boolean committed(Connection connection, Progress progress, List<LineError> errors) throws SQLException;
    }

    private final TenantStatistics statistics;
    private final ActivityService service;
    private final ActivityImportRepository repository;
    private final AttributeService attributes;
    private final CustomerChanges changes;
    private final ServiceConfig config;
    private final ServiceMetrics metrics;
    private final ObjectMapper mapper;
    private final ObjectReader lineReader;

    ActivityImporter(ActivityService service, ActivityImportRepository repository, AttributeService attributes,
                     CustomerChanges changes, ServiceConfig config, ServiceMetrics metrics, ObjectMapper mapper,
                     TenantStatistics statistics) {
        this.statistics = statistics;
        this.service = service;
        this.repository = repository;
        this.attributes = attributes;
        this.changes = changes;
        this.config = config;
        this.metrics = metrics;
        this.mapper = mapper;
        this.lineReader = mapper.reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    }

    /** A whole body in one request: the report of what was stored. */
    public ActivityImportReport importBody(long tenantId, StreamKind kind, boolean csv, InputStream body) {
        return run(tenantId, kind, csv, body, Position.START, null, new Progress(0, 1, 0, 0, 0, 0, 0));
    }

    /**
     * Imports {@code body} (positioned at {@code from.offset()}), continuing the counts of {@code before}; with a
     * listener, errors go to it chunk by chunk and the report lists none.
     */
    public ActivityImportReport run(long tenantId, StreamKind kind, boolean csv, InputStream body, Position from,
                                    Listener listener, Progress before) {
        AttributeCatalog catalog = kind.attributeEntity() == null ? new AttributeCatalog("event", Map.of())
                : attributes.catalog(tenantId, kind.attributeEntity()).await().indefinitely();
        ImportRecords records = new ImportRecords(body, csv, config.limits().importMaxLineBytes(), from.offset(),
                from.line());
        // a job records one committed offset per chunk, so it stores its chunks one after another (one lane)
        int lanes = listener == null ? Lanes.forRequest(config.imports().parallelChunks()) : 1;
        Run run = new Run(tenantId, kind, catalog, records, listener, before, lanes);
        String[] header = from.header();
        // the chunks' statements find the tenant's customers: plan them on statistics that know the tenant
        statistics.refresh("customer", tenantId);
        try {
            for (Lane lane : run.lanes) {
                lane.session = open(kind);
            }
            if (csv && header == null) {
                ImportRecords.Rec first = records.next();
                while (first != null && first.blank()) {
                    first = records.next();
                }
                if (first == null) {
                    throw new ProblemException(ProblemType.MALFORMED_REQUEST,
                            "The body is empty: a CSV import starts with a header row (occurredAt, ...)");
                }
                header = first.defect() == null ? ImportLines.cells(first.text()) : null;
                if (header == null) {
                    throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The CSV header (line "
                            + first.firstLine() + ") could not be read: "
                            + (first.defect() != null ? first.detail() : "it is not valid CSV"));
                }
                checkHeader(kind, header, catalog);
                if (listener != null) {
                    listener.header(header);
                }
            }
            for (ImportRecords.Rec r = records.next(); r != null && !run.stopped; r = records.next()) {
                if (r.blank()) {
                    continue;
                }
                run.lines++;
                if (r.defect() != null) {
                    run.fail(r.firstLine(), "", ImportLines.code(r.defect()), r.detail());
                } else if (csv) {
                    String[] row = ImportLines.cells(r.text());
                    if (row == null) {
                        run.fail(r.firstLine(), "", "malformed_csv", "not a valid CSV row");
                    } else if (row.length != header.length) {
                        run.readable++;
                        run.fail(r.firstLine(), "", "wrong_column_count", "the row has " + row.length
                                + (row.length == 1 ? " cell" : " cells") + ", the header has " + header.length);
                    } else {
                        run.readable++;
                        run.accept(r.firstLine(), r.text().length(), csvRecord(kind, header, row, catalog));
                    }
                } else {
                    ImportLines.Parsed parsed = ImportLines.json(lineReader, r.text());
                    if (parsed.error() != null) {
                        run.fail(r.firstLine(), parsed.error());
                    } else {
                        run.readable++;
                        run.accept(r.firstLine(), r.text().length(), parsed.node());
                    }
                }
                if (run.touched != null && run.touched.full(config.imports())) {
                    run.flush(run.touched);
                }
            }
            if (!run.stopped) {
                if (run.router != null) {
                    run.barrier();
                } else {
                    run.flush(run.lanes[0]);
                }
            }
            run.storing.drain();
            // the tenant's segments read the stream next (their evaluation, the tick)
            statistics.refresh(kind.table(), tenantId);
        } catch (SQLException e) {
            run.storing.drainQuietly();
            LOG.errorf(e, "%s import of tenant %d stopped by a database failure", ActivityService.streamName(kind),
                    tenantId);
            throw new ProblemException(ProblemType.UNAVAILABLE, "The database failed during the import, after line "
                    + run.lastLine + " was read. Stored before the failure: " + run.stored + " items (" + run.duplicates
                    + " duplicates skipped); " + run.failed + " lines were rejected. Items with an externalId are"
                    + " never stored twice, so sending the whole body again is safe for them.");
        } finally {
            run.close();
        }
        return run.finish(csv, from);
    }

    private ActivityImportRepository.Session open(StreamKind kind) throws SQLException {
        return repository.open(kind);
    }

    private static Set<String> columns(StreamKind kind) {
        Set<String> columns = new LinkedHashSet<>(List.of("customerId", "customerExternalId", "externalId", "occurredAt"));
        columns.addAll(switch (kind) {
            case PURCHASE -> List.of("amount", "currency", "product", "category", "quantity", "channel");
            case INTERACTION -> List.of("type", "channel", "outcome", "reason");
            case EVENT -> List.of("name");
        });
        return columns;
    }

    /** The JSON member that holds a stream's free-form or declared extra values. */
    private static String extras(StreamKind kind) {
        return kind == StreamKind.EVENT ? "properties" : "attributes";
    }

    private static void checkHeader(StreamKind kind, String[] header, AttributeCatalog catalog) {
        Set<String> known = columns(kind);
        String prefix = extras(kind) + ".";
        List<FieldError> errors = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < header.length; i++) {
            String name = header[i];
            String at = "/header/" + JsonPointers.escape(name);
            boolean ok = known.contains(name) || (name.startsWith(prefix) && name.length() > prefix.length()
                    && (kind == StreamKind.EVENT || catalog.types().containsKey(name.substring(prefix.length()))));
            if (name.isEmpty()) {
                errors.add(new FieldError("/header/" + i, "missing_column_name", "column " + (i + 1) + " has no name"));
            } else if (!seen.add(name)) {
                errors.add(new FieldError(at, "duplicate_column", "column '" + name + "' appears twice"));
            } else if (!ok) {
                errors.add(new FieldError(at, "unknown_column", "column '" + name + "' is not a field of the stream"
                        + (kind == StreamKind.EVENT ? " or a property (properties.<key>)"
                        : " or a declared attribute (attributes.<key>)")));
            }
        }
        if (!seen.contains("occurredAt")) {
            errors.add(new FieldError("/header", "missing_column", "the header needs an occurredAt column"));
        }
        if (!seen.contains("customerId") && !seen.contains("customerExternalId")) {
            errors.add(new FieldError("/header", "missing_column",
                    "the header needs a customerId or customerExternalId column"));
        }
        if (!errors.isEmpty()) {
            throw ProblemException.validation(errors);
        }
    }

    /** A CSV row as the JSON item it stands for; empty cells are absent values. */
    private static ObjectNode csvRecord(StreamKind kind, String[] header, String[] row, AttributeCatalog catalog) {
        JsonNodeFactory f = JsonNodeFactory.withExactBigDecimals(true);
        ObjectNode record = f.objectNode();
        ObjectNode extras = f.objectNode();
        String prefix = extras(kind) + ".";
        for (int i = 0; i < header.length; i++) {
            String column = header[i];
            String cell = row[i];
            if (cell == null || cell.isEmpty()) {
                continue;
            }
            if (column.startsWith(prefix)) {
                String key = column.substring(prefix.length());
                extras.set(key, kind == StreamKind.EVENT ? f.textNode(cell)
                        : ImportLines.typedCell(cell, catalog.types().get(key), f));
            } else if (column.equals("customerId") || column.equals("amount") || column.equals("quantity")) {
                record.set(column, ImportLines.numberCell(cell, f));
            } else {
                record.put(column, cell);
            }
        }
        if (!extras.isEmpty()) {
            record.set(extras(kind), extras);
        }
        return record;
    }

    private static Class<? extends ActivityInput> inputClass(StreamKind kind) {
        return switch (kind) {
            case PURCHASE -> PurchaseInput.class;
            case INTERACTION -> InteractionInput.class;
            case EVENT -> EventInput.class;
        };
    }

    /** An item as its staging row, columns in {@link ActivityImportRepository#copyColumns} order. */
    private static String copyRow(long line, ActivityInput item) {
        StringBuilder row = new StringBuilder(128);
        CopyText.field(row, line);
        CopyText.field(row, item.customerId());
        CopyText.field(row, item.customerExternalId());
        CopyText.field(row, item.externalId());
        CopyText.field(row, item.occurredAt());
        switch (item) {
            case PurchaseInput p -> {
                CopyText.field(row, p.amount().toPlainString());
                CopyText.field(row, p.currency());
                CopyText.field(row, p.product());
                CopyText.field(row, p.category());
                CopyText.field(row, p.quantity());
                CopyText.field(row, p.channel());
                CopyText.field(row, p.attributes());
            }
            case InteractionInput i -> {
                CopyText.field(row, i.type());
                CopyText.field(row, i.channel());
                CopyText.field(row, i.outcome());
                CopyText.field(row, i.reason());
                CopyText.field(row, i.attributes());
            }
            case EventInput e -> {
                CopyText.field(row, e.name());
                CopyText.field(row, e.properties());
            }
            default -> throw new IllegalArgumentException("not an activity item");
        }
        return row.toString();
    }

    /**
     * A lane of an import: the rows of its share of the customers, stored chunk after chunk on its own connection.
     * With more than one lane (a request's import, {@code segments.imports.parallel-chunks}), the lanes' chunks are
     * stored at once on their connections while the body is read on, a line's lane chosen by {@link LaneRouter}
     * (its customer's, so concurrent chunks lock disjoint customers, and the database works on two cores; a line
     * whose externalId the other lane may hold is deferred to the next barrier).
     */
    private static final class Lane {
        final int index;
        final List<Staged> chunk = new ArrayList<>();
        /** The length of the chunk's lines, in characters. */
        long bytes;
        ActivityImportRepository.Session session;

        void add(Staged row, int length) {
            chunk.add(row);
            bytes += length;
        }

        /** Whether the chunk is to be stored: it has its rows or its bytes. */
        boolean full(ServiceConfig.Imports limits) {
            return chunk.size() >= limits.chunkRows() || bytes >= limits.chunkBytes();
        }

        List<Staged> take() {
            List<Staged> rows = new ArrayList<>(chunk);
            chunk.clear();
            bytes = 0;
            return rows;
        }

        Lane(int index) {
            this.index = index;
        }
    }

    /** One import in progress: the lanes' pending chunks, the counts and the errors. */
    private final class Run {
        private final long tenantId;
        private final StreamKind kind;
        private final AttributeCatalog catalog;
        private final ImportRecords records;
        private final Listener listener;
        final Lane[] lanes;
        /** Stores the lanes' chunks (a lane's one after another) while the body is read on. */
        private final Lanes storing;
        /** The lane of the last accepted row. */
        Lane touched;
        /** When to check the planner's statistics of the stream as the tenant's rows grow. */
        private final TenantStatistics.Growth growth = new TenantStatistics.Growth();
        /** Which lane takes a line (two lanes); null with one. */
        private final LaneRouter router;
        /** Lines the router deferred: stored at the next barrier (a lane's chunk that no lane owns). */
        private final Lane deferred = new Lane(-1);
        /** Errors listed in the report (no listener), or those of the pending chunk (listener). */
        private final List<LineError> errors = new ArrayList<>();
        private long lastFailedLine = -1;
        long lines;
        long readable;
        long lastLine;
        long stored;
        long duplicates;
        long failed;
        long errorCount;
        boolean stopped;

        Run(long tenantId, StreamKind kind, AttributeCatalog catalog, ImportRecords records, Listener listener,
            Progress before, int lanes) {
            this.tenantId = tenantId;
            this.kind = kind;
            this.catalog = catalog;
            this.records = records;
            this.listener = listener;
            this.lanes = new Lane[lanes];
            for (int i = 0; i < lanes; i++) {
                this.lanes[i] = new Lane(i);
            }
            this.router = lanes == 1 ? null : new LaneRouter();
            this.storing = new Lanes(lanes, "import-lane");
            this.lines = before.lines();
            this.stored = before.stored();
            this.duplicates = before.duplicates();
            this.failed = before.failed();
            this.errorCount = before.errorCount();
        }

        /** A line's item ({@code length}: its text's) checked, bound and put in its lane's chunk. */
        void accept(long line, int length, JsonNode node) throws SQLException {
            lastLine = line;
            if (!node.isObject()) {
                fail(line, "", "invalid_type", "each line must be a JSON object");
                return;
            }
            List<FieldError> problems = new ArrayList<>();
            ImportValues.characters(node, "", problems);
            if (!problems.isEmpty()) {
                fail(line, problems);
                return;
            }
            ActivityInput item;
            try {
                item = mapper.treeToValue(node, inputClass(kind));
            } catch (Exception e) {
                fail(line, ImportLines.bindingProblem(e));
                return;
            }
            problems.addAll(service.problems(item, catalog, kind, ""));
            if (kind.attributeEntity() != null) {
                ImportValues.attributeRanges(item.attributes(), catalog, "", problems);
            }
            if (!problems.isEmpty()) {
                fail(line, problems);
                return;
            }
            Staged row = new Staged(line, copyRow(line, item), item.customerId() != null);
            int lane = router == null ? 0
                    : router.route(item.customerId(), item.customerExternalId(), item.externalId());
            if (lane == LaneRouter.DEFERRED) {
                touched = null;
                deferred.add(row, length);
            } else {
                touched = lanes[lane];
                touched.add(row, length);
            }
            if (router != null && (deferred.full(config.imports()) || router.full())) {
                barrier();
            }
        }

        /**
         * Stores every lane's pending chunk, waits until all are committed, then stores the deferred lines (while
         * both lanes are idle: they may name any customer) and lets the router forget every id routed so far.
         */
        void barrier() throws SQLException {
            for (Lane l : lanes) {
                if (!l.chunk.isEmpty()) {
                    flush(l);
                }
            }
            storing.drain();
            if (!deferred.chunk.isEmpty()) {
                List<Staged> rows = deferred.take();
                storing.submit(0, () -> store(lanes[0].session, rows));
                storing.drain();
            }
            router.reset();
        }

        synchronized void fail(long line, List<FieldError> problems) {
            for (FieldError p : problems) {
                fail(line, p);
            }
        }

        synchronized void fail(long line, FieldError p) {
            fail(line, p.pointer(), p.code(), p.message());
        }

        /** A line counts once as failed however many problems it has (its problems come one after another). */
        synchronized void fail(long line, String pointer, String code, String message) {
            lastLine = Math.max(lastLine, line);
            if (line != lastFailedLine) {
                failed++;
                lastFailedLine = line;
            }
            errorCount++;
            if (listener != null || errors.size() < config.limits().importMaxReportedErrors()) {
                errors.add(new LineError(line, pointer, code, message));
            }
        }

        /**
         * Stores the lane's pending chunk (and, for a job, its progress in the same transaction): at once with one
         * lane, else on the lane's thread once its previous chunk is stored.
         */
        void flush(Lane lane) throws SQLException {
            List<Staged> rows = lane.take();
            storing.submit(lane.index, () -> store(lane.session, rows));
        }

        /** Waits for the lanes, then closes their connections and threads. */
        void close() {
            storing.close();
            for (Lane lane : lanes) {
                if (lane.session != null) {
                    lane.session.close();
                }
            }
        }

        /** Stores a chunk on a lane's connection, then updates its customers' membership. */
        private void store(ActivityImportRepository.Session session, List<Staged> rows) throws SQLException {
            long t0 = System.nanoTime();
            List<CustomerChanges.Change> recorded = new ArrayList<>();
            long[] inserted = {0};
            try {
                // the counts include the chunk before its transaction records them (a job's progress)
                session.store(tenantId, rows, (c, outcome) -> {
                    inserted[0] = outcome.stored();
                    take(outcome);
                    recorded.add(record(c, outcome));
                    progress(c);
                });
            } catch (SQLException e) {
                if (!ActivityImportRepository.refusedForData(e)) {
                    throw e;
                }
                // a row the checks let through was refused: store halves until it is isolated, then the progress
                storeSplit(session, rows, recorded);
                session.store(tenantId, List.of(), (c, outcome) -> progress(c));
            }
            if (growth.add(inserted[0])) {
                // the membership that follows reads the stream by the tenant's customers
                statistics.refresh(kind.table(), tenantId);
            }
            for (CustomerChanges.Change change : recorded) {
                changes.follow(change).await().indefinitely();
            }
            if (listener != null) {
                errors.clear();
            }
            if (!rows.isEmpty()) {
                LOG.debugf("%s import of tenant %d: %d rows in %d ms", ActivityService.streamName(kind), tenantId,
                        rows.size(), (System.nanoTime() - t0) / 1_000_000);
            }
        }

        private void storeSplit(ActivityImportRepository.Session session, List<Staged> rows,
                                List<CustomerChanges.Change> recorded) throws SQLException {
            if (rows.isEmpty()) {
                return;
            }
            try {
                session.store(tenantId, rows, (c, outcome) -> {
                    take(outcome);
                    recorded.add(record(c, outcome));
                });
            } catch (SQLException e) {
                if (!ActivityImportRepository.refusedForData(e)) {
                    throw e;
                }
                if (rows.size() == 1) {
                    refused(rows.get(0), e);
                    return;
                }
                int half = rows.size() / 2;
                storeSplit(session, rows.subList(0, half), recorded);
                storeSplit(session, rows.subList(half, rows.size()), recorded);
            }
        }

        private void refused(Staged row, SQLException e) {
            fail(row.line(), "", "rejected_by_database", "the database refused this line (SQLSTATE "
                    + e.getSQLState() + ")");
        }

        /** In the chunk's transaction: the record of the customers whose rows it wrote. */
        private CustomerChanges.Change record(Connection c, ChunkOutcome outcome) throws SQLException {
            return changes.record(c, tenantId, outcome.customers(), EnumSet.of(ActivityService.source(kind)));
        }

        private synchronized void take(ChunkOutcome outcome) {
            stored += outcome.stored();
            duplicates += outcome.duplicates();
            for (ActivityImportRepository.Unknown u : outcome.unknown()) {
                String field = u.byId() ? "customerId" : "customerExternalId";
                fail(u.line(), "/" + field, "unknown_customer", "no customer with this " + field);
            }
            metrics.rowsImported(ActivityService.streamName(kind), "stored", outcome.stored());
            metrics.rowsImported(ActivityService.streamName(kind), "duplicate", outcome.duplicates());
        }

        private void progress(Connection c) throws SQLException {
            if (listener == null) {
                return;
            }
            List<LineError> chunkErrors = new ArrayList<>(errors);
            chunkErrors.sort(java.util.Comparator.comparingLong(LineError::line));
            if (!listener.committed(c, new Progress(records.offset(), records.line(), lines, stored, duplicates,
                    failed, errorCount), chunkErrors)) {
                stopped = true;
            }
        }

        ActivityImportReport finish(boolean csv, Position from) {
            if (lines == 0 && from.offset() == 0 && !csv) {
                throw new ProblemException(ProblemType.MALFORMED_REQUEST,
                        "The body is empty: send one " + ActivityService.streamName(kind).replaceAll("s$", "")
                                + " JSON object per line");
            }
            if (lines == 0 && csv && from.offset() == 0) {
                throw ProblemException.validation("", "no_records", "The CSV has a header but no data rows");
            }
            if (readable == 0 && from.offset() == 0 && listener == null) {
                List<FieldError> listed = errors.stream().limit(PROBLEM_ERRORS).map(e -> new FieldError(e.pointer(),
                        e.code(), "line " + e.line() + ": " + e.message())).toList();
                throw new ProblemException(ProblemType.MALFORMED_REQUEST, "Nothing in the body could be read: none"
                        + " of its " + lines + (lines == 1 ? " line is " : " lines is ")
                        + (csv ? "a CSV row" : "JSON") + "; nothing was stored", listed);
            }
            metrics.rowsImported(ActivityService.streamName(kind), "rejected", failed);
            List<LineError> listed = new ArrayList<>(listener == null ? errors : List.of());
            listed.sort(java.util.Comparator.comparingLong(LineError::line)); // unknown customers come per chunk
            return new ActivityImportReport(lines, stored, duplicates, failed, errorCount, List.copyOf(listed),
                    errorCount > listed.size());
        }
    }
}
