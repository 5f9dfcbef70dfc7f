package dev.segments.segment.api;

import dev.segments.common.graphql.GraphQLSupport;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.rule.format.RuleFormat;
import dev.segments.segment.SegmentDtos.ExplainedNode;
import dev.segments.segment.SegmentDtos.Explanation;
import dev.segments.segment.service.SegmentQueryService;
import io.smallrye.mutiny.Uni;
import jakarta.json.JsonValue;
import org.eclipse.microprofile.graphql.DefaultValue;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.GraphQLApi;
import org.eclipse.microprofile.graphql.Id;
import org.eclipse.microprofile.graphql.Name;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Query;
import org.eclipse.microprofile.graphql.Source;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * GraphQL twin of {@code GET /segments/{key}/explain/{customerId}} and {@code POST /segments/preview/explain}: why a
 * customer is or is not in a segment (or matched by a rule). The tree is also given flat ({@code nodes}, rule
 * order, each node with its parent's pointer), since a GraphQL selection has a fixed depth.
 */
@GraphQLApi
@dev.segments.common.graphql.GraphQLProblems
public class ExplainGraphQL {

    private final SegmentQueryService queries;
    private final CurrentTenant tenant;
    private final GraphQLSupport support;

    ExplainGraphQL(SegmentQueryService queries, CurrentTenant tenant, GraphQLSupport support) {
        this.queries = queries;
        this.tenant = tenant;
        this.support = support;
    }

    @Query("explain")
    @Description("Why a customer is or is not a member of a segment: every node's truth, the values it used and the nodes "
            + "that decided (one SQL statement; equals membership)")
    public Uni<Explanation> explain(@NonNull String segmentKey, @NonNull @Id Long customerId,
                                    @Description("Evaluate as of this time instead of now") OffsetDateTime asOf) {
        return queries.explain(tenant.id(), segmentKey, customerId, asOf);
    }

    @Query("explainRule")
    @Description("explain for an unsaved rule (pointers into its native translation, given as rule)")
    public Uni<Explanation> explainRule(@NonNull @Description("The rule (JSON)") JsonValue rule,
                                        @DefaultValue("NATIVE") @Description("The format of rule") RuleFormat format,
                                        @NonNull @Id Long customerId,
                                        @Description("Evaluate as of this time instead of now") OffsetDateTime asOf) {
        return queries.explainRule(tenant.id(), support.tree(rule), format, customerId, asOf);
    }

    @Name("rule")
    @Description("The native rule (JSON) the pointers point into; null for a static segment")
    public JsonValue explainedRule(@Source Explanation explanation) {
        return support.json(explanation.rule());
    }

    @Description("Every node of the tree in rule order (pre-order), each with its parent's pointer")
    public @NonNull List<@NonNull ExplainedNode> nodes(@Source Explanation explanation) {
        List<ExplainedNode> out = new ArrayList<>();
        flatten(explanation.root(), out);
        return out;
    }

    @Description("The value the node used (JSON): a condition's field value, an aggregate's result; null where missing")
    public JsonValue value(@Source ExplainedNode node) {
        return support.json(node.value());
    }

    @Description("The customer's value (JSON) of the field a ref names")
    public JsonValue refValue(@Source ExplainedNode node) {
        return support.json(node.refValue());
    }

    private static void flatten(ExplainedNode node, List<ExplainedNode> out) {
        out.add(node);
        node.children().forEach(child -> flatten(child, out));
    }
}
