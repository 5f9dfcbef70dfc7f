package dev.segments.activity.service;

import dev.segments.rule.Source;
import dev.segments.customer.CustomerChanges;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.activity.ActivityDtos.ActivityInput;
import dev.segments.activity.ActivityDtos.BatchItem;
import dev.segments.activity.ActivityDtos.BatchResult;
import dev.segments.activity.persistence.ActivityRepository;
import dev.segments.activity.persistence.StreamKind;
import dev.segments.attribute.service.AttributeCatalog;
import dev.segments.attribute.service.AttributeService;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.metrics.ServiceMetrics;
import dev.segments.common.error.Problem.FieldError;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.Violations;
import dev.segments.common.pagination.Cursors;
import dev.segments.common.pagination.Page;
import dev.segments.common.pagination.PageRequest;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.validation.Validator;

import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

/**
 * Ingest and read purchases, interactions and events. A batch is validated whole (every problem reported
 * with a pointer), then written in one transaction together with the rollups of the customers it touches.
 */
@ApplicationScoped
public class ActivityService {

    /** The outcome of writing one item. */
    public record SingleResult<V>(V item, boolean created) {
    }

    private final ActivityRepository repository;
    private final AttributeService attributes;
    private final Validator validator;
    private final CustomerChanges changes;
    private final ObjectMapper mapper;
    private final ServiceConfig config;
    private final ServiceMetrics metrics;

    ActivityService(ActivityRepository repository, AttributeService attributes, CustomerChanges changes,
                    Validator validator,
                    ObjectMapper mapper, ServiceConfig config, ServiceMetrics metrics) {
        this.repository = repository;
        this.metrics = metrics;
        this.attributes = attributes;
        this.validator = validator;
        this.changes = changes;
        this.mapper = mapper;
        this.config = config;
    }

    public <V> Uni<SingleResult<V>> writeOne(long tenantId, StreamKind kind, ActivityInput item, Class<V> view) {
        return write(tenantId, kind, List.of(item), "").chain(result -> {
            BatchItem written = result.items().get(0);
            return get(tenantId, kind, written.id(), view)
                    .map(v -> new SingleResult<>(v, written.status().equals("created")));
        });
    }

    public Uni<BatchResult> writeBatch(long tenantId, StreamKind kind, List<? extends ActivityInput> items) {
        if (items.size() > config.limits().maxBatchItems()) {
            throw ProblemException.validation("/items", "too_many_items",
                    "a batch holds at most " + config.limits().maxBatchItems() + " items");
        }
        return write(tenantId, kind, items, "/items");
    }

