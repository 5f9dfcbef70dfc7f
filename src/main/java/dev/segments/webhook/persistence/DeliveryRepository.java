package dev.segments.webhook.persistence;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * The webhook outbox ({@code webhook_delivery}): creating deliveries from the change feed, claiming due ones with
 * a lease, recording outcomes, and the delivery log of a subscription.
 */
@ApplicationScoped
public class DeliveryRepository {

    private static final String COLUMNS = "id, subscription_id, first_change_id, last_change_id, change_count, status,"
            + " attempts, next_attempt_at, last_status_code, last_error, created_at, delivered_at";

    private final Pool pool;

    DeliveryRepository(Pool pool) {
        this.pool = pool;
    }

    public <T> Uni<T> inTransaction(Function<SqlConnection, Uni<T>> work) {
        return pool.withTransaction(work);
    }

    // ------------------------------------------------------------------ delivery log

    /**
     * A page of a subscription's deliveries, newest first ({@code created_at desc, id desc}), strictly after the
     * position (beforeAt, beforeId) when given; one row more than {@code limit} when another page follows.
     */
    public Uni<List<DeliveryRow>> page(long tenantId, long subscriptionId, OffsetDateTime beforeAt, UUID beforeId,
                                       int limit) {
        return pool.preparedQuery("select " + COLUMNS + " from webhook_delivery"
                        + " where tenant_id = $1 and subscription_id = $2"
                        + " and ($3::timestamptz is null or (created_at, id) < ($3::timestamptz, $4::uuid))"
                        + " order by created_at desc, id desc limit $5")
                .execute(Tuple.from(Arrays.asList(tenantId, subscriptionId, beforeAt, beforeId, limit + 1)))
                .map(rs -> rows(rs, false));
    }

    /** {@link #page} for many subscriptions in one statement (GraphQL batches); keyed by subscription id. */
    public Uni<Map<Long, List<DeliveryRow>>> pages(long tenantId, List<Long> subscriptionIds, OffsetDateTime beforeAt,
                                                   UUID beforeId, int limit) {
        return pool.preparedQuery("select d.* from unnest($2::bigint[]) s(sid) cross join lateral ("
                        + " select " + COLUMNS + " from webhook_delivery"
                        + " where tenant_id = $1 and subscription_id = s.sid"
                        + " and ($3::timestamptz is null or (created_at, id) < ($3::timestamptz, $4::uuid))"
                        + " order by created_at desc, id desc limit $5) d")
                .execute(Tuple.from(Arrays.asList(tenantId, subscriptionIds.toArray(new Long[0]), beforeAt, beforeId,
                        limit + 1)))
                .map(rs -> {
                    Map<Long, List<DeliveryRow>> bySubscription = new HashMap<>();
                    for (DeliveryRow d : rows(rs, false)) {
                        bySubscription.computeIfAbsent(d.subscriptionId(), k -> new ArrayList<>()).add(d);
                    }
                    return bySubscription;
                });
    }

    /** One delivery of the subscription, with its body. */
    public Uni<Optional<DeliveryRow>> find(long tenantId, long subscriptionId, UUID id) {
        return pool.preparedQuery("select " + COLUMNS + ", body from webhook_delivery"
                        + " where tenant_id = $1 and subscription_id = $2 and id = $3")
                .execute(Tuple.of(tenantId, subscriptionId, id)).map(rs -> rows(rs, true).stream().findFirst());
    }

    /** Puts a failed delivery back in the queue with a fresh set of attempts; empty unless it was failed. */
    public Uni<Optional<DeliveryRow>> requeueFailed(long tenantId, long subscriptionId, UUID id) {
        return pool.preparedQuery("update webhook_delivery set status = 'pending', attempts = 0, next_attempt_at = now()"
                        + " where tenant_id = $1 and subscription_id = $2 and id = $3 and status = 'failed'"
                        + " returning " + COLUMNS)
                .execute(Tuple.of(tenantId, subscriptionId, id)).map(rs -> rows(rs, false).stream().findFirst());
    }

    // ------------------------------------------------------------------ outbox: creating deliveries

    /**
     * Active subscriptions with no pending delivery whose tenant has changes after their cursor (maybe none
     * matching their segments: creating a delivery then only moves the cursor).
     */
    public Uni<List<Long>> subscriptionsBehind(int limit) {
        return pool.preparedQuery("""
                        select s.id from webhook_subscription s
                        where s.active
                          and not exists (select 1 from webhook_delivery d
                                          where d.subscription_id = s.id and d.status = 'pending')
                          and exists (select 1 from membership_change c
                                      where c.tenant_id = s.tenant_id and c.id > s.last_change_id)
                        order by s.id limit $1""")
                .execute(Tuple.of(limit)).map(rs -> {
                    List<Long> ids = new ArrayList<>();
                    rs.forEach(r -> ids.add(r.getLong(0)));
                    return ids;
                });
    }

