package dev.segments.activity.api;

import dev.segments.activity.ActivityDtos;
import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.segments.activity.ActivityDtos.EventInput;
import dev.segments.activity.ActivityDtos.EventView;
import dev.segments.activity.ActivityDtos.InteractionInput;
import dev.segments.activity.ActivityDtos.InteractionView;
import dev.segments.activity.ActivityDtos.PurchaseInput;
import dev.segments.activity.ActivityDtos.PurchaseView;
import dev.segments.activity.persistence.StreamKind;
import dev.segments.activity.service.ActivityService;
import dev.segments.common.graphql.GraphQLSupport;
import dev.segments.common.graphql.PageInfo;
import dev.segments.common.pagination.Page;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.customer.CustomerView;
import io.smallrye.mutiny.Uni;
import jakarta.json.JsonValue;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.GraphQLApi;
import org.eclipse.microprofile.graphql.Id;
import org.eclipse.microprofile.graphql.Input;
import org.eclipse.microprofile.graphql.Mutation;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Source;
import org.eclipse.microprofile.graphql.Type;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.function.BiFunction;

/**
 * GraphQL: a customer's purchases, interactions and events (newest first, paginated, loaded for every customer
 * of a response in one query per stream), and the mutations that record them.
 */
@GraphQLApi
@dev.segments.common.graphql.GraphQLProblems
public class ActivityGraphQL {

    @Type("PurchaseEdge")
    public record PurchaseEdge(@NonNull String cursor, @NonNull PurchaseView node) {
    }

    @Type("PurchaseConnection")
    public record PurchaseConnection(@NonNull List<@NonNull PurchaseEdge> edges,
                                     @NonNull List<@NonNull PurchaseView> nodes, @NonNull PageInfo pageInfo) {
    }

    @Type("InteractionEdge")
    public record InteractionEdge(@NonNull String cursor, @NonNull InteractionView node) {
    }

    @Type("InteractionConnection")
    public record InteractionConnection(@NonNull List<@NonNull InteractionEdge> edges,
                                        @NonNull List<@NonNull InteractionView> nodes, @NonNull PageInfo pageInfo) {
    }

    @Type("EventEdge")
    public record EventEdge(@NonNull String cursor, @NonNull EventView node) {
    }

    @Type("EventConnection")
    public record EventConnection(@NonNull List<@NonNull EventEdge> edges,
                                  @NonNull List<@NonNull EventView> nodes, @NonNull PageInfo pageInfo) {
    }

    @Input("PurchaseInput")
    @Description("Identify the customer by customerId or customerExternalId")
    public record PurchaseGqlInput(@Id Long customerId, String customerExternalId,
                                   @Description("Your id of this purchase; a retried write with the same id is not counted twice") String externalId,
                                   @NonNull OffsetDateTime occurredAt, @NonNull BigDecimal amount, String currency,
                                   String product, String category, Integer quantity, String channel,
                                   @Description("Custom attributes (JSON object), each declared in the attribute catalog") @JsonIgnore JsonValue attributes) {
    }

    @Input("InteractionInput")
    @Description("Identify the customer by customerId or customerExternalId")
    public record InteractionGqlInput(@Id Long customerId, String customerExternalId, String externalId,
                                      @NonNull OffsetDateTime occurredAt,
                                      @NonNull @Description("call, email, meeting, consultation, contact_attempt, chat, refusal, ...") String type,
                                      String channel, String outcome, @Description("E.g. the refusal reason") String reason,
                                      @Description("Custom attributes (JSON object)") @JsonIgnore JsonValue attributes) {
    }

    @Input("EventInput")
    @Description("Identify the customer by customerId or customerExternalId")
    public record EventGqlInput(@Id Long customerId, String customerExternalId, String externalId,
                                @NonNull OffsetDateTime occurredAt, @NonNull String name,
                                @Description("Free-form event properties (JSON object)") @JsonIgnore JsonValue properties) {
    }

    @Type("RecordPurchaseResult")
    public record PurchaseResult(@NonNull PurchaseView purchase,
                                 @Description("False when the externalId was already recorded (not counted again)") boolean created) {
    }

    @Type("RecordInteractionResult")
    public record InteractionResult(@NonNull InteractionView interaction, boolean created) {
    }

    @Type("RecordEventResult")
    public record EventResult(@NonNull EventView event, boolean created) {
    }

