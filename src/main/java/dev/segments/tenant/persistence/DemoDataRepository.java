package dev.segments.tenant.persistence;

import dev.segments.activity.persistence.ActivityRepository;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;

/**
 * The statements of the demo dataset ({@code tenant.service.DemoBootstrap}): whether a tenant has customers, and
 * loading the dataset script into one tenant in one transaction, its customers' rollups included. The script
 * reads the tenant id from the transaction-local setting {@code segments.demo_tenant} (a parameter, never text).
 */
@ApplicationScoped
public class DemoDataRepository {

    private final Pool pool;
    private final ActivityRepository activity;

    DemoDataRepository(Pool pool, ActivityRepository activity) {
        this.pool = pool;
        this.activity = activity;
    }

    public Uni<Long> customerCount(long tenantId) {
        return pool.preparedQuery("select count(*) as n from customer where tenant_id = $1")
                .execute(Tuple.of(tenantId)).map(rows -> rows.iterator().next().getLong("n"));
    }

    /** Runs the dataset script for this tenant and recomputes the rollups of its customers, in one transaction. */
    public Uni<Void> load(long tenantId, String script) {
        return pool.withTransaction(conn -> conn.preparedQuery("select set_config('segments.demo_tenant', $1, true)")
                .execute(Tuple.of(Long.toString(tenantId))).chain(() -> conn.query(script).execute())
                .chain(() -> conn.preparedQuery("select id from customer where tenant_id = $1").execute(Tuple.of(tenantId)))
                .chain(rows -> {
                    List<Long> ids = new ArrayList<>();
                    rows.forEach(r -> ids.add(r.getLong("id")));
                    return activity.recomputeRollups(conn, tenantId, ids);
                }));
    }
}
