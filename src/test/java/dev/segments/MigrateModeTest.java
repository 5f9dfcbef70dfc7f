package dev.segments;

import dev.segments.common.db.EmbeddedDatabase;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The "migrate and exit" mode the Kubernetes Job runs ({@code --migrate}), against a real PostgreSQL: it applies
 * every migration of src/main/resources/db/migration once, exits 0, does nothing the second time, is safe when two
 * run at once (Flyway's advisory lock), exits 2 without a configured database; and a schema left behind is what
 * the pods' {@code DB_VALIDATE_AT_START=true} refuses.
 */
class MigrateModeTest {

    @Test
    void migratesOnceAndExitsWithoutStartingTheService(@TempDir Path dir) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("pg"), 0, false)) {
            Map<String, String> settings = db.connectionProperties();
            int migrations = migrationFiles();
            assertTrue(migrations >= 9, "migrations found: " + migrations);

            // two Jobs at once (a retried Job, an overlapping release): each version is applied once
            List<Integer> exits = withSettings(settings, () -> {
                ExecutorService two = Executors.newFixedThreadPool(2);
                try {
                    List<Future<Integer>> runs = new ArrayList<>();
                    for (int i = 0; i < 2; i++) {
                        runs.add(two.submit(Main::migrateAndExit));
                    }
                    List<Integer> codes = new ArrayList<>();
                    for (Future<Integer> run : runs) {
                        codes.add(run.get());
                    }
                    return codes;
                } finally {
                    two.shutdownNow();
                }
            });
            assertEquals(List.of(0, 0), exits);
            assertEquals(migrations, queryInt(db.port(), "select count(*) from flyway_schema_history where success"));
            assertEquals(migrations, queryInt(db.port(),
                    "select count(distinct version) from flyway_schema_history where success"));
            assertEquals(1, queryInt(db.port(), "select count(*) from information_schema.tables where table_name = 'customer'"));

            // again: nothing to do, still 0
            assertEquals(0, withSettings(settings, Main::migrateAndExit));
            assertEquals(migrations, queryInt(db.port(), "select count(*) from flyway_schema_history"));
        }
    }

    @Test
    void aSchemaBehindFailsValidationAsThePodsCheckAtStart(@TempDir Path dir) throws Exception {
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("pg"), 0, false)) {
            String url = "jdbc:" + db.connectionProperties().get("DB_URL");
            String user = db.connectionProperties().get("DB_USER");
            String password = db.connectionProperties().getOrDefault("DB_PASSWORD", "");
            Flyway.configure().dataSource(url, user, password).locations("classpath:db/migration").target("5").load()
                    .migrate();
            // what quarkus.flyway.validate-at-start runs: pending migrations fail it
            Flyway current = Flyway.configure().dataSource(url, user, password).locations("classpath:db/migration").load();
            assertThrows(FlywayException.class, current::validate);
            assertEquals(0, withSettings(db.connectionProperties(), Main::migrateAndExit));
            assertTrue(current.validateWithResult().validationSuccessful, "current after --migrate");
        }
    }

    @Test
    void withoutADatabaseItRefusesRatherThanStartTheEmbeddedOne() {
        assertEquals(2, withSettings(Map.of(), Main::migrateAndExit));
    }

    // ------------------------------------------------------------------ helpers

    /** Runs with these settings as system properties (Main reads them before the environment), then removes them. */
    static synchronized <T> T withSettings(Map<String, String> settings, Callable<T> work) {
        List<String> keys = List.of("DB_URL", "DB_JDBC_URL", "DB_USER", "DB_PASSWORD");
        Map<String, String> saved = new java.util.HashMap<>();
        keys.forEach(k -> {
            if (System.getProperty(k) != null) {
                saved.put(k, System.getProperty(k));
            }
            System.clearProperty(k);
        });
        settings.forEach((k, v) -> {
            if (keys.contains(k)) {
                System.setProperty(k, v);
            }
        });
        try {
            return work.call();
        } catch (Exception e) {
            throw new AssertionError(e);
        } finally {
            keys.forEach(System::clearProperty);
            saved.forEach(System::setProperty);
        }
    }

    static int migrationFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("src/main/resources/db/migration"))) {
            return (int) files.filter(f -> f.getFileName().toString().matches("V\\d+__.*\\.sql")).count();
        }
    }

    static int queryInt(int port, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/postgres", "postgres", "");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertTrue(rs.next());
            return rs.getInt(1);
        }
    }
}
