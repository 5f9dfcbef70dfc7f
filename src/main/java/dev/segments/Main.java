package dev.segments;

import dev.segments.common.db.EmbeddedDatabase;
import dev.segments.common.db.Migrations;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Entry point. When no database is configured ({@code DB_URL} or {@code quarkus.datasource.reactive.url}),
 * starts the embedded PostgreSQL first and points the application at it; then runs Quarkus. The embedded server
 * stops a postmaster left behind on its data directory by a previous run, restarts its own when it dies, and is
 * stopped by its own shutdown hook.
 */
@QuarkusMain
public final class Main {

    private static final Logger LOG = Logger.getLogger(Main.class.getName());

    private Main() {
    }

    public static void main(String... args) {
        // Invalid request URIs are refused by RequestGuard with a problem+json instead of Quarkus' empty 400
        System.setProperty("vertx.disableURIValidation", "true");
        // reports draw their charts with AWT (JFreeChart) on a server without a display
        System.setProperty("java.awt.headless", "true");
        for (String arg : args) {
            if (arg.equals("--demo-data")) {
                System.setProperty("segments.demo.data", "true");
            }
            if (arg.equals("--migrate")) {
                System.exit(migrateAndExit());
            }
        }
        if (!databaseConfigured()) {
            Path dataDir = Path.of(setting("EMBEDDED_DB_DIR", "segments.embedded-db.dir", "./data"));
            int port = Integer.parseInt(setting("EMBEDDED_DB_PORT", "segments.embedded-db.port", "0"));
            EmbeddedDatabase db;
            try {
                db = EmbeddedDatabase.start(dataDir, port, false, setting("EMBEDDED_DB_SHARED_BUFFERS",
                        "segments.embedded-db.shared-buffers", EmbeddedDatabase.DEFAULT_SHARED_BUFFERS));
            } catch (IllegalArgumentException e) {
                System.err.println(e.getMessage()); // a setting refused before anything started: no log manager yet
                System.exit(2);
                return;
            }
            db.connectionProperties().forEach(System::setProperty);
            LOG.info(() -> "No DB_URL configured: started embedded PostgreSQL on localhost:" + db.port()
                    + " with its data in " + db.dataDir());
        }
        Quarkus.run(args);
    }

    /**
     * {@code --migrate}: applies the database migrations to the configured database (DB_URL or DB_JDBC_URL, with
     * DB_USER and DB_PASSWORD) and exits without starting the service; never the embedded database. Exit code 0 when
     * the schema is current, 1 when the migration failed, 2 when no database is configured.
     */
    static int migrateAndExit() {
        // printed, not logged: Quarkus never starts in this mode, so its log manager never writes anything out
        String url = Migrations.jdbcUrl(setting("DB_JDBC_URL", "DB_JDBC_URL", null), setting("DB_URL", "DB_URL", null));
        if (url == null) {
            System.err.println("--migrate needs DB_URL (or DB_JDBC_URL): it never migrates the embedded database");
            return 2;
        }
        try {
            Migrations.Outcome outcome = Migrations.migrate(url, setting("DB_USER", "DB_USER", "postgres"),
                    setting("DB_PASSWORD", "DB_PASSWORD", ""));
            System.out.println("Migrations applied: " + outcome.applied() + "; the schema is at version "
                    + outcome.version());
            return 0;
        } catch (RuntimeException e) {
            System.err.println("Migration failed: " + e.getMessage());
            e.printStackTrace();
            return 1;
        }
    }

    private static boolean databaseConfigured() {
        return setting("DB_URL", "DB_URL", null) != null
                || setting("QUARKUS_DATASOURCE_REACTIVE_URL", "quarkus.datasource.reactive.url", null) != null;
    }

    /** Reads a setting before Quarkus configuration exists: system property first, then environment. */
    private static String setting(String env, String property, String fallback) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(env);
        }
        return value == null || value.isBlank() ? fallback : value;
    }
}
