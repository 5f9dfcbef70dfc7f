package dev.segments.webhook.persistence;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.RowSet;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** Webhook subscriptions of a tenant; every statement filters by the tenant. */
@ApplicationScoped
public class WebhookRepository {

    static final String COLUMNS = "id, tenant_id, url, segments, secret, active, last_change_id, created_at";

    private final Pool pool;

    WebhookRepository(Pool pool) {
        this.pool = pool;
    }

    /**
     * Creates a subscription positioned at the tenant's current end of the feed, or at its beginning. The end is
     * read in the same statement: a change committed later has a larger id (writers serialize per tenant), so
     * nothing after the position is skipped.
     */
    public Uni<SubscriptionRow> insert(long tenantId, String url, List<String> segments, String secret,
                                       boolean fromBeginning) {
        return pool.preparedQuery("""
                        insert into webhook_subscription (tenant_id, url, segments, secret, last_change_id)
                        values ($1, $2, $3, $4, case when $5 then 0
                                else coalesce((select max(id) from membership_change where tenant_id = $1), 0) end)
                        returning """ + " " + COLUMNS)
                .execute(Tuple.of(tenantId, url, segments.toArray(new String[0]), secret, fromBeginning))
                .map(rs -> rows(rs).get(0));
    }

    /** A page in id order after {@code afterId}, one row more than {@code limit} when another page follows. */
    public Uni<List<SubscriptionRow>> page(long tenantId, long afterId, int limit) {
        return pool.preparedQuery("select " + COLUMNS + " from webhook_subscription where tenant_id = $1 and id > $2"
                        + " order by id limit $3")
                .execute(Tuple.of(tenantId, afterId, limit + 1)).map(WebhookRepository::rows);
    }

    public Uni<Optional<SubscriptionRow>> find(long tenantId, long id) {
        return pool.preparedQuery("select " + COLUMNS + " from webhook_subscription where tenant_id = $1 and id = $2")
                .execute(Tuple.of(tenantId, id)).map(rs -> rows(rs).stream().findFirst());
    }

    /** Changes the given fields (null: unchanged); empty when the tenant has no such subscription. */
    public Uni<Optional<SubscriptionRow>> update(long tenantId, long id, String url, List<String> segments,
                                                 Boolean active, String secret) {
        return pool.preparedQuery("""
                        update webhook_subscription set url = coalesce($3, url), segments = coalesce($4, segments),
                               active = coalesce($5, active), secret = coalesce($6, secret)
                        where tenant_id = $1 and id = $2
                        returning """ + " " + COLUMNS)
                .execute(Tuple.from(Arrays.asList(tenantId, id, url,
                        segments == null ? null : segments.toArray(new String[0]), active, secret)))
                .map(rs -> rows(rs).stream().findFirst());
    }

    /** Deletes the subscription and its delivery log; false when the tenant has no such subscription. */
    public Uni<Boolean> delete(long tenantId, long id) {
        return pool.preparedQuery("delete from webhook_subscription where tenant_id = $1 and id = $2")
                .execute(Tuple.of(tenantId, id)).map(rs -> rs.rowCount() == 1);
    }

    /** Which of these segment keys the tenant has. */
    public Uni<List<String>> existingSegments(long tenantId, List<String> keys) {
        return pool.preparedQuery("select key from segment where tenant_id = $1 and key = any($2)")
                .execute(Tuple.of(tenantId, keys.toArray(new String[0]))).map(rs -> {
                    List<String> found = new ArrayList<>();
                    rs.forEach(r -> found.add(r.getString(0)));
                    return found;
                });
    }

    static List<SubscriptionRow> rows(RowSet<Row> rs) {
        List<SubscriptionRow> list = new ArrayList<>();
        for (Row r : rs) {
            list.add(row(r));
        }
        return list;
    }

    static SubscriptionRow row(Row r) {
        String[] segments = r.getArrayOfStrings("segments");
        return new SubscriptionRow(r.getLong("id"), r.getLong("tenant_id"), r.getString("url"),
                segments == null ? List.of() : List.of(segments), r.getString("secret"), r.getBoolean("active"),
                r.getLong("last_change_id"), r.getOffsetDateTime("created_at"));
    }
}
