package dev.segments.common.db;

import io.smallrye.health.api.AsyncHealthCheck;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import java.time.Duration;

/**
 * Readiness: the database answers {@code select 1} within 3 s through the {@link ReservedPool}. Quarkus's own
 * datasource check is off ({@code quarkus.datasource.health.enabled=false}): it goes through the main pool, so a
 * burst of tenant queries that took every connection made every instance unready at once.
 */
@Readiness
@ApplicationScoped
class DatabaseReadiness implements AsyncHealthCheck {

    static final String NAME = "Reactive PostgreSQL (reserved pool)";

    private final Pool pool;

    DatabaseReadiness(@ReservedPool Pool pool) {
        this.pool = pool;
    }

    @Override
    public Uni<HealthCheckResponse> call() {
        return pool.query("select 1").execute()
                .ifNoItem().after(Duration.ofSeconds(3)).fail()
                .map(rows -> HealthCheckResponse.up(NAME))
                .onFailure().recoverWithItem(e -> HealthCheckResponse.builder().name(NAME).down()
                        .withData("reason", "the database did not answer through the reserved pool").build());
    }
}
