package dev.segments.customer.api;

import dev.segments.customer.CustomerInput;
import dev.segments.customer.CustomerView;
import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.segments.common.graphql.GraphQLSupport;
import dev.segments.common.graphql.PageInfo;
import dev.segments.common.pagination.Cursors;
import dev.segments.common.pagination.Page;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.customer.service.CustomerService;
import dev.segments.rule.format.RuleFormat;
import io.smallrye.mutiny.Uni;
import jakarta.json.JsonValue;
import org.eclipse.microprofile.graphql.DateFormat;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.GraphQLApi;
import org.eclipse.microprofile.graphql.Id;
import org.eclipse.microprofile.graphql.Ignore;
import org.eclipse.microprofile.graphql.Input;
import org.eclipse.microprofile.graphql.Mutation;
import org.eclipse.microprofile.graphql.Name;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Query;
import org.eclipse.microprofile.graphql.Source;
import org.eclipse.microprofile.graphql.Type;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * GraphQL: one customer, upsert and delete, and the customer types ({@code Customer}, {@code CustomerConnection}).
 * The {@code customers} list (with its rule search), {@code CustomerConnection.totalCount} and
 * {@code Customer.segments} evaluate rules, so they live with segments ({@code segment.api.CustomerSearchGraphQL},
 * {@code segment.api.SegmentGraphQL}).
 */
@GraphQLApi
@dev.segments.common.graphql.GraphQLProblems
public class CustomerGraphQL {

    @Type("CustomerEdge")
    public record CustomerEdge(@NonNull String cursor, @NonNull CustomerView node) {
    }

    /**
     * A page of customers. {@code totalCount} is computed only when asked for (one count query, batched across
     * the segments of one request).
     */
    @Type("CustomerConnection")
    @Description("A page of customers in id order")
    public record CustomerConnection(@NonNull List<@NonNull CustomerEdge> edges,
                                     @NonNull List<@NonNull CustomerView> nodes,
                                     @NonNull PageInfo pageInfo,
                                     @Description("The instant the page is exact at: now without asOf (a segment read "
                                             + "from its materialized membership too), else asOf; null for the plain "
                                             + "customer list") OffsetDateTime evaluatedAt,
                                     @Description("materialized (a dynamic segment's maintained membership), static (a "
                                             + "static segment's members), live (a rule evaluated in the request); null "
                                             + "for the plain customer list") String source,
                                     @Ignore CountSource countSource) {

        public static CustomerConnection of(Page<CustomerView> page, CountSource countSource) {
            return of(page, countSource, null, null);
        }

        public static CustomerConnection of(Page<CustomerView> page, CountSource countSource,
                                            OffsetDateTime evaluatedAt, String source) {
            return new CustomerConnection(
                    page.items().stream().map(c -> new CustomerEdge(cursor(c), c)).toList(), page.items(),
                    GraphQLSupport.pageInfo(page, CustomerConnection::cursor), evaluatedAt, source, countSource);
        }

        static String cursor(CustomerView c) {
            return Cursors.encodeId(c.id());
        }
    }

    /** What a connection's totalCount counts: a saved segment, an ad-hoc rule, or every customer. */
    public record CountSource(String segmentKey, JsonValue rule, RuleFormat format, OffsetDateTime asOf) {
    }

    /** GraphQL input of a customer profile; {@code attributes} is a JSON object of declared attributes. */
    @Input("CustomerInput")
    public record CustomerGqlInput(
            @NonNull String externalId, String name, String email, String phone, List<String> phones, String gender,
            @DateFormat("yyyy-MM-dd") LocalDate birthDate, String country, String region, String city,
            String priceTier, String paymentTerms, String lifecycleStage, String source, String channel,
            List<String> tags,
            @Description("Custom attributes (JSON object), each declared in the attribute catalog") @JsonIgnore JsonValue attributes,
            List<CustomerInput.Contact> contacts) {
    }

    @Type("UpsertCustomerResult")
    public record UpsertResult(@NonNull CustomerView customer,
                               @Description("True when the customer was created, false when it existed") boolean created) {
    }

    private final CustomerService customers;
    private final CurrentTenant tenant;
    private final GraphQLSupport support;

    CustomerGraphQL(CustomerService customers, CurrentTenant tenant, GraphQLSupport support) {
        this.customers = customers;
        this.tenant = tenant;
        this.support = support;
    }

    @Query("customer")
    @Description("One customer, by id or by externalId")
    public Uni<CustomerView> customer(@Id Long id, String externalId) {
        if ((id == null) == (externalId == null)) {
            throw dev.segments.common.error.ProblemException.validation("id", "required",
                    "give exactly one of id and externalId");
        }
        return id != null ? customers.get(tenant.id(), id) : customers.getByExternalId(tenant.id(), externalId);
    }

    @Description("Custom attributes (JSON object)")
    public JsonValue attributes(@Source CustomerView customer) {
        return support.json(customer.attributes());
    }

    @Mutation("upsertCustomer")
    @Description("Creates the customer with this externalId, or replaces its profile (idempotent)")
    public Uni<UpsertResult> upsertCustomer(@NonNull CustomerGqlInput input) {
        CustomerInput in = support.convert(input, CustomerInput.class, "attributes", input.attributes());
        return customers.upsert(tenant.id(), input.externalId(), in)
                .map(w -> new UpsertResult(w.customer(), w.created()));
    }

    @Mutation("deleteCustomer")
    @Description("Deletes a customer and its activity; with version, only if unchanged since (else a precondition-failed error)")
    public Uni<Boolean> deleteCustomer(@Id @NonNull Long id, Long version) {
        return customers.delete(tenant.id(), id, version).map(v -> true);
    }
}
