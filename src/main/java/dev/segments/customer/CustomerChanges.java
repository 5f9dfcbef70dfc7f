package dev.segments.customer;

import dev.segments.rule.Source;
import io.smallrye.mutiny.Uni;

import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The port through which customer and activity writes tell whoever keeps derived state about customers (live
 * segment membership, {@code segment.service.MembershipService}, which implements it; CDI injects that bean) that
 * customers changed. It is owned by the writer side, so that {@code customer} and {@code activity} never import the
 * segment feature: the features depend one way, {@code segment -> customer}.
 * <p>
 * Callers call it after their write committed (within the request), and the returned {@code Uni} completes before
 * the request answers. {@link #customersChanged} never fails the write: an implementation that cannot keep up
 * recovers on its own (membership marks the tenant's segments for a full refresh).
 */
public interface CustomerChanges {

    /** These customers changed (the write committed) in the data of this kind. */
    default Uni<Void> customersChanged(long tenantId, Collection<Long> customerIds, Source source) {
        return customersChanged(tenantId, customerIds, EnumSet.of(source));
    }

    /** Like {@link #customersChanged(long, Collection, Source)}, for writes that touch several kinds of data. */
    Uni<Void> customersChanged(long tenantId, Collection<Long> customerIds, Set<Source> sources);

    /**
     * These customers were created: every kind of their data is new (no purchases is a value too: a rule such as
     * {@code lastPurchaseAt notWithin P30D} or {@code not (count of purchases gte 1)} holds for a new customer), so
     * every dynamic segment is evaluated for them, not only those that read the profile.
     */
    default Uni<Void> customersCreated(long tenantId, Collection<Long> customerIds) {
        return customersChanged(tenantId, customerIds, EnumSet.allOf(Source.class));
    }

    /**
     * Deletes these customers with {@code delete} (run on the given connection, in the transaction that ends their
     * derived state: membership records each exit and adjusts the member counts first, under the tenant's
     * membership lock, so no concurrent membership update can re-add them in between). When {@code delete} answers
     * false (absent, or a stale version) the transaction rolls back and the answer is false.
     */
    Uni<Boolean> deleteCustomers(long tenantId, List<Long> customerIds,
                                 java.util.function.Function<io.vertx.mutiny.sqlclient.SqlConnection, Uni<Boolean>> delete);
}
