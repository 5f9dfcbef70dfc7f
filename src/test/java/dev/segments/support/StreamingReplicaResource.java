package dev.segments.support;

import dev.segments.common.db.EmbeddedDatabase;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A primary and a real streaming hot standby of it, both on the embedded (zonky) PostgreSQL 17 binaries, so the
 * suite needs nothing installed: zonky ships no pg_basebackup, so the standby is made with the low-level backup API
 * ({@code pg_backup_start}, a copy of the data directory, {@code pg_backup_stop} and its {@code backup_label}), a
 * physical replication slot that keeps the WAL from the backup's start, {@code standby.signal} and
 * {@code primary_conninfo}. The service gets the primary as {@code DB_URL} and the standby as {@code DB_READ_URL}.
 * Tests reach the standby through the static methods (pause replay, kill it, start it again).
 */
public class StreamingReplicaResource implements QuarkusTestResourceLifecycleManager {

    private static final Set<String> SKIPPED = Set.of("postmaster.pid", "postmaster.opts", "epg-lock");
    private static final Set<String> EMPTIED = Set.of("pg_wal", "pg_replslot", "pg_stat_tmp");

    private static EmbeddedDatabase primary;
    private static volatile EmbeddedPostgres standby;
    private static Path standbyDir;
    private static int standbyPort;

    @Override
    public Map<String, String> start() {
        try {
            Path root = Files.createTempDirectory("segments-test-replica");
            primary = EmbeddedDatabase.start(root.resolve("primary"), 0, true);
            standbyDir = root.resolve("standby");
            try (Connection c = DriverManager.getConnection(primaryJdbc(), "postgres", "");
                 Statement s = c.createStatement()) {
                s.execute("select pg_create_physical_replication_slot('standby', true)");
                s.execute("select pg_backup_start('standby', true)");
                copy(primary.dataDir(), standbyDir);
                try (ResultSet rs = s.executeQuery("select labelfile from pg_backup_stop(false)")) {
                    rs.next();
                    Files.writeString(standbyDir.resolve("backup_label"), rs.getString(1));
                }
            }
            Files.createFile(standbyDir.resolve("standby.signal"));
            Files.writeString(standbyDir.resolve("postgresql.auto.conf"), "\nprimary_conninfo = 'host=localhost port="
                    + primary.port() + " user=postgres application_name=standby'\nprimary_slot_name = 'standby'\n"
                    + "hot_standby = on\nhot_standby_feedback = on\n", StandardOpenOption.APPEND);
            startStandby(0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (SQLException e) {
            throw new IllegalStateException("could not make the standby", e);
        }
        Map<String, String> config = new HashMap<>(primary.connectionProperties());
        config.remove(EmbeddedDatabase.ACTIVE_PROPERTY);
        config.put("DB_READ_URL", "postgresql://localhost:" + standbyPort + "/postgres");
        config.put("DB_READ_MAX_LAG", "5s");
        config.put("DB_READ_PROBE_INTERVAL", "200ms");
        return config;
    }

    @Override
    public void stop() {
        try {
            if (standby != null) {
                standby.close();
            }
        } catch (IOException e) {
            // the directory is thrown away
        }
        if (primary != null) {
            primary.close();
        }
    }

    public static String primaryJdbc() {
        return "jdbc:postgresql://localhost:" + primary.port() + "/postgres";
    }

    public static String standbyJdbc() {
        return "jdbc:postgresql://localhost:" + standbyPort + "/postgres";
    }

    /** Runs one statement on the standby (pg_wal_replay_pause(), pg_wal_replay_resume() ...). */
    public static void onStandby(String sql) {
        try (Connection c = DriverManager.getConnection(standbyJdbc(), "postgres", "");
             Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** Kills the standby's postmaster and its children with SIGKILL (no shutdown), and waits until they are gone. */
    public static void killStandby() throws IOException {
        long pid = Long.parseLong(Files.readAllLines(standbyDir.resolve("postmaster.pid")).get(0).strip());
        ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();
        List<ProcessHandle> children = postmaster.descendants().toList();
        postmaster.destroyForcibly();
        children.forEach(ProcessHandle::destroyForcibly);
        postmaster.onExit().join();
        children.forEach(p -> p.onExit().join());
        standby.close(); // its pg_ctl stop fails (nothing runs); it releases zonky's lock on the directory
        standby = null;
    }

    /** Starts the standby again on its directory and port (crash recovery, then streaming resumes). */
    public static void restartStandby() {
        startStandby(standbyPort);
    }

    private static void startStandby(int port) {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setRegisterShutdownHook(true)
                .setDataDirectory(standbyDir.toAbsolutePath())
                .setCleanDataDirectory(false)
                .setServerConfig("max_connections", "100")
                .setServerConfig("shared_buffers", "64MB")
                .setServerConfig("timezone", "UTC")
                .setServerConfig("shared_preload_libraries", "pg_stat_statements")
                .setPGStartupWait(Duration.ofSeconds(60));
        if (port > 0) {
            builder.setPort(port);
        }
        try {
            standby = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("could not start the standby", e);
        }
        standbyPort = standby.getPort();
    }

    /** Copies a data directory taken during pg_backup_start: without the server's pid and lock files and WAL. */
    private static void copy(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path rel = from.relativize(dir);
                Files.createDirectories(to.resolve(rel));
                if (rel.getNameCount() == 1 && EMPTIED.contains(rel.toString())) {
                    if (rel.toString().equals("pg_wal")) {
                        Files.createDirectories(to.resolve(rel).resolve("archive_status"));
                    }
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path rel = from.relativize(file);
                if (rel.getNameCount() == 1 && SKIPPED.contains(rel.toString())) {
                    return FileVisitResult.CONTINUE;
                }
                try {
                    Files.copy(file, to.resolve(rel), StandardCopyOption.COPY_ATTRIBUTES);
                } catch (java.nio.file.NoSuchFileException gone) {
                    // a file the server removed while we copied (a temporary one): the WAL replay accounts for it
                }
                return FileVisitResult.CONTINUE;
            }
        });
        // PostgreSQL wants its data directory private to its user
        Files.setPosixFilePermissions(to, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }
}
