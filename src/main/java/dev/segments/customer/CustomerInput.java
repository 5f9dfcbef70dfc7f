package dev.segments.customer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Email;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.time.LocalDate;
import java.util.List;

/**
 * A customer's profile as clients write it (create, upsert, import, and the result of a merge patch).
 * Rollups (purchase count, spend, ...) are not writable: the service derives them from activity.
 */
@Schema(name = "CustomerInput")
public record CustomerInput(
        @NotBlank @Size(max = 200) @Schema(description = "The customer's id in the client's CRM; unique per tenant", examples = "crm-1042")
        String externalId,
        @Size(max = 500) String name,
        @Email @Size(max = 320) String email,
        @Size(max = 50) @Schema(description = "Primary phone number") String phone,
        @Size(max = 20) @Schema(description = "All phone numbers") List<@NotBlank @Size(max = 50) String> phones,
        @Size(max = 50) String gender,
        @Schema(description = "YYYY-MM-DD") LocalDate birthDate,
        @Size(max = 100) String country,
        @Size(max = 200) String region,
        @Size(max = 200) String city,
        @Size(max = 100) @Schema(examples = "vip") String priceTier,
        @Size(max = 100) @Schema(examples = "net30") String paymentTerms,
        @Size(max = 100) @Schema(examples = "customer") String lifecycleStage,
        @Size(max = 100) String source,
        @Size(max = 100) String channel,
        @Size(max = 200) List<@NotBlank @Size(max = 100) @Pattern(regexp = "[^\\x00-\\x1F]*", message = "must not contain control characters") String> tags,
        @Schema(description = "Custom attributes, each declared in the attribute catalog", type = org.eclipse.microprofile.openapi.annotations.enums.SchemaType.OBJECT)
        ObjectNode attributes,
        @Size(max = 50) @Schema(description = "Decision makers and contact persons") List<@Valid Contact> contacts) {

    /** A decision maker or contact person at the customer. */
    @Schema(name = "Contact")
    public record Contact(
            @NotBlank @Size(max = 500) String name,
            @Size(max = 200) @Schema(examples = "CFO") String role,
            @Size(max = 50) String phone,
            @Email @Size(max = 320) String email,
            @Schema(description = "Whether this person decides on purchases") Boolean decisionMaker) {
    }
}
