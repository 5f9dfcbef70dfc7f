package dev.segments.customer.service;

import dev.segments.rule.Source;
import dev.segments.customer.CustomerChanges;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.attribute.service.AttributeCatalog;
import dev.segments.attribute.service.AttributeService;
import dev.segments.common.error.Problem.FieldError;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.error.Violations;
import dev.segments.common.pagination.Cursors;
import dev.segments.common.pagination.Page;
import dev.segments.common.pagination.PageRequest;
import dev.segments.customer.CustomerInput;
import dev.segments.customer.CustomerView;
import dev.segments.customer.persistence.CustomerRepository;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.validation.Validator;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/** Customer profiles: create, upsert by external id, merge-patch, delete, list. */
@ApplicationScoped
public class CustomerService {

    private final CustomerRepository repository;
    private final AttributeService attributes;
    private final Validator validator;
    private final CustomerChanges changes;
    private final ObjectMapper mapper;

    CustomerService(CustomerRepository repository, AttributeService attributes, CustomerChanges changes,
                    Validator validator,
                    ObjectMapper mapper) {
        this.repository = repository;
        this.attributes = attributes;
        this.validator = validator;
        this.mapper = mapper;
        this.changes = changes;
    }

    public Uni<CustomerView> create(long tenantId, CustomerInput input) {
        return checked(tenantId, input).chain(valid -> written(tenantId, conn -> repository.insert(conn, tenantId, valid)
                .map(created -> created.orElseThrow(() -> new ProblemException(ProblemType.CONFLICT,
                        "A customer with externalId '" + input.externalId() + "' already exists; "
                                + "use PUT /customers/by-external-id/{externalId} to upsert"))),
                CustomerView::id, c -> CustomerChanges.CREATED));
    }

    /**
     * Runs a profile write and the record of its change in one transaction, then follows the change (the customer's
     * analytics values and membership) before answering with the write's result.
     */
    private <T> Uni<T> written(long tenantId, Function<SqlConnection, Uni<T>> write, Function<T, Long> customer,
                               Function<T, Set<Source>> sources) {
        return repository.inTransaction(conn -> write.apply(conn).chain(value -> changes.record(conn, tenantId,
                        List.of(customer.apply(value)), sources.apply(value)).map(change -> Map.entry(value, change))))
                .call(w -> changes.follow(w.getValue())).map(Map.Entry::getKey);
    }

    /** Creates or replaces the profile with this external id (idempotent). */
    public Uni<CustomerRepository.Written> upsert(long tenantId, String externalId, CustomerInput input) {
        if (input.externalId() != null && !input.externalId().equals(externalId)) {
            throw ProblemException.validation("/externalId", "mismatch",
                    "externalId in the body differs from the one in the path");
        }
        return checked(tenantId, withExternalId(input, externalId)).chain(valid -> written(tenantId,
                conn -> repository.upsert(conn, tenantId, valid), w -> w.customer().id(),
                w -> w.created() ? CustomerChanges.CREATED : Set.of(Source.PROFILE)));
    }

    public Uni<CustomerView> get(long tenantId, long id) {
        return repository.findById(tenantId, id).map(c -> c.orElseThrow(() -> notFound(id)));
    }

    public Uni<CustomerView> getByExternalId(long tenantId, String externalId) {
        return repository.findByExternalId(tenantId, externalId)
                .map(c -> c.orElseThrow(() -> ProblemException.notFound("Customer with externalId '" + externalId + "'")));
    }

    public Uni<Page<CustomerView>> list(long tenantId, PageRequest page) {
        return repository.page(tenantId, page.afterId(), page.limit())
                .map(rows -> Page.fromOverfetch(rows, page.limit(), c -> Cursors.encodeId(c.id())));
    }

    /** How many customers the tenant has. */
    public Uni<Long> countAll(long tenantId) {
        return repository.count(tenantId);
    }

    /** Applies a JSON Merge Patch (RFC 7386) to the profile; with expectedVersion, fails with 412 when stale. */
    public Uni<CustomerView> patch(long tenantId, long id, String patchBody, Long expectedVersion) {
        JsonNode patch = parse(patchBody);
        if (!patch.isObject()) {
            throw ProblemException.validation("", "invalid_value", "a merge patch for a customer must be a JSON object");
        }
        return get(tenantId, id).chain(current -> {
            if (expectedVersion != null && current.version() != expectedVersion) {
                return Uni.createFrom().failure(stale(id));
            }
            JsonNode merged = mergePatch(mapper.valueToTree(toInput(current)), patch);
            CustomerInput input;
            try {
                input = mapper.treeToValue(merged, CustomerInput.class);
            } catch (JsonProcessingException e) {
                return Uni.createFrom().failure(e);
            }
            return checked(tenantId, input)
                    .chain(valid -> written(tenantId, conn -> repository.update(conn, tenantId, id, valid, current.version())
                            .map(updated -> updated.orElseThrow(() -> stale(id))), CustomerView::id,
                            c -> Set.of(Source.PROFILE)));
        });
    }

