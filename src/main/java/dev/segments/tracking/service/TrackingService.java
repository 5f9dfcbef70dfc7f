package dev.segments.tracking.service;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.activity.ActivityDtos.ActivityInput;
import dev.segments.activity.ActivityDtos.BatchItem;
import dev.segments.activity.persistence.StreamKind;
import dev.segments.activity.service.ActivityService;
import dev.segments.attribute.service.AttributeCatalog;
import dev.segments.attribute.service.AttributeService;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.Problem.FieldError;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.error.Problems;
import dev.segments.common.error.Violations;
import dev.segments.customer.CustomerInput;
import dev.segments.customer.CustomerView;
import dev.segments.customer.service.CustomerService;
import dev.segments.tracking.TrackingDtos.MessageError;
import dev.segments.tracking.TrackingDtos.TrackingMapping;
import dev.segments.tracking.TrackingDtos.TrackingResult;
import dev.segments.tracking.persistence.TrackingMappingRepository;
import dev.segments.tracking.service.MessagePlanner.Activity;
import dev.segments.tracking.service.MessagePlanner.Identify;
import dev.segments.tracking.service.MessagePlanner.Plan;
import dev.segments.tracking.service.MessagePlanner.Rejected;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.validation.Validator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tracking API's use cases (docs/tracking.md): Segment Spec messages in, customers, events and purchases out,
 * through the same {@link CustomerService} and {@link ActivityService} write paths as the REST API, so rollups and
 * segment membership follow as for any other write. Messages are handled one by one in request order for
 * customers (an identify, or the creation of an unknown userId), then events and purchases are written in batches;
 * a message that cannot be stored is reported with its index and pointer and never costs the others.
 */
@ApplicationScoped
public class TrackingService {

    /** What became of one message. */
    private enum Status { STORED, DUPLICATE, UNCHANGED, REJECTED }

    private static final int IDENTIFY_ATTEMPTS = 3;

    private final CustomerService customers;
    private final ActivityService activity;
    private final AttributeService attributes;
    private final TrackingMappingRepository repository;
    private final Validator validator;
    private final ObjectMapper mapper;
    /** Reads bodies as trees without the per-body string checks, which {@link MessagePlanner} does per message. */
    private final ObjectMapper reader;
    private final ServiceConfig config;