    /**
     * Locks an active subscription for creating its next delivery; empty when it is gone, paused, being handled
     * by another instance (skip locked), or still has a pending delivery.
     */
    public Uni<Optional<SubscriptionRow>> lockIfIdle(SqlConnection conn, long subscriptionId) {
        // The pending check is a statement of its own, after the lock: its snapshot then includes a delivery that
        // another instance committed while this one waited for the row.
        return conn.preparedQuery("select " + WebhookRepository.COLUMNS + " from webhook_subscription"
                        + " where id = $1 and active for update skip locked")
                .execute(Tuple.of(subscriptionId))
                .map(rs -> WebhookRepository.rows(rs).stream().findFirst())
                .chain(locked -> locked.isEmpty() ? Uni.createFrom().item(locked) : conn.preparedQuery(
                                "select exists (select 1 from webhook_delivery where subscription_id = $1"
                                        + " and status = 'pending')")
                        .execute(Tuple.of(subscriptionId))
                        .map(rs -> rs.iterator().next().getBoolean(0) ? Optional.<SubscriptionRow>empty() : locked));
    }

    /**
     * Up to {@code limit} changes of the tenant after {@code afterId} in feed order, only of these segments when
     * the list is not empty, and how far the scan got (see {@link FeedBatch}). One statement, so the end of the
     * feed and the changes come from one snapshot.
     */
    public Uni<FeedBatch> readFeed(SqlConnection conn, long tenantId, long afterId, List<String> segments, int limit) {
        return conn.preparedQuery("""
                        with head as (select coalesce(max(id), 0) as head from membership_change where tenant_id = $1),
                             matched as (select id, segment_key, customer_id, customer_external_id, kind, cause, at,
                                                flipped_nodes
                                         from membership_change
                                         where tenant_id = $1 and id > $2
                                           and (cardinality($3::text[]) = 0 or segment_key = any($3::text[]))
                                         order by id limit $4)
                        select head.head, m.id, m.segment_key, m.customer_id, m.customer_external_id, m.kind, m.cause,
                               m.at, m.flipped_nodes
                        from head left join matched m on true order by m.id""")
                .execute(Tuple.of(tenantId, afterId, segments.toArray(new String[0]), limit))
                .map(rs -> {
                    List<ChangeRow> changes = new ArrayList<>();
                    long head = afterId;
                    for (Row r : rs) {
                        head = Math.max(head, r.getLong(0));
                        if (r.getLong(1) != null) {
                            changes.add(new ChangeRow(r.getLong(1), r.getString(2), r.getLong(3), r.getString(4),
                                    r.getString(5), r.getString(6), r.getOffsetDateTime(7),
                                    r.getArrayOfStrings(8) == null ? null : List.of(r.getArrayOfStrings(8))));
                        }
                    }
                    long scannedTo = changes.size() == limit ? changes.get(changes.size() - 1).id() : head;
                    return new FeedBatch(changes, scannedTo);
                });
    }

    /** A new pending delivery, due now. */
    public Uni<Void> insert(SqlConnection conn, UUID id, SubscriptionRow subscription, List<ChangeRow> changes,
                            String body) {
        return conn.preparedQuery("""
                        insert into webhook_delivery (id, subscription_id, tenant_id, first_change_id, last_change_id,
                                                      change_count, body, status, next_attempt_at, created_at)
                        values ($1, $2, $3, $4, $5, $6, $7, 'pending', now(), clock_timestamp())""")
                .execute(Tuple.from(Arrays.asList(id, subscription.id(), subscription.tenantId(),
                        changes.get(0).id(), changes.get(changes.size() - 1).id(), changes.size(), body)))
                .replaceWithVoid();
    }

    public Uni<Void> advance(SqlConnection conn, long subscriptionId, long lastChangeId) {
        return conn.preparedQuery("update webhook_subscription set last_change_id = $2 where id = $1 and last_change_id < $2")
                .execute(Tuple.of(subscriptionId, lastChangeId)).replaceWithVoid();
    }

    // ------------------------------------------------------------------ outbox: metrics

    /** Pending deliveries over all tenants (the outbox backlog); a metric, so no tenant is named. */
    public Uni<Double> backlog() {
        return pool.preparedQuery("select count(*)::float8 from webhook_delivery where status = 'pending'")
                .execute().map(rs -> rs.iterator().next().getDouble(0));
    }

    /** Age in seconds of the oldest pending delivery over all tenants; 0 when none is pending. */
    public Uni<Double> backlogAgeSeconds() {
        return pool.preparedQuery("select coalesce(extract(epoch from now() - min(created_at)), 0)::float8"
                        + " from webhook_delivery where status = 'pending'")
                .execute().map(rs -> Math.max(0, rs.iterator().next().getDouble(0)));
    }

