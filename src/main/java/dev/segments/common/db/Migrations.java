package dev.segments.common.db;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * The "migrate and exit" mode ({@code --migrate}, docs/operations.md): applies the Flyway migrations of
 * {@code src/main/resources/db/migration} to the configured database without starting the service, the way
 * Quarkus's {@code quarkus.flyway.migrate-at-start} does (same locations, same defaults). On Kubernetes a Job runs
 * it once per release, and the service's pods start with {@code DB_MIGRATE_AT_START=false} and
 * {@code DB_VALIDATE_AT_START=true}: they never migrate, and refuse to start on a schema that is behind.
 * Flyway holds a PostgreSQL advisory lock while it migrates, so even two such runs at once apply each version once.
 */
public final class Migrations {

    private Migrations() {
    }

    /**
     * The JDBC URL of the settings the service reads: {@code DB_JDBC_URL} if set, else {@code jdbc:} + {@code DB_URL}
     * (as application.properties derives it); null when neither is set.
     */
    public static String jdbcUrl(String dbJdbcUrl, String dbUrl) {
        if (dbJdbcUrl != null && !dbJdbcUrl.isBlank()) {
            return dbJdbcUrl;
        }
        return dbUrl == null || dbUrl.isBlank() ? null : "jdbc:" + dbUrl;
    }

    /** What a run did: how many migrations it applied, and the schema version after it. */
    public record Outcome(int applied, String version) {
    }

    /** Applies the pending migrations. */
    public static Outcome migrate(String jdbcUrl, String user, String password) {
        MigrateResult result = Flyway.configure(Migrations.class.getClassLoader())
                .dataSource(jdbcUrl, user, password)
                .locations("classpath:db/migration")
                .load()
                .migrate();
        String version = result.targetSchemaVersion != null ? result.targetSchemaVersion : result.initialSchemaVersion;
        return new Outcome(result.migrationsExecuted, version);
    }
}
