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

    @Schema(name = "ExplainRequest", description = "An unsaved rule and the customer to explain it for")
    public record ExplainRequest(
            @Schema(ref = "#/components/schemas/RuleDocument", description = "The rule, in the format named by ruleFormat") JsonNode rule,
            @Schema(enumeration = {"native", "querybuilder", "jsonlogic"}, description = "The format of rule (default native)")
            String ruleFormat,
            @Schema(description = "Evaluate as of this time instead of now (moves the clock only, not the data)") OffsetDateTime asOf,
            @Schema(description = "The customer (id) to explain the rule for", required = true) Long customerId) {
    }

    @Schema(name = "Explanation", description = "Why a customer is or is not in a segment (or matched by a rule): every node's "
            + "truth for the customer, the values it used and the nodes that decided the result, from one SQL statement")
    @Type("Explanation")
    @Description("Why a customer is or is not in a segment (or matched by a rule): every node's truth, the values it used "
            + "and the nodes that decided the result")
    public record Explanation(
            @Schema(description = "The segment's key; absent for an unsaved rule")
            @Description("The segment's key; null for an unsaved rule") String segment,
            @Id long customerId,
            String customerExternalId,
            @Schema(description = "The rule's result for the customer: a member (matched) or not; equals membership")
            @Description("The rule's result for the customer (equals membership)") boolean member,
            @Schema(description = "The time the rule was evaluated at (now, or asOf)") @NonNull OffsetDateTime evaluatedAt,
            @Schema(description = "The conditions, aggregates and segment references that decided the result: reached from "
                    + "the root through the deciding children of every group (the false children of a false and, the true "
                    + "children of a true or, all children otherwise) and through not")
            @Description("Pointers of the leaves that decided the result (through the deciding children of every group and not)")
            @NonNull List<@NonNull String> decidedBy,
            @Schema(ref = "#/components/schemas/Rule", description = "The native rule the pointers point into (a rule sent in "
                    + "another format: its native translation); absent for a static segment") @Ignore JsonNode rule,
            @Schema(description = "The rule tree, each node explained") @Description("The rule tree, each node explained")
            @NonNull ExplainedNode root,
            @Schema(description = "Wall time of the evaluation in milliseconds")
            @Description("Wall time of the evaluation in milliseconds") long tookMs) {
    }

    @Schema(name = "ExplainedNode", description = "A node of the rule and its truth for the customer")
    @Type("ExplainedNode")
    public record ExplainedNode(
            @Schema(description = "JSON Pointer of the node in the rule (as validation errors point), \"\" for the root",
                    examples = "/and/1")
            @Description("JSON Pointer of the node in the rule (\"\" for the root)") @NonNull String pointer,
            @Schema(description = "The parent node's pointer; absent for the root")
            @Description("The parent node's pointer; null for the root") String parent,
            @Schema(enumeration = {"and", "or", "not", "condition", "aggregate", "segment"})
            @Description("and, or, not, condition, aggregate or segment") @NonNull String kind,
            @Schema(description = "The node's truth for the customer (the language is two-valued: never unknown); absent "
                    + "for nodes inside an aggregate's where, which hold per row (see rows)")
            @Description("The node's truth for the customer; null inside an aggregate's where (per row, see rows)") Boolean truth,
            @Schema(description = "and, or, not: pointers of the children that decided this node (the children whose truth "
                    + "equals the node's; a not's child)")
            @Description("and, or, not: pointers of the children that decided this node") List<@NonNull String> decidedBy,
            @Schema(description = "A condition's field; an aggregate's aggregated field (absent for count)")
            @Description("A condition's field; an aggregate's aggregated field (null for count)") String field,
            @Schema(description = "The operator") @Description("The operator") String op,
            @Schema(description = "The field a ref value names") @Description("The field a ref value names") String ref,
            @Schema(enumeration = {"count", "sum", "avg", "min", "max"}, description = "An aggregate's function")
            @Description("An aggregate's function: count, sum, avg, min or max") String aggregate,
            @Schema(description = "An aggregate's stream (of)") @Description("An aggregate's stream (of)") String stream,
            @Schema(description = "A segment reference's key; its truth is the referenced segment's for the customer")
            @Description("A segment reference's key; its truth is the referenced segment's for the customer") String segment,
            @Schema(description = "The value the node used: a condition's field value for the customer, an aggregate's "
                    + "result over the rows it counted; null where missing (also for a stored value of another JSON type)")
            @Ignore JsonNode value,
            @Schema(description = "The customer's value of the field a ref names") @Ignore JsonNode refValue,
            @Schema(description = "An aggregate: the rows it counted (after where and window); a node inside a where: the "
                    + "customer's rows in the aggregate's window it holds for")
            @Description("An aggregate: rows counted (after where and window); a where node: rows in the window it holds for")
            Long rows,
            @Schema(description = "Children in rule order: a group's, a not's child, an aggregate's where")
            @Description("Children in rule order: a group's, a not's child, an aggregate's where")
            @NonNull List<@NonNull ExplainedNode> children) {
    }

    /** Where a count or page of members came from (docs/live-membership.md, "Reads"). */
    public static final String SOURCE_DESCRIPTION = "materialized (a dynamic segment's maintained membership, exact at evaluatedAt), static "
            + "(a static segment's members), live (the rule evaluated in the request: asOf was given, or the "
            + "materialization was not current), or history (members=at, from the change feed)";

    public static final String COUNT_SOURCE_DESCRIPTION = "materialized (a dynamic segment's maintained member count, "
            + "exact at evaluatedAt), static (a static segment's members), or live (the rule evaluated in the request: "
            + "asOf was given, or the materialization was not current)";

    @Schema(name = "SegmentCount")
    @Type("SegmentCount")
    @Description("A segment's member count and how current it is")
    public record CountView(@NonNull String segment, long count,
                            @Schema(description = "The instant the count is exact at: now without asOf (materialized, "
                                    + "static or live), else asOf")
                            @Description("The instant the count is exact at: now without asOf, else asOf")
                            @NonNull OffsetDateTime evaluatedAt,
                            @Schema(description = "Wall time of the read in milliseconds")
                            @Description("Wall time of the read in milliseconds") long tookMs,
                            @Schema(enumeration = {"materialized", "static", "live"}, description = COUNT_SOURCE_DESCRIPTION)
                            @Description("materialized, static or live") @NonNull String source) {
    }

    @Schema(name = "MemberPage", description = "Members (customers) in id order; with `fields`, each item holds only those fields")
    public record MemberPage(@Schema(type = SchemaType.ARRAY, implementation = CustomerView.class) List<?> items,
                             @Schema(description = "Pass as `after` for the next page; absent on the last page") String nextCursor,
                             @Schema(description = "The instant the page is exact at: now without asOf (materialized, "
                                     + "static or live), else asOf; with at, that time")
                             OffsetDateTime evaluatedAt,
                             @Schema(enumeration = {"materialized", "static", "live", "history"},
                                     description = SOURCE_DESCRIPTION) String source) {
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
