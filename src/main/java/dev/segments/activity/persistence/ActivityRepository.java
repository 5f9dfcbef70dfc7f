package dev.segments.activity.persistence;

import dev.segments.common.db.Transactions;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Activity rows and the customer rollups they feed. A write locks the customers it touches (in id order, so
 * concurrent batches cannot deadlock), inserts, then recomputes those customers' rollups from the streams in
 * the same transaction: because every writer holds the customer's row lock while it recomputes, the rollups
 * are exact under any interleaving, and a retried item (same external id) changes nothing. The same statement
 * sets the customers' activity status from the new rollups (SQL function {@code analytics_activity_status}, the
 * tenant's activity model; docs/analytics.md).
 */
@ApplicationScoped
public class ActivityRepository {

    private static final String RECOMPUTE_ROLLUPS = """
            update customer c set
              purchase_count = p.n, total_spend = p.total, first_purchase_at = p.first_at, last_purchase_at = p.last_at,
              last_interaction_at = i.last_at, last_seen_at = greatest(p.last_at, i.last_at, e.last_at),
              first_touch_at = least(i.first_at, e.first_at),
              activity_status = analytics_activity_status(m.config, c.created_at, greatest(p.last_at, i.last_at, e.last_at),
                                                          p.last_at, now()),
              activity_computed_at = now()
            from unnest($2::bigint[]) as ids(id)
            cross join (select (select config from analytics_model where tenant_id = $1 and model = 'activity') as config) m
            cross join lateral (select count(*)::int as n, coalesce(sum(amount), 0) as total,
                                       min(occurred_at) as first_at, max(occurred_at) as last_at
                                from purchase where tenant_id = $1 and customer_id = ids.id) p
            cross join lateral (select min(occurred_at) as first_at, max(occurred_at) as last_at
                                from interaction where tenant_id = $1 and customer_id = ids.id) i
            cross join lateral (select min(occurred_at) as first_at, max(occurred_at) as last_at
                                from event where tenant_id = $1 and customer_id = ids.id) e
            where c.tenant_id = $1 and c.id = ids.id""";

    /** A row written by a batch: its id and whether this batch created it. */
    public record Written(long id, String externalId, boolean created) {
    }

    private final Pool pool;

    ActivityRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * Runs a write about {@code customers} customers (at most: a batch's items) in a transaction whose statements
     * are planned for that many ({@link Transactions#aboutCustomers}). A single write's lookup and rollup update were
     * planned anew each time under {@code plan_cache_mode = auto} (at 1M customers, 0.34 ms of planning against
     * 0.25 ms of executing the rollup update); the generic plan is the same index probes.
     */
    public <T> Uni<T> inTransaction(int customers, java.util.function.Function<SqlConnection, Uni<T>> work) {
        return Transactions.aboutCustomers(pool, customers, work);
    }

    /**
     * Resolves customer references and locks those customers for the rest of the transaction.
     * Returns external id -> id for the ones found; ids not in the tenant are absent from {@code knownIds}.
     */
    public Uni<Map<String, Long>> lockCustomers(SqlConnection conn, long tenantId, List<Long> ids, List<String> externalIds,
                                                List<Long> knownIds) {
        return conn.preparedQuery("""
                        select id, external_id from customer
                        where tenant_id = $1 and (id = any($2::bigint[]) or external_id = any($3::text[]))
                        order by id for update""")
                .execute(Tuple.of(tenantId, ids.toArray(new Long[0]), externalIds.toArray(new String[0])))
                .map(rows -> {
                    Map<String, Long> byExternal = new HashMap<>();
                    for (Row r : rows) {
                        byExternal.put(r.getString(1), r.getLong(0));
                        knownIds.add(r.getLong(0));
                    }
                    return byExternal;
                });
    }

    /** Inserts items (JSON array of the stream's records with customerId resolved); skips known external ids. */
    public Uni<List<Written>> insert(SqlConnection conn, StreamKind kind, long tenantId, String itemsJson) {
        String sql = "insert into " + kind.table + " (tenant_id, customer_id, external_id, " + kind.columns + ")\n"
                + "select $1, r.\"customerId\", r.\"externalId\", " + kind.values + "\n"
                + "from jsonb_array_elements($2::text::jsonb) with ordinality as e(doc, ord)\n"
                + "cross join lateral jsonb_to_record(e.doc) as r(\"customerId\" bigint, \"externalId\" text, "
                + kind.record + ")\n"
                + "order by e.ord\n"
                + "on conflict (tenant_id, external_id) do nothing\n"
                + "returning id, external_id";
        return conn.preparedQuery(sql).execute(Tuple.of(tenantId, itemsJson)).map(rows -> {
            List<Written> written = new ArrayList<>();
            rows.forEach(r -> written.add(new Written(r.getLong(0), r.getString(1), true)));
            return written;
        });
    }

    /** Ids of already recorded items with these external ids. */
    public Uni<Map<String, Long>> idsByExternalId(SqlConnection conn, StreamKind kind, long tenantId, List<String> externalIds) {
        return conn.preparedQuery("select external_id, id from " + kind.table
                        + " where tenant_id = $1 and external_id = any($2::text[])")
                .execute(Tuple.of(tenantId, externalIds.toArray(new String[0])))
                .map(rows -> {
                    Map<String, Long> map = new HashMap<>();
                    rows.forEach(r -> map.put(r.getString(0), r.getLong(1)));
                    return map;
                });
    }

    public Uni<Void> recomputeRollups(SqlConnection conn, long tenantId, List<Long> customerIds) {
        if (customerIds.isEmpty()) {
            return Uni.createFrom().voidItem();
        }
        return conn.preparedQuery(RECOMPUTE_ROLLUPS)
                .execute(Tuple.of(tenantId, customerIds.toArray(new Long[0]))).replaceWithVoid();
    }

    /** One item as view JSON. */
    public Uni<Optional<String>> find(StreamKind kind, long tenantId, long id) {
        return pool.preparedQuery("select " + kind.viewJson() + " from " + kind.table + " t where t.tenant_id = $1 and t.id = $2")
                .execute(Tuple.of(tenantId, id))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getString(0)));
    }

    /** Items as view JSON, in request order of ids. */
    public Uni<Map<Long, String>> findAll(SqlConnection conn, StreamKind kind, long tenantId, List<Long> ids) {
        return conn.preparedQuery("select t.id, " + kind.viewJson() + " from " + kind.table
                        + " t where t.tenant_id = $1 and t.id = any($2::bigint[])")
                .execute(Tuple.of(tenantId, ids.toArray(new Long[0])))
                .map(rows -> {
                    Map<Long, String> map = new HashMap<>();
                    rows.forEach(r -> map.put(r.getLong(0), r.getString(1)));
                    return map;
                });
    }

    /** A customer's items, newest first, after the (occurredAt, id) of the previous page's last item. */
    public Uni<List<String>> page(StreamKind kind, long tenantId, long customerId, OffsetDateTime beforeAt, Long beforeId,
                                  int limit) {
        return pool.preparedQuery("select " + kind.viewJson() + " from " + kind.table + " t"
                        + " where t.tenant_id = $1 and t.customer_id = $2"
                        + " and ($3::timestamptz is null or (t.occurred_at, t.id) < ($3, $4))"
                        + " order by t.occurred_at desc, t.id desc limit $5")
                .execute(Tuple.of(tenantId, customerId, beforeAt, beforeId, limit + 1))
                .map(rows -> {
                    List<String> list = new ArrayList<>();
                    rows.forEach(r -> list.add(r.getString(0)));
                    return list;
                });
    }

    /**
     * The same timeline page for each of several customers in one statement (a lateral join per customer id);
     * rows as view JSON, grouped by customer id, each list with up to limit + 1 rows.
     */
    public Uni<Map<Long, List<String>>> pages(StreamKind kind, long tenantId, List<Long> customerIds,
                                              OffsetDateTime beforeAt, Long beforeId, int limit) {
        return pool.preparedQuery("select ids.customer_id, p.item from unnest($2::bigint[]) as ids(customer_id)"
                        + " cross join lateral (select " + kind.viewJson() + " as item from " + kind.table + " t"
                        + " where t.tenant_id = $1 and t.customer_id = ids.customer_id"
                        + " and ($3::timestamptz is null or (t.occurred_at, t.id) < ($3, $4))"
                        + " order by t.occurred_at desc, t.id desc limit $5) p")
                .execute(Tuple.of(tenantId, customerIds.toArray(Long[]::new), beforeAt, beforeId, limit + 1))
                .map(rows -> {
                    Map<Long, List<String>> pages = new HashMap<>();
                    rows.forEach(r -> pages.computeIfAbsent(r.getLong(0), id -> new ArrayList<>()).add(r.getString(1)));
                    return pages;
                });
    }

    /** The customer an item belongs to, locked; empty when no such item. */
    public Uni<Optional<Long>> lockOwner(SqlConnection conn, StreamKind kind, long tenantId, long id) {
        return conn.preparedQuery("select c.id from " + kind.table + " t join customer c on c.tenant_id = t.tenant_id"
                        + " and c.id = t.customer_id where t.tenant_id = $1 and t.id = $2 for update of c")
                .execute(Tuple.of(tenantId, id))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getLong(0)));
    }

    public Uni<Boolean> delete(SqlConnection conn, StreamKind kind, long tenantId, long id) {
        return conn.preparedQuery("delete from " + kind.table + " where tenant_id = $1 and id = $2")
                .execute(Tuple.of(tenantId, id)).map(rows -> rows.rowCount() == 1);
    }

    public Uni<Boolean> customerExists(long tenantId, long customerId) {
        return pool.preparedQuery("select 1 from customer where tenant_id = $1 and id = $2")
                .execute(Tuple.of(tenantId, customerId)).map(rows -> rows.size() == 1);
    }
}
