package dev.segments.common.tenancy;

import dev.segments.common.config.ServiceConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

/** The admin key: from {@code segments.admin-key} ({@code ADMIN_KEY}), or generated and logged at start. */
@ApplicationScoped
public class AdminKey {

    private static final Logger LOG = Logger.getLogger(AdminKey.class);
    private final String key;
    private final boolean generated;

    AdminKey(ServiceConfig config) {
        this.generated = config.adminKey().isEmpty();
        this.key = config.adminKey().orElseGet(ApiKeys::generate);
    }

    void log(@Observes StartupEvent event) {
        if (generated) {
            LOG.infof("No segments.admin-key configured; admin key for this run: %s", key);
        }
    }

    public boolean matches(String candidate) {
        return ApiKeys.same(key, candidate);
    }
}
