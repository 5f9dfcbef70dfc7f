package dev.segments.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.Id;
import org.eclipse.microprofile.graphql.Ignore;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.time.OffsetDateTime;
import java.util.List;

/** Request and response bodies of the webhooks API. */
public final class WebhookDtos {

    private WebhookDtos() {
    }

    static final String SEGMENT_KEY = "[a-z0-9][a-z0-9_-]{0,99}";

    @Schema(name = "WebhookInput", description = "A new webhook subscription")
    public record WebhookInput(
            @NotBlank @Size(max = 2048)
            @Schema(description = "Absolute http or https URL the changes are POSTed to", examples = "https://example.com/hooks/segments")
            String url,
            @Size(max = 100) List<@NotBlank @Pattern(regexp = SEGMENT_KEY, message = "must be a segment key") String> segments,
            @Size(min = 16, max = 256)
            @Schema(description = "Signing secret in the Standard Webhooks form: whsec_ and the standard base64 of 24 to "
                    + "64 random bytes. When absent a strong one is generated; either way it is returned only in this response.")
            String secret,
            @Pattern(regexp = "now|beginning", message = "must be now or beginning")
            @Schema(enumeration = {"now", "beginning"},
                    description = "now (default): only changes after the subscription is created; beginning: the tenant's whole change history")
            String from) {
    }

    @Schema(name = "WebhookUpdate", description = "The fields to change; absent or null ones stay as they are")
    public record WebhookUpdate(
            @Size(max = 2048) @Schema(description = "Absolute http or https URL") String url,
            @Size(max = 100) @Schema(description = "Segment keys; an empty list means every segment")
            List<@NotBlank @Pattern(regexp = SEGMENT_KEY, message = "must be a segment key") String> segments,
            @Schema(description = "false pauses the subscription: nothing is sent and its position in the feed stays; "
                    + "true resumes from there") Boolean active,
            @Size(min = 16, max = 256) @Schema(description = "A new signing secret (whsec_ and the base64 of 24 to 64 random bytes); never returned")
            String secret) {
    }

    /** A subscription as shown to its tenant (never with the secret); GraphQL type {@code Webhook}. */
    @Schema(name = "Webhook")
    @Type("Webhook")
    @Description("A subscription to the tenant's segment membership changes")
    public record WebhookView(
            @Id long id,
            @NonNull String url,
            @Schema(description = "Segment keys whose changes are sent; empty: every segment")
            @Description("Segment keys whose changes are sent; empty: every segment") @NonNull List<@NonNull String> segments,
            @Schema(description = "false: paused") boolean active,
            @Schema(description = "The id of the last change in the feed that was turned into a delivery (or skipped as not matching)")
            @Description("The id of the last change in the feed that was turned into a delivery (or skipped)") long lastChangeId,
            @NonNull OffsetDateTime createdAt) {
    }

    @Schema(name = "WebhookCreated", description = "The new subscription and its signing secret, shown only this once")
    public record WebhookCreated(long id, String url, List<String> segments, boolean active, long lastChangeId,
                                 OffsetDateTime createdAt,
                                 @Schema(description = "The signing secret; store it now, it is never shown again") String secret) {

        public static WebhookCreated of(WebhookView v, String secret) {
            return new WebhookCreated(v.id(), v.url(), v.segments(), v.active(), v.lastChangeId(), v.createdAt(), secret);
        }
    }

    @Schema(name = "WebhookPage")
    public record WebhookPage(List<WebhookView> items,
                              @Schema(description = "Pass as `after` for the next page; absent on the last page") String nextCursor) {
    }

    /** One entry of a subscription's delivery log; GraphQL type {@code WebhookDelivery}. */
    @Schema(name = "WebhookDelivery")
    @Type("WebhookDelivery")
    @Description("One batch of changes sent (or to be sent) to a webhook")
    public record DeliveryView(
            @Schema(description = "The delivery id, sent as the webhook-id header on every attempt (deduplicate by it)")
            @Description("Sent as the webhook-id header on every attempt; deduplicate by it") @Id @NonNull String id,
            @Schema(enumeration = {"pending", "delivered", "failed"}) @Description("pending, delivered or failed") @NonNull String status,
            @Schema(description = "Attempts made so far") int attempts,
            @Schema(description = "Id of the first change in the batch") long firstChangeId,
            @Schema(description = "Id of the last change in the batch") long lastChangeId,
            @Schema(description = "Number of changes in the batch") int count,
            @Schema(description = "HTTP status of the last attempt's response (absent when it got none)") Integer lastStatusCode,
            @Schema(description = "Why the last attempt failed") String lastError,
            @Schema(description = "When a pending delivery is due (again)") OffsetDateTime nextAttemptAt,
            @NonNull OffsetDateTime createdAt,
            OffsetDateTime deliveredAt,
            @Schema(description = "The body sent to the receiver (GET of one delivery only)", ref = "#/components/schemas/MembershipChangedEvent")
            @Ignore JsonNode payload) {
    }

    @Schema(name = "WebhookDeliveryPage")
    public record DeliveryPage(List<DeliveryView> items,
                               @Schema(description = "Pass as `after` for the next page; absent on the last page") String nextCursor) {
    }
}
