package dev.segments.segment;

import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.customer.CustomerView;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.Id;
import org.eclipse.microprofile.graphql.Ignore;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.time.OffsetDateTime;
import java.util.List;

/** Request and response bodies of the segments API. */
public final class SegmentDtos {

    private SegmentDtos() {
    }

    @Schema(name = "SegmentInput")
    public record SegmentInput(
            @NotBlank @Pattern(regexp = "[a-z0-9][a-z0-9_-]{0,99}", message = "must be 1-100 of a-z, 0-9, _ and -, starting with a letter or digit")
            @Schema(description = "URL-safe key, unique per tenant; immutable", examples = "vip-moscow") String key,
            @NotBlank @Size(max = 200) String name,
            @Size(max = 2000) String description,
            @Pattern(regexp = "dynamic|static") @Schema(enumeration = {"dynamic", "static"},
                    description = "dynamic (default): members are the customers matching the rule; static: members are added and removed explicitly")
            String kind,
            @Schema(ref = "#/components/schemas/RuleDocument", description = "The rule (dynamic segments only), in the format named by ruleFormat")
            JsonNode rule,
            @Schema(enumeration = {"native", "querybuilder", "jsonlogic"},
                    description = "The format of rule: the native language (default), a react-querybuilder query or JsonLogic; stored translated to native")
            String ruleFormat,
            @Pattern(regexp = "primary|secondary") @Schema(enumeration = {"primary", "secondary"}, description = "primary (default) or secondary")
            String tier,
            @Size(max = 50) List<@NotBlank @Size(max = 100) String> tags) {
    }

    /** A segment; GraphQL type {@code Segment}, whose rule, members, count and freshness {@link SegmentGraphQL} resolves. */
    @Schema(name = "Segment")
    @Type("Segment")
    public record SegmentView(
            @Id long id, @NonNull String key, @NonNull String name, String description,
            @Schema(enumeration = {"dynamic", "static"}) @Description("dynamic or static") @NonNull String kind,
            @Schema(ref = "#/components/schemas/Rule") @Ignore JsonNode rule,
            @Schema(enumeration = {"primary", "secondary"}) String tier,
            List<String> tags, OffsetDateTime createdAt, OffsetDateTime updatedAt, long version) {
    }

    @Schema(name = "PreviewRequest")
    public record PreviewRequest(
            @Schema(ref = "#/components/schemas/RuleDocument", description = "The rule, in the format named by ruleFormat") JsonNode rule,
            @Schema(enumeration = {"native", "querybuilder", "jsonlogic"}, description = "The format of rule (default native)")
            String ruleFormat,
            @Schema(description = "Evaluate as of this time instead of now (moves the clock only, not the data)") OffsetDateTime asOf,
            @Schema(description = "How many members to return as a sample (0-100, default 10)") Integer sampleSize) {
    }

    @Schema(name = "Preview")
    @Type("SegmentPreview")
    public record PreviewView(
            long count,
            @Schema(description = "The rule in words (as GET /segments/{key}/rule?format=text says it)")
            @Description("The rule in words") String text,
            List<CustomerView> sample,
            @Schema(description = "The time the rule was evaluated at (now, or asOf)") OffsetDateTime evaluatedAt,
            @Schema(description = "Wall time of the evaluation in milliseconds") long tookMs,
            @Schema(description = "With explain=true: the generated SQL of the count query") String sql,
            @Schema(description = "With explain=true: its parameters") @Ignore List<Object> params,
            @Schema(description = "With explain=true: PostgreSQL's plan (EXPLAIN, JSON format)", type = SchemaType.ARRAY) @Ignore JsonNode plan) {
    }

    @Schema(name = "SegmentCount")
    public record CountView(String segment, long count, OffsetDateTime evaluatedAt, long tookMs) {
    }

    @Schema(name = "MemberPage", description = "Members (customers) in id order; with `fields`, each item holds only those fields")
    public record MemberPage(@Schema(type = SchemaType.ARRAY, implementation = CustomerView.class) List<JsonNode> items,
                             @Schema(description = "Pass as `after` for the next page; absent on the last page") String nextCursor) {
    }

    @Schema(name = "MembersChange", description = "Customers to add to or remove from a static segment")
    public record MembersChange(@Size(max = 10000) List<Long> customerIds,
                                @Size(max = 10000) List<@NotBlank String> externalIds) {
    }

    @Schema(name = "MembersChangeResult")
    @Type("MembersChangeResult")
    public record MembersChangeResult(@Schema(description = "Rows added or removed") int changed,
                                      @Schema(description = "References that matched no customer of the tenant") List<String> unknown) {
    }

    @Schema(name = "CustomerSegment")
    public record CustomerSegment(String key, String name, String kind, String tier) {
    }

    @Schema(name = "RuleTextRequest")
    public record RuleTextRequest(
            @Schema(ref = "#/components/schemas/RuleDocument", description = "The rule, in the format named by ruleFormat") JsonNode rule,
            @Schema(enumeration = {"native", "querybuilder", "jsonlogic"}, description = "The format of rule (default native)")
            String ruleFormat) {
    }

    @Schema(name = "RuleText", description = "A rule in words")
    public record RuleTextView(@Schema(description = "The rule as an English sentence",
            examples = "bought in the last 90 days and spent more than 1,000 in the last 365 days") String text) {
    }

    @Schema(name = "SearchRequest")
    public record SearchRequest(@Schema(ref = "#/components/schemas/RuleDocument", description = "The rule, in the format named by ruleFormat") JsonNode rule,
                                @Schema(enumeration = {"native", "querybuilder", "jsonlogic"}, description = "The format of rule (default native)")
                                String ruleFormat,
                                OffsetDateTime asOf) {
    }
}
