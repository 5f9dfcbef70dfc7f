package dev.segments.activity;

import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.Digits;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import org.eclipse.microprofile.graphql.Id;
import org.eclipse.microprofile.graphql.Ignore;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.List;

/** Request and response bodies of the activity streams: purchases, interactions and events. */
public final class ActivityDtos {

    private ActivityDtos() {
    }

    /** What every activity item has: whose it is, when, and an optional id that makes retries safe. */
    public interface ActivityInput {
        Long customerId();

        String customerExternalId();

        String externalId();

        OffsetDateTime occurredAt();

        /** Custom attributes checked against the catalog, or null for streams without a catalog. */
        ObjectNode attributes();
    }

    @Schema(name = "PurchaseInput", description = "Identify the customer by customerId or customerExternalId")
    public record PurchaseInput(
            Long customerId,
            @Size(max = 200) String customerExternalId,
            @Size(max = 200) @Schema(description = "Your id of this purchase; a retried write with the same id is not counted twice") String externalId,
            @NotNull OffsetDateTime occurredAt,
            @NotNull @Digits(integer = 16, fraction = 4, message = "must have at most 16 digits before the decimal point and 4 after (the amount is stored exactly, never rounded)")
            @Schema(description = "Exact decimal; negative for refunds; at most 16 digits before the point and 4 after") BigDecimal amount,
            @Size(max = 10) String currency,
            @Size(max = 500) String product,
            @Size(max = 200) String category,
            Integer quantity,
            @Size(max = 100) String channel,
            @Schema(type = SchemaType.OBJECT) ObjectNode attributes) implements ActivityInput {

        public PurchaseInput {
            // trailing zeros beyond the column's 4 decimals lose nothing (12.50000 is 12.5000); any other digit
            // there is refused by @Digits rather than rounded
            if (amount != null && amount.scale() > 4) {
                amount = amount.stripTrailingZeros();
            }
        }
    }

    @Schema(name = "InteractionInput", description = "Identify the customer by customerId or customerExternalId")
    public record InteractionInput(
            Long customerId,
            @Size(max = 200) String customerExternalId,
            @Size(max = 200) String externalId,
            @NotNull OffsetDateTime occurredAt,
            @NotBlank @Size(max = 100) @Schema(examples = "consultation", description = "call, email, meeting, consultation, contact_attempt, chat, refusal, ...") String type,
            @Size(max = 100) String channel,
            @Size(max = 200) String outcome,
            @Size(max = 500) @Schema(description = "E.g. the refusal reason") String reason,
            @Schema(type = SchemaType.OBJECT) ObjectNode attributes) implements ActivityInput {
    }

    @Schema(name = "EventInput", description = "Identify the customer by customerId or customerExternalId")
    public record EventInput(
            Long customerId,
            @Size(max = 200) String customerExternalId,
            @Size(max = 200) String externalId,
            @NotNull OffsetDateTime occurredAt,
            @NotBlank @Size(max = 200) @Schema(examples = "page_view") String name,
            @Schema(type = SchemaType.OBJECT, description = "Free-form event properties") ObjectNode properties) implements ActivityInput {
        @Override
        public ObjectNode attributes() {
            return null;
        }
    }

    @Schema(name = "Purchase")
    @Type("Purchase")
    public record PurchaseView(@Id long id, @Id long customerId, String externalId, OffsetDateTime occurredAt,
                               BigDecimal amount, String currency, String product, String category,
                               Integer quantity, String channel,
                               @Schema(type = SchemaType.OBJECT) @Ignore ObjectNode attributes, OffsetDateTime createdAt) {
    }

    @Schema(name = "Interaction")
    @Type("Interaction")
    public record InteractionView(@Id long id, @Id long customerId, String externalId, OffsetDateTime occurredAt,
                                  String type, String channel, String outcome, String reason,
                                  @Schema(type = SchemaType.OBJECT) @Ignore ObjectNode attributes, OffsetDateTime createdAt) {
    }

    @Schema(name = "Event")
    @Type("Event")
    public record EventView(@Id long id, @Id long customerId, String externalId, OffsetDateTime occurredAt, String name,
                            @Schema(type = SchemaType.OBJECT) @Ignore ObjectNode properties, OffsetDateTime createdAt) {
    }

    /** A batch of one stream's items, written whole or not at all. */
    public interface ActivityBatch<I extends ActivityInput> {
        List<I> items();
    }

    @Schema(name = "PurchaseBatch")
    public record PurchaseBatch(@NotEmpty List<@Valid @NotNull PurchaseInput> items) implements ActivityBatch<PurchaseInput> {
    }

    @Schema(name = "InteractionBatch")
    public record InteractionBatch(@NotEmpty List<@Valid @NotNull InteractionInput> items)
            implements ActivityBatch<InteractionInput> {
    }

    @Schema(name = "EventBatch")
    public record EventBatch(@NotEmpty List<@Valid @NotNull EventInput> items) implements ActivityBatch<EventInput> {
    }

    @Schema(name = "BatchResult", description = "A batch is written whole or not at all")
    @Type("BatchResult")
    public record BatchResult(
            @Schema(description = "Items written now") int created,
            @Schema(description = "Items whose externalId was already recorded (not counted again)") int duplicates,
            @Schema(description = "Per item, in request order") List<BatchItem> items) {
    }

    @Schema(name = "BatchItem")
    @Type("BatchItem")
    public record BatchItem(int index, @Id long id,
                            @Schema(enumeration = {"created", "duplicate"}) String status) {
    }

    @Schema(name = "PurchasePage")
    public record PurchasePage(List<PurchaseView> items, String nextCursor) {
    }

    @Schema(name = "InteractionPage")
    public record InteractionPage(List<InteractionView> items, String nextCursor) {
    }

    @Schema(name = "EventPage")
    public record EventPage(List<EventView> items, String nextCursor) {
    }
}
