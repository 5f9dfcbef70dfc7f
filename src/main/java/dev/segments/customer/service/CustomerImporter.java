package dev.segments.customer.service;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import dev.segments.attribute.service.AttributeCatalog;
import dev.segments.attribute.service.AttributeService;
import dev.segments.attribute.service.AttributeType;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.metrics.ServiceMetrics;
import dev.segments.common.error.JsonPointers;
import dev.segments.common.error.Problem.FieldError;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.error.Problems;
import dev.segments.common.json.InvalidTextException;
import dev.segments.customer.CustomerInput;
import dev.segments.customer.ImportReport;
import dev.segments.customer.persistence.CustomerRepository;
import dev.segments.rule.Source;
import dev.segments.customer.CustomerChanges;
import io.vertx.pgclient.PgException;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;

import java.io.InputStream;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Bulk customer import from NDJSON or CSV. The body is read as a stream, one record at a time
 * ({@link ImportRecords}), checked line by line, and written in chunks (one set-based upsert each), so memory
 * stays flat however long the body is.
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
    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'", Pattern.DOTALL);
    /** How many line errors a 400 problem (nothing readable) lists. */
    private static final int PROBLEM_ERRORS = 20;

    private final CustomerService customers;
    private final ServiceMetrics metrics;
    private final CustomerRepository repository;
    private final AttributeService attributes;
    private final CustomerChanges membership;
    private final ServiceConfig config;
    /** Reads one NDJSON line; a member twice in one object is an error, not "the last one wins". */
    private final ObjectReader lineReader;
    /** Binds a line to {@link CustomerInput} without turning numbers or booleans into strings (or back). */
    private final ObjectMapper strict;
    private final ObjectReader csvCells = new CsvMapper().readerFor(String[].class)
            .with(CsvParser.Feature.TRIM_SPACES);

    CustomerImporter(CustomerService customers, CustomerRepository repository, AttributeService attributes,
                     CustomerChanges membership,
                     ServiceConfig config, ObjectMapper mapper, ServiceMetrics metrics) {
        this.customers = customers;
        this.metrics = metrics;
        this.repository = repository;
        this.attributes = attributes;
        this.membership = membership;
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
        Run run = new Run(tenantId, attributes.catalog(tenantId, "customer").await().indefinitely());
        ImportRecords records = new ImportRecords(body, false, config.limits().importMaxLineBytes(), offset, line);
        run.follow(records, hook);
        for (ImportRecords.Rec r = records.next(); r != null && !run.stopped; r = records.next()) {
            if (r.blank()) {
                continue;
            }
            run.lines++;
            if (r.defect() != null) {
                run.fail(r.firstLine(), "", code(r.defect()), r.detail());
                continue;
            }
            JsonNode node;
            try {
                node = lineReader.readTree(r.text());
            } catch (JsonProcessingException e) {
                Matcher dup = DUPLICATE.matcher(String.valueOf(e.getOriginalMessage()));
                if (e instanceof InvalidTextException t) {
                    // the checks every JSON body gets (NUL, lone surrogates), with the same codes and a pointer
                    run.fail(r.firstLine(), Problems.pointer(t), t.code(),
                            clean(t.getOriginalMessage()));
                } else if (e instanceof JsonParseException p && dup.matches()) {
                    run.fail(r.firstLine(), duplicatePointer(p, dup.group(1)), "duplicate_key",
                            "member '" + dup.group(1) + "' appears twice in the same object");
                } else {
                    run.fail(r.firstLine(), "", "malformed_json", "not valid JSON: " + clean(e.getOriginalMessage()));
                }
                continue;
            }
            run.readable++;
            run.accept(r.firstLine(), node);
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
            Run run = new Run(tenantId, catalog);
            run.follow(records, hook);
            csvRows(run, records, knownHeader, catalog);
            return run.finish("a CSV row", null);
        }
        ImportRecords.Rec first = records.next();
        while (first != null && first.blank()) {
            first = records.next();
        }
        if (first == null) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST,
                    "The body is empty: a CSV import starts with a header row (externalId, ...)");
        }
        String[] header = first.defect() == null ? cells(first.text()) : null;
        if (header == null) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The CSV header (line " + first.firstLine()
                    + ") could not be read: " + (first.defect() != null ? first.detail() : "it is not valid CSV"));
        }
        checkHeader(header, catalog);
        if (hook != null) {
            hook.header(header);
        }
        Run run = new Run(tenantId, catalog);
        run.follow(records, hook);
        csvRows(run, records, header, catalog);
        if (run.lines == 0) {
            throw ProblemException.validation("", "no_records",
                    "The CSV has a header (line " + first.firstLine() + ") but no data rows");
        }
        return run.finish("a CSV row", null);
    }

    private void csvRows(Run run, ImportRecords records, String[] header, AttributeCatalog catalog) {
        for (ImportRecords.Rec r = records.next(); r != null && !run.stopped; r = records.next()) {
            if (r.blank()) {
                continue;
            }
            run.lines++;
            if (r.defect() != null) {
                run.fail(r.firstLine(), "", code(r.defect()), r.detail());
                continue;
            }
            String[] row = cells(r.text());
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
            run.accept(r.firstLine(), csvRecord(header, row, catalog));
        }
    }

    /** The cells of one CSV record, or null when it is not valid CSV. */
    private String[] cells(String text) {
        try {
            String[] cells = csvCells.readValue(text);
            return cells == null ? new String[0] : cells;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    private static String code(ImportRecords.Defect defect) {
        return switch (defect) {
            case TOO_LONG -> "line_too_long";
            case INVALID_UTF8 -> "invalid_utf8";
            case UNCLOSED_QUOTE -> "unclosed_quote";
        };
    }

    /** Where the second occurrence of a member is: the object being read when the parser stopped, plus the name. */
    private static String duplicatePointer(JsonParseException e, String name) {
        if (e.getProcessor() instanceof JsonParser p) {
            JsonStreamContext object = p.getParsingContext();
            String at = object == null || object.getParent() == null ? "" : object.getParent().pathAsPointer().toString();
            return JsonPointers.append(at, name);
        }
        return JsonPointers.append("", name);
    }

    /** Jackson's message without the Java names it sometimes carries (features, types, constraint getters). */
    static String clean(String message) {
        if (message == null) {
            return "invalid value";
        }
        return message.replaceAll(",? from `[^`]*`", "")
                .replaceAll(":? *enable `[^`]*` to allow", "")
                .replaceAll("`[^`]*`", "a value")
                .replaceAll("\\s+", " ").trim();
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
                attrs.set(key, typedCell(cell, catalog.types().get(key), f));
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

    /** A cell as the JSON value of its declared type; a cell that does not parse stays text and fails validation. */
    private static JsonNode typedCell(String cell, AttributeType type, JsonNodeFactory f) {
        try {
            return switch (type) {
                case NUMBER, INTEGER -> f.numberNode(new BigDecimal(cell));
                case BOOLEAN -> cell.equalsIgnoreCase("true") || cell.equalsIgnoreCase("false")
                        ? f.booleanNode(Boolean.parseBoolean(cell.toLowerCase())) : f.textNode(cell);
                case STRING_LIST -> {
                    ArrayNode list = f.arrayNode();
                    for (String part : cell.split("\\|")) {
                        if (!part.isBlank()) {
                            list.add(part.trim());
                        }
                    }
                    yield list;
                }
                case STRING, DATE, TIMESTAMP -> f.textNode(cell);
            };
        } catch (NumberFormatException e) {
            return f.textNode(cell);
        }
    }

    /** What a value of a Java type is called in a message for clients. */
    private static String expected(Class<?> type) {
        if (type == null) {
            return "a value of another type";
        }
        if (type == String.class) {
            return "a string";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == LocalDate.class) {
            return "a date (YYYY-MM-DD)";
        }
        if (List.class.isAssignableFrom(type) || type.isArray()) {
            return "an array";
        }
        if (Number.class.isAssignableFrom(type)) {
            return "a number";
        }
        return "an object";
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

    /** One import in progress: the pending chunk, the counts and the reported errors. */
    private final class Run {
        private final long tenantId;
        private final AttributeCatalog catalog;
        private final Map<String, Pending> chunk = new LinkedHashMap<>();
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

        Run(long tenantId, AttributeCatalog catalog) {
            this.tenantId = tenantId;
            this.catalog = catalog;
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

        void accept(long line, JsonNode node) {
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
            } catch (UnrecognizedPropertyException e) {
                fail(line, JsonPointers.of(e), "unknown_property", "unknown property '" + e.getPropertyName() + "'");
                return;
            } catch (InvalidTextException e) {
                // the checks every JSON body gets (dates outside years 1-9999, NUL, lone surrogates)
                fail(line, Problems.pointer(e), e.code(),
                        clean(e.getOriginalMessage()));
                return;
            } catch (InvalidFormatException e) {
                // a date that does not parse is a bad value; a number or boolean where text is expected (or the
                // reverse) a wrong type: Jackson reports both as a format problem
                boolean format = e.getValue() instanceof String && e.getTargetType() == LocalDate.class;
                fail(line, JsonPointers.of(e), format ? "invalid_value" : "invalid_type",
                        "must be " + expected(e.getTargetType()));
                return;
            } catch (MismatchedInputException e) {
                fail(line, JsonPointers.of(e), "invalid_type", "must be " + expected(e.getTargetType()));
                return;
            } catch (JsonProcessingException | IllegalArgumentException e) {
                fail(line, e instanceof JsonMappingException m ? JsonPointers.of(m) : "", "invalid_value",
                        e instanceof JsonProcessingException j ? clean(j.getOriginalMessage()) : "invalid value");
                return;
            }
            problems.addAll(customers.problems(input, catalog, ""));
            ImportValues.ranges(input, catalog, problems);
            if (!problems.isEmpty()) {
                fail(line, problems);
                return;
            }
            CustomerInput normalised = CustomerService.normalised(input);
            if (chunk.containsKey(normalised.externalId())) {
                flush(); // a later line for the same customer wins: write the earlier one first
            }
            chunk.put(normalised.externalId(), new Pending(line, normalised));
            if (chunk.size() >= config.limits().importChunkSize()) {
                flush();
                progress();
            }
        }

        void fail(long line, List<FieldError> problems) {
            for (FieldError p : problems) {
                fail(line, p.pointer(), p.code(), p.message());
            }
        }

        /** Records a problem with a line; a line counts once as failed however many problems it has. */
        void fail(long line, String pointer, String code, String message) {
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

        void flush() {
            if (chunk.isEmpty()) {
                return;
            }
            List<Pending> rows = new ArrayList<>(chunk.values());
            chunk.clear();
            List<Long> changed = new ArrayList<>();
            try {
                store(rows, changed);
            } catch (StoreFailed e) {
                LOG.error("customer import stopped by a database failure", e.getCause());
                try {
                    membership.customersChanged(tenantId, changed, Source.PROFILE).await().indefinitely();
                } catch (RuntimeException ignored) {
                    // the database is failing; the membership of these customers is re-evaluated at their next write
                }
                throw new ProblemException(ProblemType.UNAVAILABLE, "The database failed during the import, after"
                        + " line " + lastLine + " was read. Stored before the failure: " + created
                        + " created, " + updated + " updated, " + unchanged + " unchanged; " + failed
                        + " lines were rejected. Every line is an upsert by externalId, so sending the whole body"
                        + " again is safe.");
            }
            membership.customersChanged(tenantId, changed, Source.PROFILE).await().indefinitely();
        }

        /**
         * One set-based upsert for the rows; if the database refuses it for the data in it, each half is stored
         * on its own, down to the single refused rows, which are reported by line.
         */
        private void store(List<Pending> rows, List<Long> changed) {
            CustomerRepository.ChunkResult r;
            try {
                r = repository.upsertChunk(tenantId, rows.stream().map(Pending::input).toList())
                        .await().indefinitely();
            } catch (RuntimeException e) {
                PgException refused = refusedForData(e);
                if (refused == null) {
                    throw new StoreFailed(e);
                }
                if (rows.size() == 1) {
                    fail(rows.get(0).line(), "", "rejected_by_database", "the database refused this line ("
                            + describe(refused.getSqlState()) + ", SQLSTATE " + refused.getSqlState() + ")");
                    return;
                }
                int half = rows.size() / 2;
                store(rows.subList(0, half), changed);
                store(rows.subList(half, rows.size()), changed);
                return;
            }
            created += r.created();
            updated += r.updated();
            unchanged += r.unchanged();
            changed.addAll(r.changedIds());
            metrics.rowsImported("customers", "stored", r.created() + r.updated() + r.unchanged());
        }

        ImportReport finish(String readableAs, String emptyDetail) {
            if (!stopped) {
                flush();
                progress();
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
            return new ImportReport(lines, created, updated, unchanged, failed, List.copyOf(errors),
                    problemCount > errors.size());
        }
    }

    /** The database error when the rows themselves were refused (bad data, a constraint, a size limit), else null. */
    private static PgException refusedForData(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof PgException pg && pg.getSqlState() != null) {
                String c = pg.getSqlState();
                return c.startsWith("22") || c.startsWith("23") || c.startsWith("54") ? pg : null;
            }
        }
        return null;
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