    TrackingService(CustomerService customers, ActivityService activity, AttributeService attributes,
                    TrackingMappingRepository repository, Validator validator, ObjectMapper mapper, ServiceConfig config) {
        this.customers = customers;
        this.activity = activity;
        this.attributes = attributes;
        this.repository = repository;
        this.validator = validator;
        this.mapper = mapper;
        this.config = config;
        this.reader = new ObjectMapper(mapper.getFactory().copy())
                .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true))
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** A body of {@code POST /tracking/v1/batch}: {@code {"batch": [...], "sentAt": ...}}. */
    public Uni<TrackingResult> batch(long tenantId, byte[] body) {
        JsonNode doc = parse(body);
        if (!doc.isObject()) {
            throw ProblemException.validation("", "invalid_type", "the body must be a JSON object with a batch array");
        }
        JsonNode batch = doc.get("batch");
        if (batch == null || !batch.isArray()) {
            throw ProblemException.validation("/batch", batch == null ? "required" : "invalid_type",
                    "the body needs a batch array of messages");
        }
        List<JsonNode> messages = new ArrayList<>();
        batch.forEach(messages::add);
        return receive(tenantId, messages, "/batch", doc.get("sentAt"), null);
    }

    /** A body of a single call ({@code POST /tracking/v1/identify} and the like): one message of that type. */
    public Uni<TrackingResult> single(long tenantId, String type, byte[] body) {
        JsonNode doc = parse(body);
        if (!doc.isObject()) {
            throw ProblemException.validation("", "invalid_type", "the body must be a JSON object (one " + type + " call)");
        }
        return receive(tenantId, List.of(doc), null, null, type);
    }

    private Uni<TrackingResult> receive(long tenantId, List<JsonNode> messages, String prefix, JsonNode batchSentAt,
                                        String impliedType) {
        OffsetDateTime receivedAt = OffsetDateTime.now(ZoneOffset.UTC);
        return Uni.combine().all().unis(mapping(tenantId), attributes.catalog(tenantId, "customer")).asTuple()
                .chain(t -> {
                    MessagePlanner planner = new MessagePlanner(t.getItem1(), t.getItem2(), receivedAt,
                            batchSentAt == null || batchSentAt.isNull() ? null : batchSentAt);
                    Run run = new Run(tenantId, messages.size());
                    List<Plan> plans = new ArrayList<>();
                    for (int i = 0; i < messages.size(); i++) {
                        String pointer = prefix == null ? "" : prefix + "/" + i;
                        try {
                            Plan plan = planner.plan(messages.get(i), i, pointer, impliedType);
                            if (plan instanceof Activity a && !checked(run, a)) {
                                continue;
                            }
                            plans.add(plan);
                        } catch (Rejected r) {
                            run.reject(r.error);
                        }
                    }
                    return Multi.createFrom().iterable(plans).onItem()
                            .transformToUniAndConcatenate(plan -> customer(run, plan)).collect().asList()
                            .chain(() -> write(run, StreamKind.EVENT, plans))
                            .chain(() -> write(run, StreamKind.PURCHASE, plans))
                            .map(v -> run.result());
                });
    }

    /** The constraints of the event or purchase record, reported at the message's own members. */
    private boolean checked(Run run, Activity a) {
        List<FieldError> errors = Violations.toErrors(validator.validate(a.input()), "");
        if (errors.isEmpty()) {
            return true;
        }
        run.reject(a, errors);
        return false;
    }

    // ---- customers: identify, or create an unknown userId with only its externalId

    private Uni<Void> customer(Run run, Plan plan) {
        if (plan instanceof Identify identify) {
            return identify(run, identify, 1).invoke(status -> {
                        run.status(identify.index(), status);
                        run.known.add(identify.userId());
                    })
                    .onFailure(ProblemException.class).recoverWithItem(failure -> {
                        run.reject(identify, (ProblemException) failure);
                        return null;
                    }).replaceWithVoid();
        }
        if (run.known.contains(plan.userId())) {
            return Uni.createFrom().voidItem();
        }
        return customers.create(run.tenantId, profile(plan.userId(), null))
                .replaceWithVoid()
                .onFailure(ProblemException.class).recoverWithUni(failure -> {
                    ProblemException p = (ProblemException) failure;
                    if (p.type() != ProblemType.CONFLICT) {
                        run.reject(plan, p); // the write of its event will not find the customer either
                    }
                    return Uni.createFrom().voidItem();
                })
                .invoke(() -> run.known.add(plan.userId()));
    }

    /**
     * Applies the identify's merge patch: creates the customer when unknown, changes only the mentioned fields when
     * known (with the version read, so a concurrent change is not overwritten: it is read again and retried).
     */
    private Uni<Status> identify(Run run, Identify plan, int attempt) {
        return customers.getByExternalId(run.tenantId, plan.userId())
                .onFailure(this::notFound).recoverWithNull()
                .chain(current -> {
                    if (current == null) {
                        return customers.create(run.tenantId, profile(plan.userId(), plan.patch()))
                                .replaceWith(Status.STORED)
                                .onFailure(p -> conflict(p, ProblemType.CONFLICT) && attempt < IDENTIFY_ATTEMPTS)
                                .recoverWithUni(() -> identify(run, plan, attempt + 1));
                    }
                    if (unchanged(current, plan.patch())) {
                        return Uni.createFrom().item(Status.UNCHANGED);
                    }
                    return customers.patch(run.tenantId, current.id(), plan.patch().toString(), current.version())
                            .replaceWith(Status.STORED)
                            .onFailure(p -> (conflict(p, ProblemType.PRECONDITION_FAILED) || notFound(p))
                                    && attempt < IDENTIFY_ATTEMPTS)
                            .recoverWithUni(() -> identify(run, plan, attempt + 1));
                });
    }

    private boolean notFound(Throwable t) {
        return conflict(t, ProblemType.NOT_FOUND);
    }

    private static boolean conflict(Throwable t, ProblemType type) {
        return t instanceof ProblemException p && p.type() == type;
    }

    /** Whether every member of the patch already has that value in the profile. */
    private boolean unchanged(CustomerView current, ObjectNode patch) {
        JsonNode profile = mapper.valueToTree(current);
        for (var e : patch.properties()) {
            if (e.getKey().equals("attributes")) {
                JsonNode have = profile.path("attributes");
                for (var a : e.getValue().properties()) {
                    if (!same(have.get(a.getKey()), a.getValue())) {
                        return false;
                    }
                }
            } else if (!same(profile.get(e.getKey()), e.getValue())) {
                return false;
            }
        }
        return true;
    }

    private static boolean same(JsonNode have, JsonNode want) {
        if (want.isNull()) {
            return have == null || have.isNull() || (have.isArray() && have.isEmpty());
        }
        return want.equals(have);
    }

    /** A new customer's profile: the externalId and the fields of the patch (nulls are simply absent). */
    private CustomerInput profile(String externalId, ObjectNode patch) {
        ObjectNode doc = patch == null ? mapper.createObjectNode() : patch.deepCopy();
        doc.put("externalId", externalId);
        try {
            return mapper.treeToValue(doc, CustomerInput.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the planner builds typed patches", e);
        }
    }

    // ---- events and purchases

    private Uni<Void> write(Run run, StreamKind kind, List<Plan> plans) {
        List<Activity> items = plans.stream().filter(p -> p instanceof Activity a && a.kind() == kind
                && !run.rejected(p.index())).map(p -> (Activity) p).toList();
        int size = Math.max(1, config.limits().maxBatchItems());
        List<List<Activity>> chunks = new ArrayList<>();
        for (int i = 0; i < items.size(); i += size) {
            chunks.add(items.subList(i, Math.min(items.size(), i + size)));
        }
        return Multi.createFrom().iterable(chunks).onItem()
                .transformToUniAndConcatenate(chunk -> writeChunk(run, kind, chunk)).collect().asList().replaceWithVoid();
    }

    /** One batch write; if it is refused (a customer deleted meanwhile, say), each message again on its own. */
    private Uni<Void> writeChunk(Run run, StreamKind kind, List<Activity> chunk) {
        List<ActivityInput> inputs = chunk.stream().map(Activity::input).toList();
        return activity.writeBatch(run.tenantId, kind, inputs).invoke(result -> record(run, chunk, result.items()))
                .replaceWithVoid()
                .onFailure(ProblemException.class).recoverWithUni(failure -> chunk.size() == 1
                        ? Uni.createFrom().voidItem().invoke(() -> run.reject(chunk.get(0), (ProblemException) failure))
                        : Multi.createFrom().iterable(chunk).onItem()
                        .transformToUniAndConcatenate(one -> writeChunk(run, kind, List.of(one)))
                        .collect().asList().replaceWithVoid());
    }

    private static void record(Run run, List<Activity> chunk, List<BatchItem> items) {
        for (BatchItem item : items) {
            run.status(chunk.get(item.index()).index(), item.status().equals("created") ? Status.STORED : Status.DUPLICATE);
        }
    }

    // ---- mapping

    /** The tenant's mapping, or the default when it never stored one. */
    public Uni<TrackingMapping> mapping(long tenantId) {
        return repository.find(tenantId).map(json -> json.map(this::readMapping).orElse(TrackingMappings.DEFAULT));
    }

    /** Validates and stores the tenant's mapping (a 422 lists every problem); returns it as stored. */
    public Uni<TrackingMapping> replaceMapping(long tenantId, JsonNode doc) {
        return attributes.catalog(tenantId, "customer").chain(catalog -> {
            TrackingMapping mapping = TrackingMappings.validate(doc, catalog);
            return repository.save(tenantId, write(mapping)).replaceWith(mapping);
        });
    }

    private TrackingMapping readMapping(String json) {
        try {
            return mapper.readValue(json, TrackingMapping.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String write(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The body is empty");
        }
        try {
            JsonNode doc = reader.readTree(body);
            if (doc == null || doc.isMissingNode()) {
                throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The body is empty");
            }
            return doc;
        } catch (JacksonException e) {
            throw Problems.fromJackson(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The state of one request: each message's status and the errors of the refused ones. */
    private static final class Run {
        final long tenantId;
        final Status[] statuses;
        final List<MessageError> errors = new ArrayList<>();
        /** userIds whose customer exists (created or found) in this request. */
        final Set<String> known = new HashSet<>();

        Run(long tenantId, int size) {
            this.tenantId = tenantId;
            this.statuses = new Status[size];
        }

        void status(int index, Status status) {
            if (statuses[index] != Status.REJECTED) {
                statuses[index] = status;
            }
        }

        boolean rejected(int index) {
            return statuses[index] == Status.REJECTED;
        }

        void reject(MessageError error) {
            statuses[error.index()] = Status.REJECTED;
            errors.add(error);
        }

        void reject(Plan plan, ProblemException p) {
            List<FieldError> fieldErrors = p.problem().errors();
            if (fieldErrors == null || fieldErrors.isEmpty()) {
                reject(new MessageError(plan.index(), plan.pointer(), code(p.type()), p.getMessage()));
            } else {
                reject(plan, fieldErrors);
            }
        }

        /** Errors of the written record (pointers such as /email, /items/0/amount), at the message's members. */
        void reject(Plan plan, List<FieldError> fieldErrors) {
            for (FieldError e : fieldErrors) {
                String pointer = e.pointer() == null ? "" : e.pointer().replaceFirst("^/items/\\d+", "");
                reject(new MessageError(plan.index(), source(plan, pointer), e.code(), e.message()));
            }
        }

        private static String source(Plan plan, String pointer) {
            String best = null;
            for (Map.Entry<String, String> e : plan.sources().entrySet()) {
                String key = e.getKey();
                if ((pointer.equals(key) || pointer.startsWith(key + "/")) && (best == null || key.length() > best.length())) {
                    best = key;
                }
            }
            return best == null ? plan.pointer() : plan.sources().get(best) + pointer.substring(best.length());
        }

        private static String code(ProblemType type) {
            return type.uri().substring(type.uri().lastIndexOf('/') + 1).replace('-', '_');
        }

        TrackingResult result() {
            int stored = 0;
            int duplicates = 0;
            int unchanged = 0;
            int rejected = 0;
            for (Status s : statuses) {
                if (s == null) {
                    continue;
                }
                switch (s) {
                    case STORED -> stored++;
                    case DUPLICATE -> duplicates++;
                    case UNCHANGED -> unchanged++;
                    case REJECTED -> rejected++;
                }
            }
            errors.sort(Comparator.comparingInt(MessageError::index));
            return new TrackingResult(true, statuses.length, stored, duplicates, unchanged, rejected, List.copyOf(errors));
        }
    }
}
