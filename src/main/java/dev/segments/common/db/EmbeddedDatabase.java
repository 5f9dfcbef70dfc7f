package dev.segments.common.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The embedded PostgreSQL that serves when no database is configured: a real server from Maven Central
 * binaries (zonky), run as a child process, with its data in a directory that survives restarts.
 *
 * <p>It is started before Quarkus (from {@code Main}, or from the test resource), because the datasource
 * URLs must be known when Quarkus reads its runtime configuration. It publishes itself through the same
 * {@code DB_URL}, {@code DB_USER} and {@code DB_PASSWORD} keys a user would set for an external server, so
 * the rest of the application does not know which kind it talks to.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    /** System property set to {@code true} while the embedded server is the database in use. */
    public static final String ACTIVE_PROPERTY = "segments.embedded-db.active";

    private final EmbeddedPostgres postgres;
    private final Path dataDir;

    private EmbeddedDatabase(EmbeddedPostgres postgres, Path dataDir) {
        this.postgres = postgres;
        this.dataDir = dataDir;
    }

    /**
     * Starts a server keeping its data in {@code dataDir}; initialises the directory when it holds no cluster yet.
     *
     * @param port the port to listen on on localhost, or 0 for a free one
     * @param clean whether to wipe the directory first (tests; a throwaway server also skips fsync)
     */
    public static EmbeddedDatabase start(Path dataDir, int port, boolean clean) {
        try {
            Files.createDirectories(dataDir);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir.toAbsolutePath())
                    .setCleanDataDirectory(clean)
                    .setServerConfig("max_connections", "100")
                    .setServerConfig("shared_buffers", "256MB")
                    .setServerConfig("work_mem", "64MB")
                    .setServerConfig("timezone", "UTC")
                    // per-statement statistics (create extension pg_stat_statements to read them): used by the
                    // tests that prove GraphQL batching and by the benchmarks
                    .setServerConfig("shared_preload_libraries", "pg_stat_statements");
            if (!clean) {
                // zonky's defaults favour throwaway test databases (fsync, synchronous_commit and full_page_writes
                // off); a kept data directory must not lose or corrupt acknowledged writes on a crash
                builder.setServerConfig("fsync", "on")
                        .setServerConfig("synchronous_commit", "on")
                        .setServerConfig("full_page_writes", "on");
            }
            if (port > 0) {
                builder.setPort(port);
            }
            return new EmbeddedDatabase(builder.start(), dataDir.toAbsolutePath());
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the embedded PostgreSQL in " + dataDir, e);
        }
    }

    public int port() {
        return postgres.getPort();
    }

    public Path dataDir() {
        return dataDir;
    }

    /** The connection settings, under the keys the application reads ({@code DB_URL} and friends). */
    public Map<String, String> connectionProperties() {
        return Map.of(
                "DB_URL", "postgresql://localhost:" + port() + "/postgres",
                "DB_USER", "postgres",
                "DB_PASSWORD", "",
                ACTIVE_PROPERTY, "true");
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
