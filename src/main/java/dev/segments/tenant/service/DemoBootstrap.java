package dev.segments.tenant.service;

import dev.segments.activity.persistence.ActivityRepository;
import dev.segments.common.config.ServiceConfig;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * With the embedded database (a local trial), makes sure a "Demo" tenant exists and prints a fresh API key
 * for it at every start (the previous demo key is revoked; only hashes are stored, so an old key cannot be
 * shown again). With {@code segments.demo.data=true} (or {@code --demo-data}), an empty demo tenant gets a
 * small realistic dataset.
 */
@ApplicationScoped
public class DemoBootstrap {

    static final String DEMO_TENANT = "Demo";
    private static final Logger LOG = Logger.getLogger(DemoBootstrap.class);

    private final TenantService tenants;
    private final ServiceConfig config;
    private final Pool pool;
    private final ActivityRepository activity;

    DemoBootstrap(TenantService tenants, ServiceConfig config, Pool pool, ActivityRepository activity) {
        this.tenants = tenants;
        this.config = config;
        this.pool = pool;
        this.activity = activity;
    }

    void onStart(@Observes StartupEvent event) throws Throwable {
        if (!config.embeddedDb().active() || !config.demo().enabled()) {
            return;
        }
        var existing = VertxContextSupport.subscribeAndAwait(() -> tenants.findByName(DEMO_TENANT));
        long tenantId;
        String key;
        if (existing == null) {
            var created = VertxContextSupport.subscribeAndAwait(() -> tenants.create(DEMO_TENANT, "demo"));
            tenantId = created.tenant().id;
            key = created.key().secret();
        } else {
            tenantId = existing.id;
            key = VertxContextSupport.subscribeAndAwait(() -> tenants.rotateKey(existing.id, "demo")).secret();
        }
        if (config.demo().data()) {
            loadDemoData(tenantId);
        }
        LOG.infof("""

                ==================================================================
                 Demo tenant %d is ready. API key for this run (shown once):
                   %s
                 Try: curl -H "Authorization: Bearer %s" localhost:%s/customers
                ==================================================================""",
                tenantId, key, key, org.eclipse.microprofile.config.ConfigProvider.getConfig()
                        .getOptionalValue("quarkus.http.port", String.class).orElse("8080"));
    }

    /** Loads the demo dataset into this tenant unless it has customers already (also used by DemoDataTest). */
    public void loadDemoData(long tenantId) {
        long customers = pool.preparedQuery("select count(*) from customer where tenant_id = $1")
                .execute(Tuple.of(tenantId)).await().indefinitely().iterator().next().getLong(0);
        if (customers > 0) {
            LOG.infof("Demo tenant already has %d customers; demo data not loaded again", customers);
            return;
        }
        String script;
        try (InputStream in = DemoBootstrap.class.getResourceAsStream("/demo-data.sql")) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        pool.withTransaction(conn -> conn.preparedQuery("select set_config('segments.demo_tenant', $1, true)")
                .execute(Tuple.of(Long.toString(tenantId))).chain(() -> conn.query(script).execute())
                .chain(() -> conn.preparedQuery("select id from customer where tenant_id = $1").execute(Tuple.of(tenantId)))
                .chain(rows -> {
                    List<Long> ids = new ArrayList<>();
                    rows.forEach(r -> ids.add(r.getLong(0)));
                    return activity.recomputeRollups(conn, tenantId, ids);
                })).await().indefinitely();
        LOG.infof("Loaded the demo dataset into tenant %d", tenantId);
    }
}
