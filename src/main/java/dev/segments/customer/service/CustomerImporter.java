package dev.segments.customer.service;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.segments.attribute.service.AttributeCatalog;
import dev.segments.attribute.service.AttributeService;
import dev.segments.common.concurrent.Lanes;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.db.TenantStatistics;
import dev.segments.common.metrics.ServiceMetrics;
import dev.segments.common.error.JsonPointers;
import dev.segments.common.error.Problem.FieldError;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.error.Problems;
import dev.segments.customer.CustomerInput;
import dev.segments.customer.ImportReport;
import dev.segments.customer.persistence.CustomerImportRepository;
import dev.segments.customer.persistence.CustomerRepository;
import dev.segments.rule.Source;
import dev.segments.customer.CustomerChanges;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.InputStream;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bulk customer import from NDJSON or CSV. The body is read as a stream, one record at a time
 * ({@link ImportRecords}), checked line by line, and written in chunks (one set-based upsert each), so memory
 * stays flat however long the body is; a request's import writes two chunks at once, one per lane ({@link Run}).
 *
 * <p>A bad line is reported with its line number and a JSON pointer, and skipped; it never costs a good line.
 * Every problem a line can have is found before the database sees it ({@link ImportValues}); should a chunk
 * still be refused for the data in it, the chunk is split in halves until the refused rows are isolated, so the
 * good rows are stored and the refused ones reported by line. A database that fails for another reason
 * (connection lost, disk full) ends the import with a 503 problem saying how much was stored.
 *
 * <p>The outcome: a report (200) whenever at least one record could be read, however many failed; a 400
 * problem when the body holds nothing readable (empty, binary, the CSV header unreadable); a 422 problem for a
 * CSV header that names unknown columns or no data rows. A 4xx means nothing was stored.
 * Runs on a worker thread (it blocks on the database per chunk).
 */
@ApplicationScoped
public class CustomerImporter {

    private static final Logger LOG = Logger.getLogger(CustomerImporter.class);

    /** CSV columns that hold lists, separated by '|' within the cell. */
    private static final Set<String> LIST_COLUMNS = Set.of("tags", "phones");
    private static final Set<String> CSV_COLUMNS = Set.of("externalId", "name", "email", "phone", "phones", "gender",
            "birthDate", "country", "region", "city", "priceTier", "paymentTerms", "lifecycleStage", "source",
            "channel", "tags");
    /** How many line errors a 400 problem (nothing readable) lists. */
    private static final int PROBLEM_ERRORS = 20;

    private final TenantStatistics statistics;
    private final CustomerService customers;
    private final ServiceMetrics metrics;
    private final CustomerImportRepository repository;
    private final AttributeService attributes;
    private final CustomerChanges changes;
    private final ServiceConfig config;
    /** Reads one NDJSON line; a member twice in one object is an error, not "the last one wins". */
    private final ObjectReader lineReader;
    /** Binds a line to {@link CustomerInput} without turning numbers or booleans into strings (or back). */
    private final ObjectMapper strict;

    CustomerImporter(CustomerService customers, CustomerImportRepository repository, AttributeService attributes,
                     CustomerChanges changes,
                     ServiceConfig config, ObjectMapper mapper, ServiceMetrics metrics, TenantStatistics statistics) {
        this.statistics = statistics;
        this.customers = customers;
        this.metrics = metrics;
        this.repository = repository;
        this.attributes = attributes;
        this.changes = changes;
        this.config = config;
        this.lineReader = mapper.reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        this.strict = mapper.copy();
        for (LogicalType t : new LogicalType[]{LogicalType.Textual, LogicalType.Boolean, LogicalType.DateTime,
                LogicalType.Collection}) {
            var coercion = strict.coercionConfigFor(t);
            for (CoercionInputShape shape : new CoercionInputShape[]{CoercionInputShape.Integer,
                    CoercionInputShape.Float, CoercionInputShape.Boolean, CoercionInputShape.String,
                    CoercionInputShape.EmptyString}) {
                boolean natural = (t == LogicalType.Boolean && shape == CoercionInputShape.Boolean)
                        || ((t == LogicalType.Textual || t == LogicalType.DateTime) && shape == CoercionInputShape.String)
                        || (t == LogicalType.Textual && shape == CoercionInputShape.EmptyString);
                if (!natural) {
                    coercion.setCoercion(shape, CoercionAction.Fail);
                }
            }
        }
    }

