package dev.segments.support;

import dev.segments.common.db.EmbeddedDatabase;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;

/** A throwaway real PostgreSQL (the same embedded server the service runs by default) for @QuarkusTest. */
public class EmbeddedPostgresResource implements QuarkusTestResourceLifecycleManager {

    private EmbeddedDatabase db;

    @Override
    public Map<String, String> start() {
        try {
            db = EmbeddedDatabase.start(Files.createTempDirectory("segments-test-pg"), 0, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> config = new HashMap<>(db.connectionProperties());
        config.remove(EmbeddedDatabase.ACTIVE_PROPERTY);
        return config;
    }

    @Override
    public void stop() {
        if (db != null) {
            db.close();
        }
    }
}
