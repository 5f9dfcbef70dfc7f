package dev.segments.customer;

import dev.segments.rule.Source;
import io.smallrye.mutiny.Uni;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The port through which customer and activity writes tell whoever keeps derived state about customers (their
 * per-customer analytics values and live segment membership: {@code analytics.service.CustomerChangesPipeline}
 * implements it, CDI injects that bean) that customers changed. It is owned by the writer side, so that
 * {@code customer} and {@code activity} never import the segment feature: the features depend one way,
 * {@code segment -> customer}.
 * <p>
 * A write uses it in two steps: {@link #record} in its own transaction, before the commit (the change is then
 * durable with the write: if the process stops before the second step, a sweep follows the change later), and
 * {@link #follow} after the commit, within the request, whose {@code Uni} completes before the request answers.
 * {@link #follow} never fails the write: an implementation that cannot keep up recovers on its own (membership
 * marks the tenant's segments for a full refresh; a change whose follow-up failed altogether is followed by the
 * sweep).
 */
public interface CustomerChanges {

    /**
     * A write's changed customers: {@code id} is the journal row {@link #record} wrote (0: nothing was recorded,
     * the write changed no customer).
     */
    record Change(long id, long tenantId, List<Long> customerIds, Set<Source> sources) {
        public Change {
            customerIds = List.copyOf(customerIds);
            sources = Set.copyOf(sources);
        }

        /** Nothing to follow. */
        public static Change none(long tenantId) {
            return new Change(0, tenantId, List.of(), Set.of());
        }
    }

    /**
     * Every kind of data of a created customer is new (no purchases is a value too: a rule such as
     * {@code lastPurchaseAt notWithin P30D} or {@code not (count of purchases gte 1)} holds for a new customer), so
     * creations are recorded with every source: every dynamic segment is evaluated for them.
     */
    Set<Source> CREATED = Set.copyOf(EnumSet.allOf(Source.class));

    /**
     * In the write's transaction (on its connection, before it commits): records that these customers change in
     * the data of these kinds. Returns the change for {@link #follow}.
     */
    Uni<Change> record(io.vertx.mutiny.sqlclient.SqlConnection conn, long tenantId, Collection<Long> customerIds,
                       Set<Source> sources);

    /** {@link #record(io.vertx.mutiny.sqlclient.SqlConnection, long, Collection, Set)} for a JDBC transaction. */
    Change record(Connection conn, long tenantId, Collection<Long> customerIds, Set<Source> sources) throws SQLException;

    /**
     * After the write committed: updates what derives from the changed customers and forgets the change. Never
     * fails.
     */
    Uni<Void> follow(Change change);

    /**
     * Deletes these customers with {@code delete} (run on the given connection, in the transaction that ends their
     * derived state: membership records each exit and adjusts the member counts first, under the tenant's
     * membership lock, so no concurrent membership update can re-add them in between). When {@code delete} answers
     * false (absent, or a stale version) the transaction rolls back and the answer is false.
     */
    Uni<Boolean> deleteCustomers(long tenantId, List<Long> customerIds,
                                 java.util.function.Function<io.vertx.mutiny.sqlclient.SqlConnection, Uni<Boolean>> delete);
}