    // ------------------------------------------------------------------ outbox: sending

    /**
     * Claims up to {@code limit} due deliveries for one attempt each: the attempt count goes up and the delivery
     * is not due again until the lease ends, all committed before anything is sent. If this instance stops before
     * it records the outcome, the delivery is simply due again after the lease. Only the oldest pending delivery
     * of a subscription is ever claimable, and only while its subscription is active, so a subscription has at
     * most one delivery in flight and its deliveries go out in feed order.
     */
    public Uni<List<ClaimedDelivery>> claim(Duration lease, int limit) {
        return pool.preparedQuery("""
                        with due as (
                            select d.id from webhook_delivery d join webhook_subscription s on s.id = d.subscription_id
                            where d.status = 'pending' and d.next_attempt_at <= now() and s.active
                              and not exists (select 1 from webhook_delivery o
                                              where o.subscription_id = d.subscription_id and o.status = 'pending'
                                                and o.first_change_id < d.first_change_id)
                            order by d.next_attempt_at limit $2
                            for update of d skip locked)
                        update webhook_delivery d
                        set attempts = d.attempts + 1, next_attempt_at = now() + $1::double precision * interval '1 millisecond'
                        from due, webhook_subscription s
                        where d.id = due.id and s.id = d.subscription_id
                        returning d.id, d.subscription_id, d.tenant_id, s.url, s.secret, d.body, d.attempts""")
                .execute(Tuple.of((double) lease.toMillis(), limit)).map(rs -> {
                    List<ClaimedDelivery> claimed = new ArrayList<>();
                    for (Row r : rs) {
                        claimed.add(new ClaimedDelivery(r.getUUID(0), r.getLong(1), r.getLong(2), r.getString(3),
                                r.getString(4), r.getString(5), r.getInteger(6)));
                    }
                    return claimed;
                });
    }

    /**
     * Gives claimed leases back (at shutdown): each delivery still pending at the attempt it was claimed for is due
     * now and that attempt is not counted, so another instance sends it at once instead of after the lease. Returns
     * how many were given back.
     */
    public Uni<Integer> release(List<UUID> ids, List<Integer> attempts) {
        if (ids.isEmpty()) {
            return Uni.createFrom().item(0);
        }
        return pool.preparedQuery("""
                        update webhook_delivery d set attempts = d.attempts - 1, next_attempt_at = now()
                        from unnest($1::uuid[], $2::int[]) as held(id, attempt)
                        where d.id = held.id and d.attempts = held.attempt and d.status = 'pending'""")
                .execute(Tuple.of(ids.toArray(new UUID[0]), attempts.toArray(new Integer[0])))
                .map(rs -> rs.rowCount());
    }

    /** The receiver accepted the delivery (whichever attempt it was). */
    public Uni<Void> markDelivered(UUID id, int statusCode) {
        return pool.preparedQuery("update webhook_delivery set status = 'delivered', delivered_at = now(),"
                        + " last_status_code = $2, last_error = null where id = $1 and status = 'pending'")
                .execute(Tuple.of(id, statusCode)).replaceWithVoid();
    }

    /**
     * An attempt failed: due again after {@code retryIn}, or failed for good when {@code retryIn} is null. Only
     * recorded while {@code attempt} is still the delivery's latest attempt.
     */
    public Uni<Void> markAttemptFailed(UUID id, int attempt, Integer statusCode, String error, Duration retryIn) {
        return pool.preparedQuery("""
                        update webhook_delivery
                        set status = case when $5::double precision is null then 'failed' else 'pending' end,
                            next_attempt_at = case when $5::double precision is null then next_attempt_at
                                              else now() + $5::double precision * interval '1 millisecond' end,
                            last_status_code = $3, last_error = $4
                        where id = $1 and attempts = $2 and status = 'pending'""")
                .execute(Tuple.from(Arrays.asList(id, attempt, statusCode, error,
                        retryIn == null ? null : (double) retryIn.toMillis())))
                .replaceWithVoid();
    }

    private static List<DeliveryRow> rows(RowSet<Row> rs, boolean withBody) {
        List<DeliveryRow> list = new ArrayList<>();
        for (Row r : rs) {
            list.add(new DeliveryRow(r.getUUID("id"), r.getLong("subscription_id"), r.getLong("first_change_id"),
                    r.getLong("last_change_id"), r.getInteger("change_count"), r.getString("status"),
                    r.getInteger("attempts"), r.getOffsetDateTime("next_attempt_at"), r.getInteger("last_status_code"),
                    r.getString("last_error"), r.getOffsetDateTime("created_at"), r.getOffsetDateTime("delivered_at"),
                    withBody ? r.getString("body") : null));
        }
        return list;
    }
}
