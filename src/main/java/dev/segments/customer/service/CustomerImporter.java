package dev.segments.customer.service;

import dev.segments.rule.RuleDependencies.Source;
import dev.segments.segment.service.MembershipService;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.segments.attribute.service.AttributeCatalog;
import dev.segments.attribute.service.AttributeService;
import dev.segments.attribute.service.AttributeType;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.JsonPointers;
import dev.segments.common.error.Problem.FieldError;
import dev.segments.common.error.ProblemException;
import dev.segments.customer.api.CustomerInput;
import dev.segments.customer.api.ImportReport;
import dev.segments.customer.persistence.CustomerRepository;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Bulk customer import from NDJSON or CSV. The body is read as a stream, one record at a time, and written in
 * chunks (one upsert statement each), so memory stays flat however long the body is. A bad line is reported
 * and skipped; it never aborts the valid ones. Runs on a worker thread (it blocks on the database per chunk).
 */
@ApplicationScoped
public class CustomerImporter {

    /** CSV columns that hold lists, separated by '|' within the cell. */
    private static final Set<String> LIST_COLUMNS = Set.of("tags", "phones");
    private static final Set<String> CSV_COLUMNS = Set.of("externalId", "name", "email", "phone", "phones", "gender",
            "birthDate", "country", "region", "city", "priceTier", "paymentTerms", "lifecycleStage", "source",
            "channel", "tags");

    private final CustomerService customers;
    private final CustomerRepository repository;
    private final AttributeService attributes;
    private final MembershipService membership;
    private final ServiceConfig config;
    private final ObjectMapper mapper;
    private final CsvMapper csv = new CsvMapper();

    CustomerImporter(CustomerService customers, CustomerRepository repository, AttributeService attributes,
                     MembershipService membership,
                     ServiceConfig config, ObjectMapper mapper) {
        this.customers = customers;
        this.repository = repository;
        this.attributes = attributes;
        this.membership = membership;
        this.config = config;
        this.mapper = mapper;
    }

