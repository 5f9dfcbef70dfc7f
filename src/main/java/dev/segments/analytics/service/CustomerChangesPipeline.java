package dev.segments.analytics.service;

import dev.segments.customer.CustomerChanges;
import dev.segments.rule.Source;
import dev.segments.segment.service.MembershipService;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The {@link CustomerChanges} port's implementation: what a committed customer or activity write sets off, in
 * order. First the per-customer analytics models recompute the written customers (XYZ after purchases, the lead
 * score; {@link AnalyticsService#refreshCustomers}), then their segment membership is updated
 * ({@link MembershipService}), so a segment over {@code leadScore} sees the score the write produced. When the
 * analytics values changed, membership hears of {@link Source#ANALYTICS} too. Neither step fails the write: a
 * failed analytics update makes its models due at the scheduler's next round, a failed membership update marks the
 * tenant's segments for a full refresh.
 */
@ApplicationScoped
public class CustomerChangesPipeline implements CustomerChanges {

    private final AnalyticsService analytics;
    private final MembershipService membership;

    CustomerChangesPipeline(AnalyticsService analytics, MembershipService membership) {
        this.analytics = analytics;
        this.membership = membership;
    }

    @Override
    public Uni<Void> customersChanged(long tenantId, Collection<Long> customerIds, Set<Source> sources) {
        if (customerIds.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return analytics.refreshCustomers(tenantId, customerIds, sources)
                .onFailure().recoverWithUni(e -> analytics.afterFailure(tenantId, e))
                .chain(changed -> {
                    Set<Source> heard = sources;
                    if (!changed.isEmpty() && !sources.contains(Source.ANALYTICS)) {
                        heard = EnumSet.copyOf(sources);
                        heard.add(Source.ANALYTICS);
                    }
                    return membership.customersChanged(tenantId, customerIds, heard);
                });
    }

    @Override
    public Uni<Boolean> deleteCustomers(long tenantId, List<Long> customerIds,
                                        java.util.function.Function<io.vertx.mutiny.sqlclient.SqlConnection, Uni<Boolean>> delete) {
        return membership.deleteCustomers(tenantId, customerIds, delete);
    }
}
