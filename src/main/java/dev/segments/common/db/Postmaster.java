package dev.segments.common.db;

import io.zonky.test.db.postgres.util.LinuxUtils;
import org.jboss.logging.Logger;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What a PostgreSQL data directory says about its server, and the few {@code pg_ctl} calls made on it.
 *
 * <p>{@code postmaster.pid} holds the postmaster's pid on its first line; {@code postmaster.opts} holds the
 * command line of the last start (the {@code postgres} binary's absolute path, then each argument quoted), which
 * {@code pg_ctl restart} reuses. A process counts as <em>our</em> postmaster only when it is alive, its executable
 * is named {@code postgres} (or {@code postmaster}) and its {@code -D} argument is this very data directory: no
 * other process is ever signalled.
 */
final class Postmaster {

    private static final Logger LOG = Logger.getLogger(EmbeddedDatabase.class);
    /** The server's own log lines (zonky logs them under its class; the test profile keeps io.zonky at WARN). */
    private static final Logger SERVER_LOG = Logger.getLogger("io.zonky.test.db.postgres.embedded.postgres");

    private final Path dataDir;

    Postmaster(Path dataDir) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
    }

    Path pidFile() {
        return dataDir.resolve("postmaster.pid");
    }

    /** The pid on the first line of {@code postmaster.pid}; empty when there is no (readable) pid file. */
    Optional<Long> pidInFile() {
        try {
            List<String> lines = Files.readAllLines(pidFile(), StandardCharsets.UTF_8);
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).trim()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            // a pid file being written right now, or a torn one: PostgreSQL judges it itself
            return Optional.empty();
        }
    }

    /** The live postmaster serving this data directory according to its pid file; empty when there is none. */
    Optional<ProcessHandle> running() {
        return pidInFile().flatMap(ProcessHandle::of).filter(this::isOurs);
    }

    /** Whether {@code process} is alive and is a postgres server started on this data directory. */
    boolean isOurs(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        ProcessHandle.Info info = process.info();
        Optional<String> command = info.command();
        Optional<String[]> arguments = info.arguments();
        if (command.isEmpty() || arguments.isEmpty() || !isPostgresBinary(command.get())) {
            return false;
        }
        String[] args = arguments.get();
        for (int i = 0; i < args.length; i++) {
            String dir = null;
            if (args[i].equals("-D") && i + 1 < args.length) {
                dir = args[i + 1];
            } else if (args[i].startsWith("-D") && args[i].length() > 2) {
                dir = args[i].substring(2);
            }
            if (dir != null && sameDirectory(Path.of(dir), dataDir)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the process is known to be something other than a postgres server (then its pid in our file is stale). */
    static boolean isKnownNotPostgres(ProcessHandle process) {
        return process.info().command().map(c -> !isPostgresBinary(c)).orElse(false);
    }

    private static boolean isPostgresBinary(String command) {
        Path name = Path.of(command).getFileName();
        String n = name == null ? "" : name.toString();
        return n.equals("postgres") || n.equals("postmaster");
    }

    private static boolean sameDirectory(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    /**
     * Makes the data directory free for a new start. A postmaster of ours still running on it (left behind by a
     * JVM that died without stopping it) is stopped: {@code pg_ctl stop -m fast}, then {@code -m immediate}. A pid
     * file naming a process that is gone is left for PostgreSQL, which removes it itself; one naming a live
     * process that is not a postgres server (its pid was reused) is removed here. A live process we cannot
     * identify is left alone, and PostgreSQL will refuse to start with a message saying so.
     *
     * @return the pid of the stale postmaster that was stopped, if there was one
     */
    Optional<Long> clearStale(Duration timeout) {
        Optional<Long> pid = pidInFile();
        if (pid.isEmpty()) {
            return Optional.empty();
        }
        Optional<ProcessHandle> process = ProcessHandle.of(pid.get()).filter(ProcessHandle::isAlive);
        if (process.isEmpty()) {
            LOG.infof("postmaster.pid in %s names pid %d, which is gone; PostgreSQL removes the stale file itself",
                    dataDir, pid.get());
            return Optional.empty();
        }
        if (isOurs(process.get())) {
            LOG.warnf("A postmaster (pid %d) left behind by an earlier run still serves %s; stopping it",
                    pid.get(), dataDir);
            stop(process.get(), timeout);
            return pid;
        }
        if (isKnownNotPostgres(process.get()) || process.get().pid() == ProcessHandle.current().pid()) {
            LOG.warnf("postmaster.pid in %s names pid %d, now another program (%s); removing the stale pid file",
                    dataDir, pid.get(), process.get().info().command().orElse("?"));
            try {
                Files.deleteIfExists(pidFile());
            } catch (IOException e) {
                LOG.warnf("Could not remove %s: %s", pidFile(), e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** Stops our postmaster: fast shutdown, then immediate, then (no pg_ctl at hand) SIGTERM and SIGKILL. */
    private void stop(ProcessHandle process, Duration timeout) {
        Optional<Path> pgCtl = process.info().command().map(c -> Path.of(c).resolveSibling("pg_ctl"))
                .filter(Files::isExecutable);
        long seconds = Math.max(1, timeout.toSeconds());
        if (pgCtl.isPresent()) {
            for (String mode : List.of("fast", "immediate")) {
                if (pgCtl(pgCtl.get(), timeout.plusSeconds(5), "-D", dataDir.toString(), "-m", mode,
                        "-t", Long.toString(seconds), "-w", "stop") == 0 && awaitExit(process, timeout)) {
                    LOG.infof("Stopped the stale postmaster (pid %d) with %s shutdown", process.pid(), mode);
                    return;
                }
            }
        }
        process.destroy();
        if (!awaitExit(process, timeout) && isOurs(process)) {
            process.destroyForcibly();
            awaitExit(process, timeout);
        }
        LOG.infof("Stopped the stale postmaster (pid %d) by signal", process.pid());
    }

    private static boolean awaitExit(ProcessHandle process, Duration timeout) {
        try {
            process.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return !process.isAlive();
        }
    }

    /** {@code pg_ctl} next to the postgres binary named in {@code postmaster.opts}; empty when unknown. */
    Optional<Path> pgCtlFromOpts() {
        try {
            String line = Files.readString(dataDir.resolve("postmaster.opts"), StandardCharsets.UTF_8).strip();
            int end = line.indexOf(" \"");
            String binary = end < 0 ? line : line.substring(0, end);
            Path pgCtl = Path.of(binary).resolveSibling("pg_ctl");
            return Files.isExecutable(pgCtl) ? Optional.of(pgCtl) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * Starts the server again with the options of its last start ({@code pg_ctl restart} reads them from
     * {@code postmaster.opts}; with no server running it just starts one) and waits until it accepts connections.
     */
    boolean restart(Path pgCtl, Duration timeout) {
        return pgCtl(pgCtl, timeout.plusSeconds(5), "-D", dataDir.toString(), "-w",
                "-t", Long.toString(Math.max(1, timeout.toSeconds())), "restart") == 0;
    }

    /** Runs pg_ctl, forwarding its output (and the output of a server it starts) to the log; returns its exit code. */
    private static int pgCtl(Path pgCtl, Duration timeout, String... args) {
        List<String> command = new ArrayList<>();
        if (LinuxUtils.isUnshareAvailable()) {
            // as zonky does when run as root: PostgreSQL refuses root, a user namespace makes it someone else
            command.addAll(List.of("unshare", "-U"));
        }
        command.add(pgCtl.toString());
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getOutputStream().close();
            Thread forward = new Thread(() -> forward(p), "embedded-postgres-log");
            forward.setDaemon(true);
            forward.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroy();
                return -1;
            }
            return p.exitValue();
        } catch (IOException e) {
            LOG.warnf("Could not run %s: %s", pgCtl, e.getMessage());
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static void forward(Process p) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                SERVER_LOG.info(line);
            }
        } catch (IOException e) {
            // the server closed its end
        }
    }
}
