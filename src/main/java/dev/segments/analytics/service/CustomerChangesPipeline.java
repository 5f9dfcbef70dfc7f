package dev.segments.analytics.service;

import dev.segments.analytics.persistence.CustomerChangeRepository;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.schedule.RoundTimer;
import dev.segments.customer.CustomerChanges;
import dev.segments.rule.Source;
import dev.segments.segment.service.MembershipService;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
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
 * <p>
 * Every change is journaled in the write's transaction ({@code customer_change}) and its row deleted once followed;
 * the sweep ({@link #sweep}, on the membership scheduler's interval) follows the rows a stopped process or a failed
 * follow-up left behind, once they are older than {@code segments.membership.changes-grace}
 * (docs/live-membership.md, "Writes that outlive a crash").
 */
@ApplicationScoped
public class CustomerChangesPipeline implements CustomerChanges {

    private static final Logger LOG = Logger.getLogger(CustomerChangesPipeline.class);
    /** Most journal rows a sweep takes in one claim (it claims again until fewer are left). */
    static final int SWEEP_BATCH = 100;

    private final AnalyticsService analytics;
    private final MembershipService membership;
    private final CustomerChangeRepository journal;
    private final ServiceConfig.Membership config;
    private final Vertx vertx;
    private final RoundTimer sweeps = new RoundTimer("unfollowed customer changes", LOG);

    CustomerChangesPipeline(AnalyticsService analytics, MembershipService membership, CustomerChangeRepository journal,
                            ServiceConfig config, Vertx vertx) {
        this.analytics = analytics;
        this.membership = membership;
        this.journal = journal;
        this.config = config.membership();
        this.vertx = vertx;
    }

    @Override
    public Uni<Change> record(io.vertx.mutiny.sqlclient.SqlConnection conn, long tenantId,
                              Collection<Long> customerIds, Set<Source> sources) {
        return customerIds.isEmpty() ? Uni.createFrom().item(Change.none(tenantId))
                : journal.insert(conn, tenantId, customerIds, sources);
    }

    @Override
    public Change record(Connection conn, long tenantId, Collection<Long> customerIds, Set<Source> sources)
            throws SQLException {
        return customerIds.isEmpty() ? Change.none(tenantId) : journal.insert(conn, tenantId, customerIds, sources);
    }

    @Override
    public Uni<Void> follow(Change change) {
        if (change.id() == 0) {
            return Uni.createFrom().voidItem();
        }
        return followAndForget(change);
    }

    /**
     * Follows the journal rows older than {@code grace} that no follow-up deleted (a process stopped between a
     * write's commit and its follow-up, or the follow-up failed), oldest first; returns how many it followed.
     */
    public Uni<Integer> sweep(Duration grace) {
        return journal.claim(grace, SWEEP_BATCH).chain(claimed -> {
            if (claimed.isEmpty()) {
                return Uni.createFrom().item(0);
            }
            LOG.infof("following %d customer change(s) whose follow-up did not complete (first: tenant %d, %d customers)",
                    claimed.size(), claimed.get(0).tenantId(), claimed.get(0).customerIds().size());
            return Multi.createFrom().iterable(claimed).onItem().transformToUniAndConcatenate(this::followAndForget)
                    .collect().asList()
                    .chain(done -> claimed.size() < SWEEP_BATCH ? Uni.createFrom().item(claimed.size())
                            : sweep(grace).map(n -> n + claimed.size()));
        });
    }

    /** The follow-up, then the journal row deleted; a failure leaves the row to the sweep. Never fails. */
    private Uni<Void> followAndForget(Change change) {
        return followUp(change.tenantId(), change.customerIds(), change.sources())
                .chain(() -> journal.delete(change))
                .onFailure().recoverWithItem(e -> {
                    LOG.errorf(e, "the follow-up of a change of tenant %d (%d customers) failed; the sweep takes it"
                            + " again after %s", change.tenantId(), change.customerIds().size(), config.changesGrace());
                    return null;
                });
    }

    private Uni<Void> followUp(long tenantId, List<Long> customerIds, Set<Source> sources) {
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

    void start(@Observes StartupEvent event) {
        if (config.schedulerEnabled()) {
            sweeps.start(vertx, config.schedulerInterval(), () -> sweep(config.changesGrace()));
        }
    }

    void stop(@Observes ShutdownEvent event) {
        sweeps.stopAndWait(vertx, RoundTimer.SHUTDOWN_WAIT);
    }
}
