package dev.segments.tenant.service;

import dev.segments.common.config.ServiceConfig;
import dev.segments.tenant.persistence.DemoDataRepository;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

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
    private final DemoDataRepository demoData;

    DemoBootstrap(TenantService tenants, ServiceConfig config, DemoDataRepository demoData) {
        this.tenants = tenants;
        this.config = config;
        this.demoData = demoData;
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
        long customers = demoData.customerCount(tenantId).await().indefinitely();
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
        demoData.load(tenantId, script).await().indefinitely();
        LOG.infof("Loaded the demo dataset into tenant %d", tenantId);
    }
}