    /**
     * How an import job follows a customer import: the CSV header once read, and after each stored chunk the offset
     * just after the last record read (every record before it is stored or reported), the line there, this run's
     * counts and the errors found since the last call. Returning false stops the import (the job was cancelled).
     * Customer lines are upserts by externalId, so a job resumed from an offset after a crash stores nothing twice.
     */
    public interface Hook {
        void header(String[] header);

        boolean chunk(long offset, long nextLine, ImportReport counts, List<ImportReport.LineError> errors);
    }

    public ImportReport importNdjson(long tenantId, InputStream body) {
        return importNdjson(tenantId, body, 0, 1, null);
    }

    /** An NDJSON body read from {@code offset} (its line {@code line}) on, followed by {@code hook} (may be null). */
    public ImportReport importNdjson(long tenantId, InputStream body, long offset, long line, Hook hook) {
        AttributeCatalog catalog = attributes.catalog(tenantId, "customer").await().indefinitely();
        ImportRecords records = new ImportRecords(body, false, config.limits().importMaxLineBytes(), offset, line);
        try (Run run = new Run(tenantId, catalog, hook == null)) {
            run.follow(records, hook);
            return ndjsonRows(run, records, offset);
        }
    }

    private ImportReport ndjsonRows(Run run, ImportRecords records, long offset) {
        for (ImportRecords.Rec r = records.next(); r != null && !run.stopped; r = records.next()) {
            if (r.blank()) {
                continue;
            }
            run.lines++;
            if (r.defect() != null) {
                run.fail(r.firstLine(), "", ImportLines.code(r.defect()), r.detail());
                continue;
            }
            ImportLines.Parsed parsed = ImportLines.json(lineReader, r.text());
            if (parsed.error() != null) {
                run.fail(r.firstLine(), List.of(parsed.error()));
                continue;
            }
            run.readable++;
            run.accept(r.firstLine(), r.text().length(), parsed.node());
        }
        return run.finish("JSON", offset == 0 ? "The body is empty: send one customer JSON object per line" : null);
    }

    public ImportReport importCsv(long tenantId, InputStream body) {
        return importCsv(tenantId, body, 0, 1, null, null);
    }