    public ImportReport importNdjson(long tenantId, InputStream body) {
        AttributeCatalog catalog = attributes.catalog(tenantId, "customer").await().indefinitely();
        Run run = new Run(tenantId, catalog);
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String line;
            long number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = mapper.readTree(line);
                } catch (JsonProcessingException e) {
                    run.fail(number, "", "malformed_json", "not valid JSON: " + e.getOriginalMessage());
                    continue;
                }
                run.accept(number, node);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return run.finish();
    }

    public ImportReport importCsv(long tenantId, InputStream body) {
        AttributeCatalog catalog = attributes.catalog(tenantId, "customer").await().indefinitely();
        Run run = new Run(tenantId, catalog);
        CsvSchema schema = CsvSchema.emptySchema().withHeader();
        try (MappingIterator<Map<String, String>> rows = csv.readerForMapOf(String.class).with(schema)
                .with(CsvParser.Feature.TRIM_SPACES)
                .readValues(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            CsvSchema header = null;
            long record = 0;
            while (true) {
                Map<String, String> row;
                long number;
                try {
                    if (!rows.hasNextValue()) {
                        break;
                    }
                    row = rows.nextValue();
                    number = ++record + 1; // records are numbered as lines, the header being line 1
                } catch (IOException | RuntimeException e) {
                    run.fail(++record + 1, "", "malformed_csv", "not a valid CSV row");
                    continue;
                }
                if (header == null) {
                    header = (CsvSchema) rows.getParser().getSchema();
                    checkHeader(header, catalog);
                }
                run.accept(number, csvRecord(row, catalog));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return run.finish();
    }

    /** An unknown column is a mistake in the whole file, not in one line: reject the import before writing. */
    private static void checkHeader(CsvSchema header, AttributeCatalog catalog) {
        List<FieldError> errors = new ArrayList<>();
        for (CsvSchema.Column column : header) {
            String name = column.getName();
            boolean known = CSV_COLUMNS.contains(name) || (name.startsWith("attributes.")
                    && catalog.types().containsKey(name.substring("attributes.".length())));
            if (!known) {
                errors.add(new FieldError("/header/" + JsonPointers.escape(name), "unknown_column",
                        "column '" + name + "' is not a customer field or a declared attribute (attributes.<key>)"));
            }
        }
        if (header.column("externalId") == null) {
            errors.add(new FieldError("/header", "missing_column", "the header needs an externalId column"));
        }
        if (!errors.isEmpty()) {
            throw ProblemException.validation(errors);
        }
    }

    /** A CSV row as the JSON record it stands for; empty cells are absent values. */
    private static ObjectNode csvRecord(Map<String, String> row, AttributeCatalog catalog) {
        JsonNodeFactory f = JsonNodeFactory.withExactBigDecimals(true);
        ObjectNode record = f.objectNode();
        ObjectNode attrs = f.objectNode();
        row.forEach((column, cell) -> {
            if (cell == null || cell.isEmpty()) {
                return;
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
        });
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

    /** One import in progress: the pending chunk, the counts and the reported errors. */
    private final class Run {
        private final long tenantId;
        private final AttributeCatalog catalog;
        private final Map<String, CustomerInput> chunk = new LinkedHashMap<>();
        private final List<ImportReport.LineError> errors = new ArrayList<>();
        private long lines;
        private long created;
        private long updated;
        private long unchanged;
        private long failed;

        Run(long tenantId, AttributeCatalog catalog) {
            this.tenantId = tenantId;
            this.catalog = catalog;
        }

        void accept(long number, JsonNode node) {
            lines++;
            if (!node.isObject()) {
                fail(number, "", "invalid_value", "each line must be a JSON object");
                return;
            }
            CustomerInput input;
            try {
                input = mapper.treeToValue(node, CustomerInput.class);
            } catch (UnrecognizedPropertyException e) {
                fail(number, JsonPointers.of(e), "unknown_property", "unknown property '" + e.getPropertyName() + "'");
                return;
            } catch (JsonProcessingException e) {
                fail(number, e instanceof JsonMappingException m ? JsonPointers.of(m) : "", "invalid_value", e.getOriginalMessage());
                return;
            }
            List<FieldError> problems = customers.problems(input, catalog, "");
            if (!problems.isEmpty()) {
                failed++;
                for (FieldError p : problems) {
                    report(number, p.pointer(), p.code(), p.message());
                }
                return;
            }
            CustomerInput normalised = CustomerService.normalised(input);
            if (chunk.containsKey(normalised.externalId())) {
                flush(); // a later line for the same customer wins: write the earlier one first
            }
            chunk.put(normalised.externalId(), normalised);
            if (chunk.size() >= config.limits().importChunkSize()) {
                flush();
            }
        }

        void fail(long number, String pointer, String code, String message) {
            if (code.startsWith("malformed")) {
                lines++;
            }
            failed++;
            report(number, pointer, code, message);
        }

        private void report(long number, String pointer, String code, String message) {
            if (errors.size() < config.limits().importMaxReportedErrors()) {
                errors.add(new ImportReport.LineError(number, pointer, code, message));
            }
        }

        void flush() {
            if (chunk.isEmpty()) {
                return;
            }
            CustomerRepository.ChunkResult r = repository.upsertChunk(tenantId, new ArrayList<>(chunk.values()))
                    .call(written -> membership.customersChanged(tenantId, written.changedIds(), Source.PROFILE))
                    .await().indefinitely();
            created += r.created();
            updated += r.updated();
            unchanged += r.unchanged();
            chunk.clear();
        }

        ImportReport finish() {
            flush();
            Set<Long> failedLines = new HashSet<>();
            errors.forEach(e -> failedLines.add(e.line()));
            return new ImportReport(lines, created, updated, unchanged, failed, List.copyOf(errors),
                    failed > failedLines.size());
        }
    }

}
