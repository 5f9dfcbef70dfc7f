package dev.segments.customer;

import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.segments.common.json.StoredObject;
import org.eclipse.microprofile.graphql.Id;
import org.eclipse.microprofile.graphql.Ignore;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * A customer as the API returns it: the profile, its rollups and bookkeeping. GraphQL type {@code Customer};
 * its {@code attributes} (JSON) and relations are resolved in {@link CustomerGraphQL}. Written to JSON by
 * {@link CustomerViewJson} (the bean serialization's output, without its reflection).
 */
@Schema(name = "Customer")
@Type("Customer")
@JsonSerialize(using = CustomerViewJson.class)
public record CustomerView(
        @Id long id,
        String externalId,
        String name,
        String email,
        String phone,
        List<String> phones,
        String gender,
        LocalDate birthDate,
        String country,
        String region,
        String city,
        String priceTier,
        String paymentTerms,
        String lifecycleStage,
        String source,
        String channel,
        List<String> tags,
        @Schema(ref = "FreeFormObject") @Ignore StoredObject attributes,
        List<CustomerInput.Contact> contacts,
        Rollups rollups,
        OffsetDateTime createdAt,
        OffsetDateTime updatedAt,
        long version) {

    /** Per-customer aggregates kept exact on every activity write. */
    @Schema(name = "CustomerRollups")
    @Type("CustomerRollups")
    public record Rollups(
            int purchaseCount,
            BigDecimal totalSpend,
            @Schema(description = "totalSpend / purchaseCount rounded to 4 decimals for display (rules compare the exact quotient); absent without purchases") BigDecimal averageOrderValue,
            OffsetDateTime firstPurchaseAt,
            OffsetDateTime lastPurchaseAt,
            OffsetDateTime lastInteractionAt,
            @Schema(description = "Latest activity of any kind (purchase, interaction or event)") OffsetDateTime lastSeenAt) {
    }
}