    /**
     * A CSV body read from {@code offset} (its line {@code line}) on; past the start, {@code knownHeader} is the header
     * the job kept. Followed by {@code hook} (may be null).
     */
    public ImportReport importCsv(long tenantId, InputStream body, long offset, long line, String[] knownHeader,
                                  Hook hook) {
        AttributeCatalog catalog = attributes.catalog(tenantId, "customer").await().indefinitely();
        ImportRecords records = new ImportRecords(body, true, config.limits().importMaxLineBytes(), offset, line);
        if (knownHeader != null) {
            checkHeader(knownHeader, catalog);
            try (Run run = new Run(tenantId, catalog, hook == null)) {
                run.follow(records, hook);
                csvRows(run, records, knownHeader, catalog);
                return run.finish("a CSV row", null);
            }
        }
        ImportRecords.Rec first = records.next();
        while (first != null && first.blank()) {
            first = records.next();
        }
        if (first == null) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST,
                    "The body is empty: a CSV import starts with a header row (externalId, ...)");
        }
        String[] header = first.defect() == null ? ImportLines.cells(first.text()) : null;
        if (header == null) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The CSV header (line " + first.firstLine()
                    + ") could not be read: " + (first.defect() != null ? first.detail() : "it is not valid CSV"));
        }
        checkHeader(header, catalog);
        if (hook != null) {
            hook.header(header);
        }
        try (Run run = new Run(tenantId, catalog, hook == null)) {
            run.follow(records, hook);
            csvRows(run, records, header, catalog);
            if (run.lines == 0) {
                throw ProblemException.validation("", "no_records",
                        "The CSV has a header (line " + first.firstLine() + ") but no data rows");
            }
            return run.finish("a CSV row", null);
        }
    }

    private void csvRows(Run run, ImportRecords records, String[] header, AttributeCatalog catalog) {
        for (ImportRecords.Rec r = records.next(); r != null && !run.stopped; r = records.next()) {
            if (r.blank()) {
                continue;
            }
            run.lines++;
            if (r.defect() != null) {
                run.fail(r.firstLine(), "", ImportLines.code(r.defect()), r.detail());
                continue;
            }
            String[] row = ImportLines.cells(r.text());
            if (row == null) {
                run.fail(r.firstLine(), "", "malformed_csv", "not a valid CSV row");
                continue;
            }
            run.readable++;
            if (row.length != header.length) {
                run.fail(r.firstLine(), "", "wrong_column_count", "the row has " + row.length
                        + (row.length == 1 ? " cell" : " cells") + ", the header has " + header.length);
                continue;
            }
            run.accept(r.firstLine(), r.text().length(), csvRecord(header, row, catalog));
        }
    }

    /** An unknown, repeated or unnamed column is a mistake in the whole file, not in one line: reject it first. */
    private static void checkHeader(String[] header, AttributeCatalog catalog) {
        List<FieldError> errors = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < header.length; i++) {
            String name = header[i];
            String at = "/header/" + JsonPointers.escape(name);
            boolean known = CSV_COLUMNS.contains(name) || (name.startsWith("attributes.")
                    && catalog.types().containsKey(name.substring("attributes.".length())));
            if (name.isEmpty()) {
                errors.add(new FieldError("/header/" + i, "missing_column_name", "column " + (i + 1) + " has no name"));
            } else if (!seen.add(name)) {
                errors.add(new FieldError(at, "duplicate_column", "column '" + name + "' appears twice"));
            } else if (!known) {
                errors.add(new FieldError(at, "unknown_column",
                        "column '" + name + "' is not a customer field or a declared attribute (attributes.<key>)"));
            }
        }
        if (!seen.contains("externalId")) {
            errors.add(new FieldError("/header", "missing_column", "the header needs an externalId column"));
        }
        if (!errors.isEmpty()) {
            throw ProblemException.validation(errors);
        }
    }

    /** A CSV row as the JSON record it stands for; empty cells are absent values. */
    private static ObjectNode csvRecord(String[] header, String[] row, AttributeCatalog catalog) {
        JsonNodeFactory f = JsonNodeFactory.withExactBigDecimals(true);
        ObjectNode record = f.objectNode();
        ObjectNode attrs = f.objectNode();
        for (int i = 0; i < header.length; i++) {
            String column = header[i];
            String cell = row[i];
            if (cell == null || cell.isEmpty()) {
                continue;
            }
            if (column.startsWith("attributes.")) {
                String key = column.substring("attributes.".length());
                attrs.set(key, ImportLines.typedCell(cell, catalog.types().get(key), f));
            } else if (LIST_COLUMNS.contains(column)) {
                ArrayNode list = record.putArray(column);
                for (String part : cell.split("\\|")) {
                    if (!part.isBlank()) {
                        list.add(part.trim());
                    }
                }
            } else {
                record.put(column, cell);
            }
        }
        if (!attrs.isEmpty()) {
            record.set("attributes", attrs);
        }
        return record;
    }

    /** A row waiting in the chunk, with the line it came from. */
    private record Pending(long line, CustomerInput input) {
    }

    /** The database failed for a reason other than the rows (the import cannot go on). */
    private static final class StoreFailed extends RuntimeException {
        StoreFailed(Throwable cause) {
            super(cause);
        }
    }

    /** A lane of a customer import: the pending chunk of its share of the externalIds, and its connection. */
    private static final class Lane {
        final int index;
        final Map<String, Pending> chunk = new LinkedHashMap<>();
        /** The chunk's lines, in characters. */
        long bytes;
        /** The lane's connection, opened with its first chunk. */
        CustomerImportRepository.Session session;

        Lane(int index) {
            this.index = index;
        }
    }

    /**
     * One import in progress: the lanes' pending chunks, the counts and the reported errors. A request's import has
     * {@code segments.imports.parallel-chunks} lanes (a job one: it records one offset per chunk): a line goes to the
     * lane of its externalId, so the lanes' chunks, stored at once on their own connections, upsert disjoint
     * customers, and a later line for a customer is stored after the earlier one by the same lane.
     */
    private final class Run implements AutoCloseable {
        private final long tenantId;
        private final AttributeCatalog catalog;
        private final Lane[] lanes;
        private final Lanes storing;
        /** When to check the planner's statistics of the customers as the tenant grows under the import. */
        private final TenantStatistics.Growth growth = new TenantStatistics.Growth();
        private final List<ImportReport.LineError> errors = new ArrayList<>();
        private final Set<Long> failedLines = new HashSet<>();
        /** Data records (non-blank lines) seen. */
        long lines;
        /** Records that could be read as JSON values or CSV rows. */
        long readable;
        private long lastLine;
        private long created;
        private long updated;
        private long unchanged;
        private long failed;
        /** Problems found, listed or not. */
        private long problemCount;

        private ImportRecords records;
        private Hook hook;
        /** Errors found since the hook was last told. */
        private final List<ImportReport.LineError> pending = new ArrayList<>();
        boolean stopped;

        Run(long tenantId, AttributeCatalog catalog, boolean parallel) {
            this.tenantId = tenantId;
            this.catalog = catalog;
            int count = parallel ? Lanes.forRequest(config.imports().parallelChunks()) : 1;
            this.lanes = new Lane[count];
            for (int i = 0; i < count; i++) {
                lanes[i] = new Lane(i);
            }
            this.storing = new Lanes(count, "customer-import-lane");
        }

        void follow(ImportRecords records, Hook hook) {
            this.records = records;
            this.hook = hook;
        }

        /** After a stored chunk that holds every record read so far: tell the hook. */
        void progress() {
            if (hook != null && !stopped) {
                List<ImportReport.LineError> told = List.copyOf(pending);
                pending.clear();
                if (!hook.chunk(records.offset(), records.line(), counts(), told)) {
                    stopped = true;
                }
            }
        }

        ImportReport counts() {
            return new ImportReport(lines, created, updated, unchanged, failed, List.of(), false);
        }

        /** A line's record ({@code length}: its text's) checked, bound and put in its lane's chunk. */
        void accept(long line, int length, JsonNode node) {
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
            CustomerInput input;
            try {
                input = strict.treeToValue(node, CustomerInput.class);
            } catch (JsonProcessingException | IllegalArgumentException e) {
                // unknown members, wrong types, dates that do not parse, the checks every JSON body gets (dates
                // outside years 1-9999, NUL, lone surrogates): the codes and pointers every import reports
                fail(line, List.of(ImportLines.bindingProblem(e)));
                return;
            }
            problems.addAll(customers.problems(input, catalog, ""));
            ImportValues.ranges(input, catalog, problems);
            if (!problems.isEmpty()) {
                fail(line, problems);
                return;
            }
            CustomerInput normalised = CustomerService.normalised(input);
            Lane lane = lanes[Lanes.of(normalised.externalId().hashCode(), lanes.length)];
            if (lane.chunk.containsKey(normalised.externalId())) {
                flush(lane); // a later line for the same customer wins: write the earlier one first
            }
            lane.chunk.put(normalised.externalId(), new Pending(line, normalised));
            lane.bytes += length;
            if (lane.chunk.size() >= config.limits().importChunkSize() || lane.bytes >= config.imports().chunkBytes()) {
                flush(lane);
                progress(); // a job: one lane, stored by now
            }
        }

        synchronized void fail(long line, List<FieldError> problems) {
            for (FieldError p : problems) {
                fail(line, p.pointer(), p.code(), p.message());
            }
        }

        /** Records a problem with a line; a line counts once as failed however many problems it has. */
        synchronized void fail(long line, String pointer, String code, String message) {
            lastLine = Math.max(lastLine, line);
            if (failedLines.add(line)) {
                failed++;
            }
            problemCount++;
            if (errors.size() < config.limits().importMaxReportedErrors()) {
                errors.add(new ImportReport.LineError(line, pointer, code, message));
            }
            if (hook != null) {
                pending.add(new ImportReport.LineError(line, pointer, code, message));
            }
        }

        /** Stores the lane's pending chunk: at once with one lane, else on its thread after its previous chunk. */
        void flush(Lane lane) {
            if (lane.chunk.isEmpty()) {
                return;
            }
            List<Pending> rows = new ArrayList<>(lane.chunk.values());
            lane.chunk.clear();
            lane.bytes = 0;
            reporting(() -> storing.submit(lane.index, () -> storeAndFollow(lane, rows)));
        }

        /** Every lane's pending chunk stored, and every lane done. */
        void flushAll() {
            for (Lane lane : lanes) {
                flush(lane);
            }
            reporting(storing::drain);
        }

        /** Runs a step of the lanes; a lane's database failure becomes the 503 once every lane has ended. */
        private void reporting(Lanes.Work step) {
            try {
                step.run();
            } catch (StoreFailed e) {
                throw unavailable();
            } catch (SQLException e) {
                throw new IllegalStateException(e); // storeAndFollow throws its database failures as StoreFailed
            }
        }

        private void storeAndFollow(Lane lane, List<Pending> rows) {
            List<CustomerChanges.Change> recorded = new ArrayList<>();
            try {
                store(lane, rows, recorded);
            } catch (StoreFailed e) {
                LOG.error("customer import stopped by a database failure", e.getCause());
                try {
                    follow(recorded);
                } catch (RuntimeException ignored) {
                    // the database is failing; the sweep follows the changes of the stored halves (customer_change)
                }
                throw e; // reported by the reading thread once every lane has ended (unavailable)
            }
            follow(recorded);
        }

        /** The problem of a failing database, once every lane has ended: the counts say what was stored. */
        private ProblemException unavailable() {
            storing.drainQuietly();
            return new ProblemException(ProblemType.UNAVAILABLE, "The database failed during the import, after"
                    + " line " + lastLine + " was read. Stored before the failure: " + created
                    + " created, " + updated + " updated, " + unchanged + " unchanged; " + failed
                    + " lines were rejected. Every line is an upsert by externalId, so sending the whole body"
                    + " again is safe.");
        }

        private void follow(List<CustomerChanges.Change> recorded) {
            for (CustomerChanges.Change change : recorded) {
                changes.follow(change).await().indefinitely();
            }
        }

        /**
         * One set-based upsert for the rows; if the database refuses it for the data in it, each half is stored
         * on its own, down to the single refused rows, which are reported by line.
         */
        private void store(Lane lane, List<Pending> rows, List<CustomerChanges.Change> recorded) {
            CustomerRepository.ChunkResult r;
            List<CustomerChanges.Change> inChunk = new ArrayList<>();
            try {
                if (lane.session == null) {
                    lane.session = repository.open();
                }
                r = lane.session.upsert(tenantId, rows.stream()
                        .map(p -> new CustomerImportRepository.Row(p.line(), p.input())).toList(), (c, result) -> {
                            inChunk.add(changes.record(c, tenantId, result.createdIds(), CustomerChanges.CREATED));
                            inChunk.add(changes.record(c, tenantId, result.updatedIds(), Set.of(Source.PROFILE)));
                        });
            } catch (SQLException e) {
                if (!refusedForData(e)) {
                    throw new StoreFailed(e);
                }
                if (rows.size() == 1) {
                    fail(rows.get(0).line(), "", "rejected_by_database", "the database refused this line ("
                            + describe(e.getSQLState()) + ", SQLSTATE " + e.getSQLState() + ")");
                    return;
                }
                int half = rows.size() / 2;
                store(lane, rows.subList(0, half), recorded);
                store(lane, rows.subList(half, rows.size()), recorded);
                return;
            }
            recorded.addAll(inChunk); // committed with the chunk
            counted(r);
            if (growth.add(r.created())) {
                // the next chunks' upserts and the membership that follows find the tenant's customers
                statistics.refresh("customer", tenantId);
            }
        }

        private synchronized void counted(CustomerRepository.ChunkResult r) {
            created += r.created();
            updated += r.updated();
            unchanged += r.unchanged();
            metrics.rowsImported("customers", "stored", r.created() + r.updated() + r.unchanged());
        }

        @Override
        public void close() {
            storing.close();
            for (Lane lane : lanes) {
                if (lane.session != null) {
                    lane.session.close();
                    lane.session = null;
                }
            }
        }

        ImportReport finish(String readableAs, String emptyDetail) {
            if (!stopped) {
                flushAll();
                progress();
                // what reads the tenant's customers next (an activity import, its segments) plans on statistics
                // that know it
                statistics.refresh("customer", tenantId);
            }
            if (hook != null) {
                return counts();
            }
            if (lines == 0 && emptyDetail != null) {
                throw new ProblemException(ProblemType.MALFORMED_REQUEST, emptyDetail);
            }
            if (readable == 0) {
                List<FieldError> listed = errors.stream().limit(PROBLEM_ERRORS).map(e -> new FieldError(e.pointer(),
                        e.code(), "line " + e.line() + ": " + e.message())).toList();
                throw new ProblemException(ProblemType.MALFORMED_REQUEST, "Nothing in the body could be read: none"
                        + " of its " + lines + (lines == 1 ? " line is " : " lines is ") + readableAs
                        + "; nothing was stored", listed);
            }
            metrics.rowsImported("customers", "rejected", failed);
            List<ImportReport.LineError> listed = new ArrayList<>(errors);
            listed.sort(java.util.Comparator.comparingLong(ImportReport.LineError::line)); // lanes report as they store
            return new ImportReport(lines, created, updated, unchanged, failed, List.copyOf(listed),
                    problemCount > errors.size());
        }
    }

    /** Whether the rows themselves were refused (bad data, a constraint, a size limit). */
    private static boolean refusedForData(SQLException e) {
        String c = e.getSQLState();
        return c != null && (c.startsWith("22") || c.startsWith("23") || c.startsWith("54"));
    }

    private static String describe(String sqlState) {
        if (sqlState.startsWith("22")) {
            return "a value is malformed or out of range";
        }
        if (sqlState.startsWith("23")) {
            return "a constraint is violated";
        }
        return "a value is too large";
    }
}
