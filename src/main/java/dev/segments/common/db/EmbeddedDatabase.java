package dev.segments.common.db;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The embedded PostgreSQL that serves when no database is configured: a real server from Maven Central
 * binaries (zonky), run as a child process, with its data in a directory that survives restarts.
 *
 * <p>It is started before Quarkus (from {@code Main}, or from the test resource), because the datasource
 * URLs must be known when Quarkus reads its runtime configuration. It publishes itself through the same
 * {@code DB_URL}, {@code DB_USER} and {@code DB_PASSWORD} keys a user would set for an external server, so
 * the rest of the application does not know which kind it talks to.
 *
 * <p>It looks after itself. On start, a postmaster left running on the same data directory by a JVM that died
 * without stopping it (kill -9) is recognised and stopped ({@link Postmaster#clearStale}). While running, a
 * watchdog checks every {@link #WATCH_INTERVAL} that the postmaster is still alive; when it is gone it is started
 * again on the same data directory and port ({@code pg_ctl restart}, which reuses the options of the last start),
 * retrying with a backoff from {@link #BACKOFF_MIN} doubling to {@link #BACKOFF_MAX}. Each loss and restart is
 * logged. Readiness follows by itself: the datasource health checks fail while the server is down and pass once
 * new connections succeed again.
 */
public final class EmbeddedDatabase implements AutoCloseable {

    /** System property set to {@code true} while the embedded server is the database in use. */
    public static final String ACTIVE_PROPERTY = "segments.embedded-db.active";

    /** How often the watchdog checks that the postmaster process is alive. */
    public static final Duration WATCH_INTERVAL = Duration.ofSeconds(1);
    /** First wait between failed restart attempts; doubles up to {@link #BACKOFF_MAX}. */
    public static final Duration BACKOFF_MIN = Duration.ofSeconds(1);
    public static final Duration BACKOFF_MAX = Duration.ofSeconds(30);
    /** The server's shared buffer pool unless configured ({@code EMBEDDED_DB_SHARED_BUFFERS}). */
    public static final String DEFAULT_SHARED_BUFFERS = "256MB";
    /** What {@code shared_buffers} accepts here: a whole number with one of PostgreSQL's memory units. */
    private static final java.util.regex.Pattern MEMORY = java.util.regex.Pattern.compile("[1-9][0-9]{0,9}(kB|MB|GB|TB)");
    /** Where a kept data directory's server writes its log, relative to the data directory (docs/operations.md). */
    public static final String LOG_DIRECTORY = "log";

    /** How long one start, restart or stop of the server may take (crash recovery included). */
    static final Duration PG_CTL_TIMEOUT = Duration.ofSeconds(60);

    private static final Logger LOG = Logger.getLogger(EmbeddedDatabase.class);

    private final EmbeddedPostgres postgres;
    private final Path dataDir;
    private final Postmaster postmaster;
    private final ScheduledExecutorService watchdog;
    private final Duration backoffMin;
    private final Duration backoffMax;

    // watchdog state, touched only by the watchdog thread (and read by tests through the volatile ones)
    private volatile ProcessHandle process;
    private volatile boolean down;
    private volatile int restarts;
    private Instant downSince;
    private Instant nextAttempt;
    private Duration backoff;
    private int attempts;
    private volatile boolean closed;

    private EmbeddedDatabase(EmbeddedPostgres postgres, Path dataDir, Duration watchInterval,
                             Duration backoffMin, Duration backoffMax) {
        this.postgres = postgres;
        this.dataDir = dataDir;
        this.postmaster = new Postmaster(dataDir);
        this.backoffMin = backoffMin;
        this.backoffMax = backoffMax;
        this.process = postmaster.running().orElse(null);
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "embedded-postgres-stop"));
        if (process == null) {
            LOG.warnf("Could not identify the embedded PostgreSQL's postmaster in %s; it will not be watched", dataDir);
            this.watchdog = null;
            return;
        }
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "embedded-postgres-watchdog");
            t.setDaemon(true);
            return t;
        });
        long every = watchInterval.toMillis();
        watchdog.scheduleWithFixedDelay(this::watch, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts a server keeping its data in {@code dataDir}; initialises the directory when it holds no cluster yet.
     *
     * @param port the port to listen on on localhost, or 0 for a free one
     * @param clean whether to wipe the directory first (tests; a throwaway server also skips fsync)
     */
    public static EmbeddedDatabase start(Path dataDir, int port, boolean clean) {
        return start(dataDir, port, clean, DEFAULT_SHARED_BUFFERS);
    }

    /**
     * {@link #start(Path, int, boolean)} with the size of the server's buffer pool ({@code shared_buffers}, e.g.
     * {@code 4GB}): the default suits a demo; a base of a million customers wants its working set (customers, the
     * activity indexes, memberships) in it. Refused before the server starts unless it is a number with a unit.
     */
    public static EmbeddedDatabase start(Path dataDir, int port, boolean clean, String sharedBuffers) {
        return start(dataDir, port, clean, sharedBuffers, WATCH_INTERVAL, BACKOFF_MIN, BACKOFF_MAX);
    }

    /** {@link #start(Path, int, boolean)} with the watchdog's timing given (tests). */
    static EmbeddedDatabase start(Path dataDir, int port, boolean clean, Duration watchInterval,
                                  Duration backoffMin, Duration backoffMax) {
        return start(dataDir, port, clean, DEFAULT_SHARED_BUFFERS, watchInterval, backoffMin, backoffMax);
    }

    private static EmbeddedDatabase start(Path dataDir, int port, boolean clean, String sharedBuffers,
                                          Duration watchInterval, Duration backoffMin, Duration backoffMax) {
        if (!MEMORY.matcher(sharedBuffers).matches()) {
            throw new IllegalArgumentException("EMBEDDED_DB_SHARED_BUFFERS must be a whole number with a unit"
                    + " (kB, MB, GB or TB), e.g. 4GB; got '" + sharedBuffers + "'");
        }
        try {
            Files.createDirectories(dataDir);
            new Postmaster(dataDir).clearStale(PG_CTL_TIMEOUT);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                    // our own hook stops the watchdog first, so that it does not start the server again
                    .setRegisterShutdownHook(false)
                    .setDataDirectory(dataDir.toAbsolutePath())
                    .setCleanDataDirectory(clean)
                    .setServerConfig("max_connections", "100")
                    .setServerConfig("shared_buffers", sharedBuffers)
                    .setServerConfig("work_mem", "64MB")
                    .setServerConfig("timezone", "UTC")
                    // checkpoints by WAL volume: with the default 1 GB a bulk import at 1M customers checkpointed
                    // every half gigabyte, and each checkpoint made the next change of every index page write the
                    // whole page again (full-page images: 97% of the 232 GB of WAL one 1M load wrote, 423 requested
                    // checkpoints, pg_stat_wal and pg_stat_checkpointer). Up to 8 GB of WAL on disk and 15 minutes of
                    // it to replay after a crash instead; the default 8 MB of WAL buffers made the two import lanes
                    // wait on each other (WALBufMapping)
                    .setServerConfig("max_wal_size", "8GB")
                    .setServerConfig("checkpoint_timeout", "15min")
                    .setServerConfig("wal_buffers", "64MB")
                    // per-statement statistics (create extension pg_stat_statements to read them): used by the
                    // tests that prove GraphQL batching and by the benchmarks
                    .setServerConfig("shared_preload_libraries", "pg_stat_statements");
            if (!clean) {
                // zonky's defaults favour throwaway test databases (fsync, synchronous_commit and full_page_writes
                // off); a kept data directory must not lose or corrupt acknowledged writes on a crash
                builder.setServerConfig("fsync", "on")
                        .setServerConfig("synchronous_commit", "on")
                        .setServerConfig("full_page_writes", "on")
                        // the server's own log (errors, checkpoints, autovacuum, auto_explain) in files of its own:
                        // its stderr is the pipe of the pg_ctl that started it, which the JVM closes once pg_ctl has
                        // exited (at the server's next message), so without the collector every server message
                        // after the start but one was lost. One file per weekday in <data>/log, overwritten a week
                        // later: at most seven days of it
                        .setServerConfig("logging_collector", "on")
                        .setServerConfig("log_directory", LOG_DIRECTORY)
                        .setServerConfig("log_filename", "postgresql-%a.log")
                        .setServerConfig("log_truncate_on_rotation", "on")
                        .setServerConfig("log_rotation_age", "1d")
                        .setServerConfig("log_rotation_size", "0");
            }
            if (port > 0) {
                builder.setPort(port);
            }
            return new EmbeddedDatabase(builder.setPGStartupWait(PG_CTL_TIMEOUT).start(), dataDir.toAbsolutePath(),
                    watchInterval, backoffMin, backoffMax);
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

    /** The pid of the postmaster now serving (it changes with each restart); empty while it is down. */
    public Optional<Long> postmasterPid() {
        ProcessHandle p = process;
        return p == null || down ? Optional.empty() : Optional.of(p.pid());
    }

    /** Whether the watchdog has seen the postmaster gone and not yet brought it back. */
    public boolean isDown() {
        return down;
    }

    /** How many times the watchdog has brought the postmaster back. */
    public int restarts() {
        return restarts;
    }

    /** One watchdog round: is the postmaster alive? If not, log it once and try a restart when the backoff allows. */
    private void watch() {
        try {
            if (closed) {
                return;
            }
            ProcessHandle p = process;
            if (!down && p != null && p.isAlive()) {
                return;
            }
            Instant now = Instant.now();
            if (!down) {
                down = true;
                downSince = now;
                nextAttempt = now;
                backoff = backoffMin;
                attempts = 0;
                LOG.errorf("The embedded PostgreSQL (postmaster pid %d, port %d, data in %s) is gone; restarting it",
                        p == null ? -1 : p.pid(), port(), dataDir);
            }
            if (now.isBefore(nextAttempt)) {
                return;
            }
            attempts++;
            Optional<ProcessHandle> back = restart();
            if (back.isPresent()) {
                process = back.get();
                restarts++;
                down = false;
                LOG.warnf("The embedded PostgreSQL is back (postmaster pid %d, port %d) after %d attempt(s), "
                        + "down for %d ms", back.get().pid(), port(), attempts,
                        Duration.between(downSince, Instant.now()).toMillis());
            } else {
                nextAttempt = Instant.now().plus(backoff);
                LOG.errorf("Restart attempt %d of the embedded PostgreSQL failed; next attempt in %d s",
                        attempts, backoff.toSeconds());
                backoff = backoff.multipliedBy(2).compareTo(backoffMax) > 0 ? backoffMax : backoff.multipliedBy(2);
            }
        } catch (RuntimeException e) {
            LOG.error("The embedded PostgreSQL watchdog failed one round", e);
        }
    }

    /** Starts the postmaster again on the same data directory and port; the new process, or empty on failure. */
    private Optional<ProcessHandle> restart() {
        Optional<ProcessHandle> running = postmaster.running();
        if (running.isPresent()) {
            return running; // brought back by someone else (or by a previous attempt that timed out): adopt it
        }
        postmaster.clearStale(PG_CTL_TIMEOUT);
        Optional<Path> pgCtl = postmaster.pgCtlFromOpts();
        if (pgCtl.isEmpty()) {
            LOG.errorf("Cannot restart the embedded PostgreSQL: no pg_ctl found from %s/postmaster.opts", dataDir);
            return Optional.empty();
        }
        if (closed || !postmaster.restart(pgCtl.get(), PG_CTL_TIMEOUT)) {
            return Optional.empty();
        }
        return postmaster.running();
    }

    /** Stops the watchdog, then the server (fast shutdown); idempotent. Also run by a shutdown hook. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (watchdog != null) {
            watchdog.shutdownNow();
            try {
                watchdog.awaitTermination(PG_CTL_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            postgres.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
