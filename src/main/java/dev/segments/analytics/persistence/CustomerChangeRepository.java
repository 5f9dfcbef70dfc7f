package dev.segments.analytics.persistence;

import dev.segments.customer.CustomerChanges.Change;
import dev.segments.rule.Source;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.SqlConnection;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The journal of customer changes not yet followed ({@code customer_change}, V23; docs/live-membership.md "Writes
 * that outlive a crash"): one row per write, recorded in the write's transaction, deleted once its follow-up (the
 * analytics values and the membership of its customers) is done. Its only owner: the {@code CustomerChanges} port's
 * implementation.
 */
@ApplicationScoped
public class CustomerChangeRepository {

    private static final String INSERT =
            "insert into customer_change (tenant_id, customer_ids, sources) values ($1, $2, $3) returning id";
    private static final String INSERT_JDBC =
            "insert into customer_change (tenant_id, customer_ids, sources) values (?, ?, ?) returning id";

    /**
     * The sweep's claim: rows recorded more than the grace period ago ($1, in milliseconds) that no sweep took within
     * that period, oldest first, at most $2; marked as taken now (committed on its own, so that a sweep that stops
     * half-way leaves them to the next one after the grace period). skip locked: two instances never take the same
     * row at once.
     */
    private static final String CLAIM = """
            update customer_change c set swept_at = clock_timestamp()
            where c.id in (select id from customer_change
                           where recorded_at <= clock_timestamp() - $1 * interval '1 millisecond'
                             and (swept_at is null or swept_at <= clock_timestamp() - $1 * interval '1 millisecond')
                           order by recorded_at limit $2
                           for update skip locked)
            returning c.id, c.tenant_id, c.customer_ids, c.sources""";

    private final Pool pool;

    CustomerChangeRepository(Pool pool) {
        this.pool = pool;
    }

    public Uni<Change> insert(SqlConnection conn, long tenantId, Collection<Long> customerIds, Set<Source> sources) {
        List<Long> ids = List.copyOf(customerIds);
        return conn.preparedQuery(INSERT).execute(Tuple.of(tenantId, ids.toArray(Long[]::new), names(sources)))
                .map(rows -> new Change(rows.iterator().next().getLong(0), tenantId, ids, sources));
    }

    public Change insert(Connection conn, long tenantId, Collection<Long> customerIds, Set<Source> sources)
            throws SQLException {
        List<Long> ids = List.copyOf(customerIds);
        try (PreparedStatement s = conn.prepareStatement(INSERT_JDBC)) {
            s.setLong(1, tenantId);
            s.setArray(2, conn.createArrayOf("bigint", ids.toArray()));
            s.setArray(3, conn.createArrayOf("text", names(sources)));
            try (ResultSet r = s.executeQuery()) {
                r.next();
                return new Change(r.getLong(1), tenantId, ids, sources);
            }
        }
    }

    /** The change was followed. */
    public Uni<Void> delete(Change change) {
        return pool.preparedQuery("delete from customer_change where tenant_id = $1 and id = $2")
                .execute(Tuple.of(change.tenantId(), change.id())).replaceWithVoid();
    }

    /** Takes up to {@code limit} changes recorded more than {@code grace} ago and not followed (see {@link #CLAIM}). */
    public Uni<List<Change>> claim(Duration grace, int limit) {
        return pool.preparedQuery(CLAIM).execute(Tuple.of(grace.toMillis(), limit))
                .map(rows -> {
                    List<Change> out = new java.util.ArrayList<>();
                    for (Row r : rows) {
                        out.add(new Change(r.getLong("id"), r.getLong("tenant_id"),
                                Arrays.asList(r.getArrayOfLongs("customer_ids")), sources(r.getArrayOfStrings("sources"))));
                    }
                    return out;
                });
    }

    /** How many changes of the tenant are not followed yet (tests; a write's own follow-up deletes its row). */
    public Uni<Long> pending(long tenantId) {
        return pool.preparedQuery("select count(*) from customer_change where tenant_id = $1").execute(Tuple.of(tenantId))
                .map(rows -> rows.iterator().next().getLong(0));
    }

    private static String[] names(Set<Source> sources) {
        return sources.stream().sorted().map(Source::name).toArray(String[]::new);
    }

    private static Set<Source> sources(String[] names) {
        Set<Source> out = EnumSet.noneOf(Source.class);
        for (String n : names) {
            out.add(Source.valueOf(n));
        }
        return out;
    }
}