    private Uni<BatchResult> write(long tenantId, StreamKind kind, List<? extends ActivityInput> items, String prefix) {
        Uni<AttributeCatalog> catalog = kind.attributeEntity() == null
                ? Uni.createFrom().item(new AttributeCatalog("event", Map.of()))
                : attributes.catalog(tenantId, kind.attributeEntity());
        return catalog.chain(cat -> {
            List<FieldError> errors = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                errors.addAll(problems(items.get(i), cat, kind, itemPointer(prefix, i)));
            }
            if (!errors.isEmpty()) {
                return Uni.createFrom().failure(ProblemException.validation(errors));
            }
            return repository.inTransaction(items.size(), conn -> {
                List<Long> ids = new ArrayList<>();
                List<String> externalIds = new ArrayList<>();
                for (ActivityInput item : items) {
                    if (item.customerId() != null) {
                        ids.add(item.customerId());
                    } else {
                        externalIds.add(item.customerExternalId());
                    }
                }
                List<Long> known = new ArrayList<>();
                return repository.lockCustomers(conn, tenantId, ids, externalIds, known).chain(byExternal -> {
                    ArrayNode rows = mapper.createArrayNode();
                    List<FieldError> unknown = new ArrayList<>();
                    java.util.Set<Long> knownIds = new java.util.HashSet<>(known); // one lookup per item, not a scan
                    for (int i = 0; i < items.size(); i++) {
                        ActivityInput item = items.get(i);
                        Long customerId = item.customerId() != null
                                ? (knownIds.contains(item.customerId()) ? item.customerId() : null)
                                : byExternal.get(item.customerExternalId());
                        if (customerId == null) {
                            String field = item.customerId() != null ? "customerId" : "customerExternalId";
                            unknown.add(new FieldError(itemPointer(prefix, i) + "/" + field, "unknown_customer",
                                    "no customer with this " + field));
                            continue;
                        }
                        ObjectNode row = mapper.valueToTree(item);
                        row.put("customerId", customerId);
                        row.remove("customerExternalId");
                        rows.add(row);
                    }
                    if (!unknown.isEmpty()) {
                        return Uni.createFrom().failure(ProblemException.validation(unknown));
                    }
                    return repository.insert(conn, kind, tenantId, rows.toString())
                            .chain(written -> outcome(conn, kind, tenantId, items, written))
                            .call(() -> repository.recomputeRollups(conn, tenantId, known))
                            .chain(result -> changes.record(conn, tenantId, known, EnumSet.of(source(kind)))
                                    .map(change -> new Written(result, change)));
                });
            // after the commit: the written customers' analytics values and segment memberships
            }).invoke(w -> {
                metrics.rowsImported(streamName(kind), "stored", w.result().created());
                metrics.rowsImported(streamName(kind), "duplicate", w.result().duplicates());
            }).call(w -> changes.follow(w.change())).map(Written::result);
        });
    }

    private record Written(BatchResult result, CustomerChanges.Change change) {
    }

    /** The stream's name in the import meter. */
    static String streamName(StreamKind kind) {
        return switch (kind) {
            case PURCHASE -> "purchases";
            case INTERACTION -> "interactions";
            case EVENT -> "events";
        };
    }

    /** The data a write of this stream touches (for which segments can depend on it). */
    static Source source(StreamKind kind) {
        return switch (kind) {
            case PURCHASE -> Source.PURCHASES;
            case INTERACTION -> Source.INTERACTIONS;
            case EVENT -> Source.EVENTS;
        };
    }

    /** Per item in request order: created now, or a duplicate of an item recorded before. */
    private Uni<BatchResult> outcome(io.vertx.mutiny.sqlclient.SqlConnection conn, StreamKind kind, long tenantId,
                                     List<? extends ActivityInput> items, List<ActivityRepository.Written> written) {
        Map<String, Long> createdByExternal = new HashMap<>();
        List<Long> createdWithoutExternal = new ArrayList<>();
        for (ActivityRepository.Written w : written) {
            if (w.externalId() == null) {
                createdWithoutExternal.add(w.id());
            } else {
                createdByExternal.put(w.externalId(), w.id());
            }
        }
        List<String> duplicates = items.stream().map(ActivityInput::externalId)
                .filter(e -> e != null && !createdByExternal.containsKey(e)).distinct().toList();
        Uni<Map<String, Long>> existing = duplicates.isEmpty() ? Uni.createFrom().item(Map.of())
                : repository.idsByExternalId(conn, kind, tenantId, duplicates);
        return existing.map(old -> {
            List<BatchItem> result = new ArrayList<>();
            Map<String, Boolean> seen = new HashMap<>();
            int next = 0;
            int created = 0;
            for (int i = 0; i < items.size(); i++) {
                String ext = items.get(i).externalId();
                if (ext == null) {
                    result.add(new BatchItem(i, createdWithoutExternal.get(next++), "created"));
                    created++;
                } else if (createdByExternal.containsKey(ext) && seen.putIfAbsent(ext, true) == null) {
                    result.add(new BatchItem(i, createdByExternal.get(ext), "created"));
                    created++;
                } else {
                    Long id = createdByExternal.containsKey(ext) ? createdByExternal.get(ext) : old.get(ext);
                    result.add(new BatchItem(i, id, "duplicate"));
                }
            }
            return new BatchResult(created, items.size() - created, result);
        });
    }

    List<FieldError> problems(ActivityInput item, AttributeCatalog catalog, StreamKind kind, String pointer) {
        if (item == null) {
            return List.of(new FieldError(pointer, "required", "an item is required"));
        }
        List<FieldError> errors = new ArrayList<>(Violations.toErrors(validator.validate(item), pointer));
        if ((item.customerId() == null) == (item.customerExternalId() == null)) {
            errors.add(new FieldError(pointer + "/customerId", "customer_reference",
                    "give exactly one of customerId and customerExternalId"));
        }
        if (kind.attributeEntity() != null) {
            errors.addAll(catalog.validate(item.attributes(), pointer + "/attributes"));
        }
        return errors;
    }

    public <V> Uni<V> get(long tenantId, StreamKind kind, long id, Class<V> view) {
        return repository.find(kind, tenantId, id)
                .map(json -> read(json.orElseThrow(() -> ProblemException.notFound(label(kind) + " " + id)), view));
    }

    public <V> Uni<Page<V>> list(long tenantId, StreamKind kind, long customerId, PageRequest page, Class<V> view) {
        TimelineKey after = TimelineKey.of(page.after());
        return repository.customerExists(tenantId, customerId).chain(exists -> {
            if (!exists) {
                return Uni.createFrom().failure(ProblemException.notFound("Customer " + customerId));
            }
            return repository.page(kind, tenantId, customerId, after.at(), after.id(), page.limit())
                    .map(rows -> toPage(rows, page.limit(), view));
        });
    }

    /**
     * The same timeline page (newest first) for each of several customers of the tenant, in one query; customers
     * without items (or not the tenant's) get an empty page.
     */
    public <V> Uni<Map<Long, Page<V>>> lists(long tenantId, StreamKind kind, List<Long> customerIds, PageRequest page,
                                             Class<V> view) {
        TimelineKey after = TimelineKey.of(page.after());
        return repository.pages(kind, tenantId, customerIds, after.at(), after.id(), page.limit()).map(rows -> {
            Map<Long, Page<V>> pages = new HashMap<>();
            for (Long id : customerIds) {
                pages.put(id, toPage(rows.getOrDefault(id, List.of()), page.limit(), view));
            }
            return pages;
        });
    }

    private <V> Page<V> toPage(List<String> rows, int limit, Class<V> view) {
        Page<String> json = Page.fromOverfetch(rows, limit, this::timelineCursor);
        return new Page<>(json.items().stream().map(j -> read(j, view)).toList(), json.nextCursor());
    }

    /** A timeline position: items strictly before (at, id) in (occurredAt desc, id desc) order; nulls: from the top. */
    private record TimelineKey(OffsetDateTime at, Long id) {
        static TimelineKey of(String cursor) {
            if (cursor == null) {
                return new TimelineKey(null, null);
            }
            String[] key = Cursors.decode(cursor).split("\\|");
            try {
                return new TimelineKey(OffsetDateTime.parse(key[0]), Long.parseLong(key[1]));
            } catch (DateTimeParseException | NumberFormatException | ArrayIndexOutOfBoundsException e) {
                throw Cursors.invalid();
            }
        }
    }

    /** The cursor after an item of a timeline: its (occurredAt, id). */
    public static String timelineCursor(OffsetDateTime occurredAt, long id) {
        return Cursors.encode(occurredAt + "|" + id);
    }

    private String timelineCursor(String itemJson) {
        try {
            var item = mapper.readTree(itemJson);
            return Cursors.encode(item.get("occurredAt").asText() + "|" + item.get("id").asLong());
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes an item and corrects its customer's rollups in the same transaction. */
    public Uni<Void> delete(long tenantId, StreamKind kind, long id) {
        return repository.inTransaction(1, conn -> repository.lockOwner(conn, kind, tenantId, id).chain(owner -> {
            if (owner.isEmpty()) {
                return Uni.createFrom().failure(ProblemException.notFound(label(kind) + " " + id));
            }
            return repository.delete(conn, kind, tenantId, id)
                    .call(() -> repository.recomputeRollups(conn, tenantId, List.of(owner.get())))
                    .chain(() -> changes.record(conn, tenantId, List.of(owner.get()), EnumSet.of(source(kind))));
        })).chain(changes::follow);
    }

    private <V> V read(String json, Class<V> view) {
        try {
            return mapper.readValue(json, view);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String itemPointer(String prefix, int index) {
        return prefix.isEmpty() ? "" : prefix + "/" + index;
    }

    private static String label(StreamKind kind) {
        return switch (kind) {
            case PURCHASE -> "Purchase";
            case INTERACTION -> "Interaction";
            case EVENT -> "Event";
        };
    }
}