    /**
     * Deletes the customer (and its activity). Its segment memberships end in the same transaction, each recorded as
     * an exit in the change feed; a stale version rolls both back.
     */
    public Uni<Void> delete(long tenantId, long id, Long expectedVersion) {
        return get(tenantId, id).chain(current -> {
            if (expectedVersion != null && current.version() != expectedVersion) {
                return Uni.createFrom().failure(stale(id));
            }
            return changes.deleteCustomers(tenantId, List.of(id),
                            conn -> repository.delete(conn, tenantId, id, expectedVersion))
                    .chain(deleted -> deleted ? Uni.createFrom().voidItem() : Uni.createFrom().failure(stale(id)));
        });
    }

    /** Validates the profile (constraints and the attribute catalog) and normalises lists; fails with 422. */
    public Uni<CustomerInput> checked(long tenantId, CustomerInput input) {
        return attributes.catalog(tenantId, "customer").map(catalog -> {
            List<FieldError> errors = problems(input, catalog, "");
            if (!errors.isEmpty()) {
                throw ProblemException.validation(errors);
            }
            return normalised(input);
        });
    }

    /** Every problem with one profile, each pointing below {@code prefix}. */
    public List<FieldError> problems(CustomerInput input, AttributeCatalog catalog, String prefix) {
        List<FieldError> errors = new ArrayList<>(Violations.toErrors(validator.validate(input), prefix));
        errors.addAll(catalog.validate(input.attributes(), prefix + "/attributes"));
        return errors;
    }

    /** Tags and phones without duplicates, attributes without null members. */
    public static CustomerInput normalised(CustomerInput in) {
        return new CustomerInput(in.externalId(), in.name(), in.email(), in.phone(), distinct(in.phones()),
                in.gender(), in.birthDate(), in.country(), in.region(), in.city(), in.priceTier(), in.paymentTerms(),
                in.lifecycleStage(), in.source(), in.channel(), distinct(in.tags()),
                in.attributes() == null ? null : AttributeCatalog.withoutNulls(in.attributes()), in.contacts());
    }

    static CustomerInput toInput(CustomerView v) {
        return new CustomerInput(v.externalId(), v.name(), v.email(), v.phone(), v.phones(), v.gender(),
                v.birthDate(), v.country(), v.region(), v.city(), v.priceTier(), v.paymentTerms(),
                v.lifecycleStage(), v.source(), v.channel(), v.tags(), v.attributes().tree(), v.contacts());
    }

    /** RFC 7386: objects merge member by member, null removes, anything else replaces. */
    static JsonNode mergePatch(JsonNode target, JsonNode patch) {
        if (!patch.isObject()) {
            return patch;
        }
        ObjectNode result = target != null && target.isObject()
                ? ((ObjectNode) target).deepCopy() : ((ObjectNode) patch).objectNode();
        patch.properties().forEach(e -> {
            if (e.getValue().isNull()) {
                result.remove(e.getKey());
            } else {
                result.set(e.getKey(), mergePatch(result.get(e.getKey()), e.getValue()));
            }
        });
        return result;
    }

    private static CustomerInput withExternalId(CustomerInput in, String externalId) {
        return new CustomerInput(externalId, in.name(), in.email(), in.phone(), in.phones(), in.gender(),
                in.birthDate(), in.country(), in.region(), in.city(), in.priceTier(), in.paymentTerms(),
                in.lifecycleStage(), in.source(), in.channel(), in.tags(), in.attributes(), in.contacts());
    }

    private static List<String> distinct(List<String> values) {
        return values == null ? null : List.copyOf(new LinkedHashSet<>(values));
    }

    private JsonNode parse(String body) {
        try {
            JsonNode node = mapper.readTree(body == null ? "" : body);
            if (node == null || node.isMissingNode()) {
                throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The body is empty");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw dev.segments.common.error.Problems.fromJackson(e);
        }
    }

    static ProblemException notFound(long id) {
        return ProblemException.notFound("Customer " + id);
    }

    private static ProblemException stale(long id) {
        return new ProblemException(ProblemType.PRECONDITION_FAILED,
                "Customer " + id + " has changed since the version in If-Match; fetch it again and retry");
    }
}
