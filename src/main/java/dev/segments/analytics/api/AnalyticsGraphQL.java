package dev.segments.analytics.api;

import dev.segments.analytics.ActivityModel;
import dev.segments.analytics.AnalyticsModel;
import dev.segments.analytics.CustomerAnalytics;
import dev.segments.analytics.RecomputeResult;
import dev.segments.analytics.RfmModel;
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

    @Mutation("recomputeAnalytics")
    @Description("Runs a model over the whole base now; customers whose values change get their segment memberships "
            + "updated (change feed cause analytics)")
    public Uni<RecomputeResult> recomputeAnalytics(@NonNull AnalyticsModel model) {
        return service.recompute(tenant.id(), model);
    }

    @Description("The customer's RFM scores and activity status, as rules read them (one query for all customers of a response)")
    public Uni<List<CustomerAnalytics>> analytics(@Source List<CustomerView> customers) {
        return service.customers(tenant.id(), customers.stream().map(CustomerView::id).toList())
                .map(m -> customers.stream().map(c -> m.get(c.id())).toList());
    }
}
