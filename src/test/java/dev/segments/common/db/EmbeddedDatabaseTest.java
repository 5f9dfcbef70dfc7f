package dev.segments.common.db;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The embedded PostgreSQL looks after itself, against a real postmaster: a stale one left by a JVM killed with
 * kill -9 is stopped on the next start, a postmaster killed with kill -9 is brought back by the watchdog, and a
 * pid file naming a process that is not ours never gets that process killed.
 */
class EmbeddedDatabaseTest {

    static final Duration BOUND = Duration.ofSeconds(30);

    @Test
    void watchdogRestartsAKilledPostmasterOnTheSameDirectoryAndPort(@TempDir Path dir) throws Exception {
        // a kept data directory, as Main runs it (fsync and synchronous_commit on: committed rows survive a crash)
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("pg"), 0, false,
                Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofSeconds(2))) {
            int port = db.port();
            exec(port, "create table kept(v int); insert into kept values (42)");
            assertWalSettings(port);
            long first = pidInFile(db.dataDir());
            assertEquals(first, db.postmasterPid().orElseThrow());

            ProcessHandle.of(first).orElseThrow().destroyForcibly(); // kill -9 of the postmaster
            await("the watchdog notices the loss", db::isDown);
            assertTrue(db.postmasterPid().isEmpty());
            await("the postmaster is back", () -> !db.isDown() && canQuery(port));

            long second = pidInFile(db.dataDir());
            assertNotEquals(first, second);
            assertEquals(second, db.postmasterPid().orElseThrow());
            assertEquals(1, db.restarts());
            assertEquals(port, db.port());
            assertEquals(42, queryInt(port, "select v from kept"), "the data survives the crash");
            assertWalSettings(port);
        }
    }

    @Test
    void aKeptDirectorysServerLogsToItsLogDirectoryAfterTheStart(@TempDir Path dir) throws Exception {
        // the server's stderr dies with the pg_ctl that started it: a message written after the start must still
        // reach a file (a failure, a checkpoint, auto_explain's plans)
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("pg"), 0, false,
                Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofSeconds(2))) {
            String marker = "marker-" + java.util.UUID.randomUUID();
            Thread.sleep(500);   // well after pg_ctl has returned
            exec(db.port(), "do $$ begin raise log '%s'; end $$".formatted(marker));
            Path logs = db.dataDir().resolve(EmbeddedDatabase.LOG_DIRECTORY);
            await("the message is in " + logs, () -> {
                try (var files = Files.list(logs)) {
                    return files.anyMatch(f -> {
                        try {
                            return Files.readString(f).contains(marker);
                        } catch (IOException e) {
                            return false;
                        }
                    });
                } catch (IOException e) {
                    return false;   // not created yet
                }
            });
        }
    }

    /** The checkpoint spacing a bulk import needs (EmbeddedDatabase.start), also after the watchdog's restart. */
    static void assertWalSettings(int port) throws SQLException {
        assertEquals(8192, queryInt(port, "select setting::int from pg_settings where name = 'max_wal_size'"), "MB");
        assertEquals(900, queryInt(port, "select setting::int from pg_settings where name = 'checkpoint_timeout'"), "s");
        assertEquals(8192, queryInt(port, "select setting::int from pg_settings where name = 'wal_buffers'"), "8kB pages");
    }

    @Test
    void aPostmasterOrphanedByAKilledJvmIsStoppedOnTheNextStart(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("pg");
        int port = freePort();
        // a separate JVM starts the embedded database the way Main does, then dies by kill -9
        String java = ProcessHandle.current().info().command().orElse("java");
        Process jvm = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                StartAndHang.class.getName(), data.toString(), Integer.toString(port))
                .redirectErrorStream(true).start();
        long orphan;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            String ready = null;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("READY ")) {
                    ready = line;
                    break;
                }
            }
            assertTrue(ready != null, "the child JVM started its database");
            orphan = Long.parseLong(ready.substring(6).trim());
            exec(port, "create table kept(v int); insert into kept values (7)");
            jvm.destroyForcibly();
            assertTrue(jvm.waitFor(10, TimeUnit.SECONDS));
        }
        ProcessHandle stale = ProcessHandle.of(orphan).orElseThrow();
        assertTrue(stale.isAlive(), "the postmaster outlives its JVM and still holds postmaster.pid");
        assertEquals(orphan, pidInFile(data));

        try (EmbeddedDatabase db = EmbeddedDatabase.start(data, port, false)) {
            assertFalse(stale.isAlive(), "the stale postmaster was stopped");
            long fresh = db.postmasterPid().orElseThrow();
            assertNotEquals(orphan, fresh);
            assertEquals(fresh, pidInFile(data));
            assertEquals(7, queryInt(port, "select v from kept"));
        } finally {
            if (stale.isAlive()) {
                stale.destroyForcibly();
            }
        }
    }

    @Test
    void aPidFileNamingAnotherProgramIsRemovedAndThatProgramLeftAlone(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("pg");
        EmbeddedDatabase.start(data, 0, false).close(); // a cluster, cleanly stopped
        Process sleeper = new ProcessBuilder("sleep", "300").start();
        try {
            // the pid file of a postmaster that died, whose pid now belongs to another program
            Files.writeString(data.resolve("postmaster.pid"), sleeper.pid() + "\n" + data + "\n0\n5432\n\n\n");
            try (EmbeddedDatabase db = EmbeddedDatabase.start(data, 0, false)) {
                assertTrue(sleeper.isAlive(), "a process that is not our postmaster is never killed");
                assertEquals(db.postmasterPid().orElseThrow(), pidInFile(data));
                assertEquals(1, queryInt(db.port(), "select 1"));
            }
        } finally {
            sleeper.destroyForcibly();
        }
    }

    @Test
    void aForeignProcessIsNeverTakenForOurPostmaster(@TempDir Path dir) throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "300").start();
        try {
            Postmaster p = new Postmaster(dir);
            assertFalse(p.isOurs(sleeper.toHandle()));
            assertFalse(p.isOurs(ProcessHandle.current()));
            Files.writeString(dir.resolve("postmaster.pid"), sleeper.pid() + "\n");
            assertTrue(p.running().isEmpty());
        } finally {
            sleeper.destroyForcibly();
        }
    }

    /** Child JVM: starts the embedded database on a directory and port, prints its postmaster's pid, hangs. */
    public static final class StartAndHang {
        public static void main(String[] args) throws Exception {
            EmbeddedDatabase db = EmbeddedDatabase.start(Path.of(args[0]), Integer.parseInt(args[1]), false);
            System.out.println("READY " + db.postmasterPid().orElseThrow());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    static long pidInFile(Path dataDir) throws IOException {
        List<String> lines = Files.readAllLines(dataDir.resolve("postmaster.pid"));
        return Long.parseLong(lines.get(0).trim());
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + BOUND + ": " + what);
            }
            Thread.sleep(50);
        }
    }

    static int freePort() throws IOException {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static Connection connect(int port) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://localhost:" + port + "/postgres", "postgres", "");
    }

    static void exec(int port, String sql) throws SQLException {
        try (Connection c = connect(port); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static int queryInt(int port, String sql) throws SQLException {
        try (Connection c = connect(port); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertTrue(rs.next());
            return rs.getInt(1);
        }
    }

    static boolean canQuery(int port) {
        try {
            return queryInt(port, "select 1") == 1;
        } catch (SQLException e) {
            return false;
        }
    }
}
