package dev.segments.analytics.api;

import dev.segments.analytics.AbcXyzModel;
import dev.segments.analytics.ActivityModel;
import dev.segments.analytics.AnalyticsModel;
import dev.segments.analytics.CustomerAnalytics;
import dev.segments.analytics.LeadScoringConfig;
import dev.segments.analytics.LeadScoringModel;
import dev.segments.analytics.RecomputeResult;
import dev.segments.analytics.RfTemplate;
import dev.segments.analytics.RfmModel;
import dev.segments.analytics.ValueQuadrantModel;
import dev.segments.analytics.service.AnalyticsService;
import dev.segments.common.graphql.GraphQLProblems;
import dev.segments.common.graphql.GraphQLSupport;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.customer.CustomerView;
import io.smallrye.mutiny.Uni;
import jakarta.json.JsonValue;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.GraphQLApi;
import org.eclipse.microprofile.graphql.Mutation;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Query;
import org.eclipse.microprofile.graphql.Source;

import java.math.BigDecimal;
import java.util.List;

/** GraphQL: the analytics models (configuration, freshness, reports, runs) and {@code Customer.analytics}. */
@GraphQLApi
@GraphQLProblems
public class AnalyticsGraphQL {

    private final AnalyticsService service;
    private final CurrentTenant tenant;
    private final GraphQLSupport support;

    AnalyticsGraphQL(AnalyticsService service, CurrentTenant tenant, GraphQLSupport support) {
        this.service = service;
        this.tenant = tenant;
        this.support = support;
    }

    @Query("rfmModel")
    @Description("The RFM model: configuration, freshness, and customers and revenue per R x F cell and per named segment")
    public Uni<RfmModel> rfmModel() {
        return service.rfm(tenant.id());
    }

    @Query("activityModel")
    @Description("The activity-status model: configuration, freshness and customers per status")
    public Uni<ActivityModel> activityModel() {
        return service.activity(tenant.id());
    }

    @Query("abcXyzModel")
    @Description("The ABC/XYZ model: configuration, freshness, and customers and revenue shares in the nine cells AX..CZ")
    public Uni<AbcXyzModel> abcXyzModel() {
        return service.abcXyz(tenant.id());
    }

    @Query("leadScoringModel")
    @Description("The lead-scoring model: configuration, freshness, and the score distribution (histogram and temperatures)")
    public Uni<LeadScoringModel> leadScoringModel(@Description("Width of the histogram's buckets (positive, default 10)") BigDecimal bucketWidth) {
        return service.leadScoring(tenant.id(), bucketWidth);
    }

    @Query("valueQuadrantModel")
    @Description("The value-quadrant model: configuration, freshness, and customers and revenue per quadrant")
    public Uni<ValueQuadrantModel> valueQuadrantModel() {
        return service.valueQuadrants(tenant.id());
    }

    @Mutation("saveRfmModel")
    @Description("Replaces the RFM configuration (missing members take their defaults) and recomputes the model; "
            + "with version, fails when the configuration changed since")
    public Uni<RfmModel> saveRfmModel(@NonNull @Description("The configuration (RfmConfig as JSON)") JsonValue config,
                                      @Description("The version read (0 before the first save)") Long version) {
        return service.saveRfm(tenant.id(), support.tree(config), version);
    }

    @Mutation("saveActivityModel")
    @Description("Replaces the activity-status configuration (missing members take their defaults) and recomputes "
            + "every customer's status; with version, fails when the configuration changed since")
    public Uni<ActivityModel> saveActivityModel(@NonNull @Description("The configuration (ActivityConfig as JSON)") JsonValue config,
                                                @Description("The version read (0 before the first save)") Long version) {
        return service.saveActivity(tenant.id(), support.tree(config), version);
    }

    @Mutation("saveAbcXyzModel")
    @Description("Replaces the ABC/XYZ configuration (missing members take their defaults) and recomputes the model; "
            + "with version, fails when the configuration changed since")
    public Uni<AbcXyzModel> saveAbcXyzModel(@NonNull @Description("The configuration (AbcXyzConfig as JSON)") JsonValue config,
                                            @Description("The version read (0 before the first save)") Long version) {
        return service.saveAbcXyz(tenant.id(), support.tree(config), version);
    }

    @Mutation("saveLeadScoringModel")
    @Description("Replaces the lead-scoring model (every rule validated; one error lists every problem with pointers into "
            + "the document) and rescores every customer; with version, fails when the model changed since")
    public Uni<LeadScoringModel> saveLeadScoringModel(@NonNull @Description("The model (LeadScoringConfig as JSON)") JsonValue config,
                                                      @Description("The version read (0 before the first save)") Long version) {
        return service.saveLeadScoring(tenant.id(), support.tree(config), version);
    }

    @Mutation("saveValueQuadrantModel")
    @Description("Replaces the value-quadrant configuration (missing members take their defaults) and recomputes the model; "
            + "with version, fails when the configuration changed since")
    public Uni<ValueQuadrantModel> saveValueQuadrantModel(@NonNull @Description("The configuration (ValueQuadrantConfig as JSON)") JsonValue config,
                                                          @Description("The version read (0 before the first save)") Long version) {
        return service.saveValueQuadrants(tenant.id(), support.tree(config), version);
    }

    @Mutation("installRfTemplate")
    @Description("Creates the RF template segments rf-champions .. rf-lost (rules over rfm.recency and rfm.frequency); "
            + "existing keys are left as they are")
    public Uni<RfTemplate> installRfTemplate() {
        return service.installRfTemplate(tenant.id());
    }

    @Mutation("recomputeAnalytics")
    @Description("Runs a model over the whole base now; customers whose values change get their segment memberships "
            + "updated (change feed cause analytics)")
    public Uni<RecomputeResult> recomputeAnalytics(@NonNull AnalyticsModel model) {
        return service.recompute(tenant.id(), model);
    }

    @Description("The rule (JSON, native language) of a scoring rule")
    public JsonValue rule(@Source LeadScoringConfig.ScoringRule scoring) {
        return support.json(scoring.rule());
    }

    @Description("The customer's analytics values (RFM, activity status, ABC/XYZ, lead score, value quadrant), as rules read them "
            + "(one query for all customers of a response)")
    public Uni<List<CustomerAnalytics>> analytics(@Source List<CustomerView> customers) {
        return service.customers(tenant.id(), customers.stream().map(CustomerView::id).toList())
                .map(m -> customers.stream().map(c -> m.get(c.id())).toList());
    }
}
