package dev.segments.tracking;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;
import java.util.Map;

/** Bodies of the tracking API: the answer to Segment Spec calls and the per-tenant mapping (docs/tracking.md). */
public final class TrackingDtos {

    private TrackingDtos() {
    }

    @Schema(name = "TrackingResult", description = """
            What became of each message. A message that cannot be stored is listed in `errors` and never costs the \
            others of the batch; `success` is true whenever the body could be read (as the Segment HTTP API answers).""")
    public record TrackingResult(
            @Schema(description = "Always true: the body was read and every message was handled") boolean success,
            @Schema(description = "Messages in the request") int received,
            @Schema(description = "Messages that wrote something now (a customer, a profile change, an event or a purchase)") int stored,
            @Schema(description = "Events and purchases already recorded (same messageId or order id), not counted again") int duplicates,
            @Schema(description = "Identify calls that changed nothing (the profile already had these values)") int unchanged,
            @Schema(description = "Messages refused, each listed in errors") int rejected,
            @Schema(description = "Per refused message, in request order") List<MessageError> errors) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "TrackingMessageError")
    public record MessageError(
            @Schema(description = "Position of the message in the batch (0 for a single call)") int index,
            @Schema(description = "JSON Pointer (RFC 6901) into the request body", examples = "/batch/3/userId") String pointer,
            @Schema(description = "Stable machine-readable code", examples = "anonymous") String code,
            @Schema(description = "Human-readable explanation") String message) {
    }

    @Schema(name = "TrackingMapping", description = """
            How Segment Spec messages become customers, events and purchases for this tenant. `traits`: a trait \
            path (dot-separated, a number selects an array element) to a customer field or `attributes.<key>` of a \
            declared customer attribute; the first mapped trait present wins. `purchases`: track event names that \
            are purchases, each with property paths per purchase field, the first present wins.""")
    public record TrackingMapping(
            @Schema(type = SchemaType.OBJECT, examples = "{\"email\": \"email\", \"address.city\": \"city\", \"plan\": \"attributes.plan\"}",
                    description = "trait path -> customer field or attributes.<key>")
            Map<String, String> traits,
            @Schema(description = "event name -> how its properties fill a purchase")
            Map<String, PurchaseMapping> purchases) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "TrackingPurchaseMapping", description = "Property paths per purchase field; the first present wins")
    public record PurchaseMapping(
            @Schema(description = "Required", examples = "[\"revenue\", \"total\"]") List<String> amount,
            List<String> currency,
            @Schema(description = "The purchase's externalId (dedup); the messageId when none of the paths is present",
                    examples = "[\"order_id\"]") List<String> externalId,
            List<String> product,
            List<String> category,
            List<String> quantity,
            List<String> channel) {
    }
}
