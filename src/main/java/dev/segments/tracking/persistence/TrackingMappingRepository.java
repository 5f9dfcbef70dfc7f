package dev.segments.tracking.persistence;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.Optional;

/** The stored tracking mapping of a tenant (one JSON document, table tracking_mapping), over the reactive pool. */
@ApplicationScoped
public class TrackingMappingRepository {

    private final Pool pool;

    TrackingMappingRepository(Pool pool) {
        this.pool = pool;
    }

    /** The tenant's mapping as JSON text; empty when it never stored one (the default applies). */
    public Uni<Optional<String>> find(long tenantId) {
        return pool.preparedQuery("select mapping::text from tracking_mapping where tenant_id = $1")
                .execute(Tuple.of(tenantId))
                .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getString(0)));
    }

    /** Stores (replaces) the tenant's mapping. */
    public Uni<Void> save(long tenantId, String mappingJson) {
        return pool.preparedQuery("""
                        insert into tracking_mapping (tenant_id, mapping) values ($1, $2::text::jsonb)
                        on conflict (tenant_id) do update set mapping = excluded.mapping, updated_at = now()""")
                .execute(Tuple.of(tenantId, mappingJson)).replaceWithVoid();
    }
}