    private final ActivityService service;
    private final CurrentTenant tenant;
    private final GraphQLSupport support;

    ActivityGraphQL(ActivityService service, CurrentTenant tenant, GraphQLSupport support) {
        this.service = service;
        this.tenant = tenant;
        this.support = support;
    }

    // ------------------------------------------------------------------ fields of Customer (batched)

    @Description("The customer's purchases, newest first")
    public Uni<List<PurchaseConnection>> purchases(@Source List<CustomerView> customers, Integer first, String after) {
        return pages(customers, StreamKind.PURCHASE, PurchaseView.class, first, after, (page, info) -> new PurchaseConnection(
                page.items().stream().map(p -> new PurchaseEdge(ActivityService.timelineCursor(p.occurredAt(), p.id()), p)).toList(),
                page.items(), info), p -> ActivityService.timelineCursor(p.occurredAt(), p.id()));
    }

    @Description("The customer's interactions (calls, consultations, contact attempts, refusals, ...), newest first")
    public Uni<List<InteractionConnection>> interactions(@Source List<CustomerView> customers, Integer first, String after) {
        return pages(customers, StreamKind.INTERACTION, InteractionView.class, first, after, (page, info) -> new InteractionConnection(
                page.items().stream().map(i -> new InteractionEdge(ActivityService.timelineCursor(i.occurredAt(), i.id()), i)).toList(),
                page.items(), info), i -> ActivityService.timelineCursor(i.occurredAt(), i.id()));
    }

    @Description("The customer's events (site activity), newest first")
    public Uni<List<EventConnection>> events(@Source List<CustomerView> customers, Integer first, String after) {
        return pages(customers, StreamKind.EVENT, EventView.class, first, after, (page, info) -> new EventConnection(
                page.items().stream().map(e -> new EventEdge(ActivityService.timelineCursor(e.occurredAt(), e.id()), e)).toList(),
                page.items(), info), e -> ActivityService.timelineCursor(e.occurredAt(), e.id()));
    }

    private <V, C> Uni<List<C>> pages(List<CustomerView> customers, StreamKind kind, Class<V> view, Integer first,
                                      String after, BiFunction<Page<V>, PageInfo, C> connection,
                                      java.util.function.Function<V, String> cursorOf) {
        List<Long> ids = customers.stream().map(CustomerView::id).toList();
        return service.lists(tenant.id(), kind, ids, support.page(first, after), view).map(pages -> ids.stream()
                .map(id -> connection.apply(pages.get(id), GraphQLSupport.pageInfo(pages.get(id), cursorOf))).toList());
    }

    @Description("Custom attributes (JSON object)")
    public JsonValue attributes(@Source PurchaseView purchase) {
        return support.json(purchase.attributes());
    }

    @Description("Custom attributes (JSON object)")
    public JsonValue attributes(@Source InteractionView interaction) {
        return support.json(interaction.attributes());
    }

    @Description("Free-form event properties (JSON object)")
    public JsonValue properties(@Source EventView event) {
        return support.json(event.properties());
    }

    // ------------------------------------------------------------------ mutations

    @Mutation("recordPurchase")
    @Description("Records a purchase and updates the customer's rollups in the same transaction")
    public Uni<PurchaseResult> recordPurchase(@NonNull PurchaseGqlInput input) {
        return service.writeOne(tenant.id(), StreamKind.PURCHASE, support.convert(input, PurchaseInput.class, "attributes", input.attributes()),
                PurchaseView.class).map(r -> new PurchaseResult(r.item(), r.created()));
    }

    @Mutation("recordInteraction")
    @Description("Records an interaction (call, consultation, contact attempt, refusal, ...)")
    public Uni<InteractionResult> recordInteraction(@NonNull InteractionGqlInput input) {
        return service.writeOne(tenant.id(), StreamKind.INTERACTION, support.convert(input, InteractionInput.class, "attributes", input.attributes()),
                InteractionView.class).map(r -> new InteractionResult(r.item(), r.created()));
    }

    @Mutation("recordEvent")
    @Description("Records a site or product event")
    public Uni<EventResult> recordEvent(@NonNull EventGqlInput input) {
        return service.writeOne(tenant.id(), StreamKind.EVENT, support.convert(input, EventInput.class, "properties", input.properties()),
                EventView.class).map(r -> new EventResult(r.item(), r.created()));
    }
}
