package dev.segments.webhook.api;

import dev.segments.webhook.WebhookDtos;
import dev.segments.common.graphql.GraphQLSupport;
import dev.segments.common.graphql.PageInfo;
import dev.segments.common.pagination.Cursors;
import dev.segments.common.pagination.Page;
import dev.segments.common.pagination.PageRequest;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.webhook.WebhookDtos.DeliveryView;
import dev.segments.webhook.WebhookDtos.WebhookInput;
import dev.segments.webhook.WebhookDtos.WebhookUpdate;
import dev.segments.webhook.WebhookDtos.WebhookView;
import dev.segments.webhook.service.WebhookService;
import io.smallrye.mutiny.Uni;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.GraphQLApi;
import org.eclipse.microprofile.graphql.Id;
import org.eclipse.microprofile.graphql.Input;
import org.eclipse.microprofile.graphql.Mutation;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Query;
import org.eclipse.microprofile.graphql.Source;
import org.eclipse.microprofile.graphql.Type;

import java.util.List;

/**
 * GraphQL: webhook subscriptions and their delivery logs, over the same service as {@link WebhookResource}. The
 * deliveries of every webhook in one response are read with one query.
 */
@GraphQLApi
@dev.segments.common.graphql.GraphQLProblems
public class WebhookGraphQL {

    @Input("WebhookInput")
    @Description("A new webhook subscription")
    public record WebhookGqlInput(
            @NonNull @Description("Absolute http or https URL the changes are POSTed to") String url,
            @Description("Segment keys whose changes are sent; none: every segment") List<String> segments,
            @Description("Signing secret (whsec_ and the base64 of 24 to 64 random bytes); generated when absent, returned only by this mutation") String secret,
            @Description("now (default): changes from now on; beginning: the tenant's whole change history") String from) {
    }

    @Input("WebhookUpdate")
    @Description("The fields to change; absent or null ones stay as they are")
    public record WebhookGqlUpdate(
            String url,
            @Description("Segment keys; an empty list means every segment") List<String> segments,
            @Description("false pauses the subscription; true resumes it where it stopped") Boolean active,
            @Description("A new signing secret (whsec_ and the base64 of 24 to 64 random bytes)") String secret) {
    }

    @Type("CreateWebhookResult")
    public record CreateWebhookResult(@NonNull WebhookView webhook,
                                      @Description("The signing secret; shown only here") @NonNull String secret) {
    }

    @Type("WebhookEdge")
    public record WebhookEdge(@NonNull String cursor, @NonNull WebhookView node) {
    }

    @Type("WebhookConnection")
    @Description("A page of webhook subscriptions in id order")
    public record WebhookConnection(@NonNull List<@NonNull WebhookEdge> edges,
                                    @NonNull List<@NonNull WebhookView> nodes,
                                    @NonNull PageInfo pageInfo) {
    }

    @Type("WebhookDeliveryEdge")
    public record DeliveryEdge(@NonNull String cursor, @NonNull DeliveryView node) {
    }

    @Type("WebhookDeliveryConnection")
    @Description("A page of a webhook's delivery log, newest first")
    public record DeliveryConnection(@NonNull List<@NonNull DeliveryEdge> edges,
                                     @NonNull List<@NonNull DeliveryView> nodes,
                                     @NonNull PageInfo pageInfo) {
    }

    private final WebhookService service;
    private final CurrentTenant tenant;
    private final GraphQLSupport support;

    WebhookGraphQL(WebhookService service, CurrentTenant tenant, GraphQLSupport support) {
        this.service = service;
        this.tenant = tenant;
        this.support = support;
    }

    @Query("webhooks")
    @Description("The tenant's webhook subscriptions in id order")
    public Uni<WebhookConnection> webhooks(@Description("Page size") Integer first,
                                           @Description("endCursor of the previous page") String after) {
        return service.list(tenant.id(), support.page(first, after)).map(page -> {
            List<WebhookEdge> edges = page.items().stream().map(w -> new WebhookEdge(cursor(w), w)).toList();
            return new WebhookConnection(edges, page.items(), GraphQLSupport.pageInfo(page, WebhookGraphQL::cursor));
        });
    }

    @Query("webhook")
    @Description("One webhook subscription")
    public Uni<WebhookView> webhook(@NonNull @Id long id) {
        return service.get(tenant.id(), id);
    }

    @Description("A page of the webhook's delivery log, newest first")
    public Uni<List<DeliveryConnection>> deliveries(@Source List<WebhookView> webhooks,
                                                    @Description("Page size") Integer first,
                                                    @Description("endCursor of the previous page") String after) {
        PageRequest page = support.page(first, after);
        List<Long> ids = webhooks.stream().map(WebhookView::id).toList();
        return service.deliveries(tenant.id(), ids, page).map(pages -> ids.stream()
                .map(id -> connection(pages.get(id))).toList());
    }

    @Mutation("createWebhook")
    @Description("Subscribes a URL to membership changes; the result carries the signing secret, shown only here")
    public Uni<CreateWebhookResult> createWebhook(@NonNull WebhookGqlInput input) {
        return service.create(tenant.id(), new WebhookInput(input.url(), input.segments(), input.secret(), input.from()))
                .map(c -> new CreateWebhookResult(c.webhook(), c.secret()));
    }

    @Mutation("updateWebhook")
    @Description("Changes the given fields of a webhook subscription")
    public Uni<WebhookView> updateWebhook(@NonNull @Id long id, @NonNull WebhookGqlUpdate input) {
        return service.update(tenant.id(), id,
                new WebhookUpdate(input.url(), input.segments(), input.active(), input.secret()));
    }

    @Mutation("deleteWebhook")
    @Description("Deletes a webhook subscription and its delivery log")
    public Uni<Boolean> deleteWebhook(@NonNull @Id long id) {
        return service.delete(tenant.id(), id).map(v -> true);
    }

    @Mutation("retryWebhookDelivery")
    @Description("Sends a failed delivery again (same id, fresh attempts)")
    public Uni<DeliveryView> retryWebhookDelivery(@NonNull @Id long webhookId, @NonNull @Id String deliveryId) {
        return service.retry(tenant.id(), webhookId, deliveryId);
    }

    private static String cursor(WebhookView w) {
        return Cursors.encodeId(w.id());
    }

    private static DeliveryConnection connection(Page<DeliveryView> page) {
        List<DeliveryEdge> edges = page.items().stream()
                .map(d -> new DeliveryEdge(WebhookService.deliveryCursor(d), d)).toList();
        return new DeliveryConnection(edges, page.items(), GraphQLSupport.pageInfo(page, WebhookService::deliveryCursor));
    }
}
