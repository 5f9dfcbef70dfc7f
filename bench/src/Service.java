import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The service under test as a child process (java -jar target/quarkus-app/quarkus-run.jar), and its PostgreSQL. */
final class Service {

    final int httpPort;
    final int pgPort;
    final Path dataDir;
    final String dbUrl; // null: embedded
    final String adminKey;
    final Path log;
    final List<String> jvmOpts;
    /** Environment set on top of the defaults below at the next {@link #start()} (a phase that needs another setting). */
    final Map<String, String> envOverrides = new LinkedHashMap<>();
    Process process;
    long startMs;

    Service(int httpPort, int pgPort, Path dataDir, String dbUrl, String adminKey, Path log, List<String> jvmOpts) {
        this.httpPort = httpPort;
        this.pgPort = pgPort;
        this.dataDir = dataDir;
        this.dbUrl = dbUrl;
        this.adminKey = adminKey;
        this.log = log;
        this.jvmOpts = jvmOpts;
    }

    /**
     * A private copy of target/quarkus-app with the runner renamed: a rebuild by someone else cannot swap the jar
     * under a running benchmark, and a "pkill -f quarkus-run.jar" aimed at another service does not hit this one.
     */
    static Path app() throws IOException {
        Path dir = Path.of("bench/.work/app").toAbsolutePath();
        Path jar = dir.resolve("segments-bench.jar");
        if (!Files.exists(jar)) {
            Path src = Path.of("target/quarkus-app").toAbsolutePath();
            try (var files = Files.walk(src)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Path to = dir.resolve(src.relativize(f).toString());
                    if (Files.isDirectory(f)) Files.createDirectories(to);
                    else Files.copy(f, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(dir.resolve("quarkus-run.jar"), jar);
        }
        return jar;
    }

    String base() {
        return "http://localhost:" + httpPort;
    }

    /** Starts the process and waits until /q/health/ready answers 200; returns the milliseconds that took. */
    long start() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.addAll(jvmOpts);
        cmd.add("-jar");
        cmd.add(app().toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.put("PORT", String.valueOf(httpPort));
        env.put("ADMIN_KEY", adminKey);
        env.put("DEMO_ENABLED", "false");
        // the time-driven refresh would re-evaluate windowed segments in the background while we measure
        env.put("SEGMENTS_MEMBERSHIP_SCHEDULER_ENABLED", "false");
        // a slow rule at 1M is measured rather than cut off by the 30 s default (a 503 would stop the run)
        env.put("SEGMENTS_QUERY_STATEMENT_TIMEOUT", "10m");
        // the benchmark measures throughput; the per-key rate limit (100/s by default) would cap it
        env.put("SEGMENTS_RATE_LIMIT_ENABLED", "false");
        if (dbUrl != null) {
            env.put("DB_URL", dbUrl);
        } else {
            env.remove("DB_URL");
            env.put("EMBEDDED_DB_DIR", dataDir.toAbsolutePath().toString());
            env.put("EMBEDDED_DB_PORT", String.valueOf(pgPort));
        }
        env.putAll(envOverrides);
        Files.createDirectories(log.getParent());
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        try {
            http.send(HttpRequest.newBuilder(URI.create(base() + "/q/health/live")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.discarding());
            // whatever answers is not the process about to start: its times and memory would be measured instead
            throw new IllegalStateException("port " + httpPort + " already answers: stop that service first");
        } catch (IOException e) {
            // nothing listening: as it should be
        }
        long t0 = System.nanoTime();
        startMs = System.currentTimeMillis();
        process = pb.start();
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the service exited with " + process.exitValue() + "; see " + log);
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + "/q/health/ready"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return (System.nanoTime() - t0) / 1_000_000;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("the service did not become ready; see " + log);
    }

    /** Quarkus's own "started in X.XXXs" from the log (the last one), in ms, or -1. */
    long quarkusStartedInMs() throws IOException {
        Matcher m = Pattern.compile("started in ([0-9.]+)s").matcher(Files.readString(log));
        long v = -1;
        while (m.find()) v = Math.round(Double.parseDouble(m.group(1)) * 1000);
        return v;
    }

    void stop() throws Exception {
        if (process == null || !process.isAlive()) return;
        process.destroy(); // SIGTERM: Quarkus shuts down, its hook stops the embedded PostgreSQL
        if (!process.waitFor(3, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            process.waitFor();
        }
        if (dbUrl == null) {
            // the embedded server stops in a shutdown hook; wait for its pid file to go
            Path pid = dataDir.resolve("postmaster.pid");
            for (int i = 0; i < 600 && Files.exists(pid); i++) Thread.sleep(100);
        }
    }

    /**
     * CPU seconds (user + system) used so far by the JVM and by the embedded PostgreSQL's processes alive now (the
     * postmaster and its children); a process that exited in between takes its share with it, so compare two
     * readings over a window in which the pool's backends stay up.
     */
    Map<String, Double> cpuSeconds() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("jvm", cpuTicks(jvmPid()) / 100.0);
        long pm = postmasterPid();
        double pg = 0;
        if (pm > 0) {
            pg += cpuTicks(pm);
            for (long c : childrenOf(pm)) pg += cpuTicks(c);
        }
        m.put("postgres", pg / 100.0);
        return m;
    }

    /** utime + stime of a process in clock ticks (USER_HZ, 100 on Linux), or 0 if it is gone. */
    static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);   // fields 14 and 15 of proc(5)
        } catch (Exception e) {
            return 0;
        }
    }

    long jvmPid() {
        return process.pid();
    }

    /** The embedded PostgreSQL's postmaster pid (first line of postmaster.pid), or -1. */
    long postmasterPid() {
        try {
            return Long.parseLong(Files.readAllLines(dataDir.resolve("postmaster.pid")).get(0).trim());
        } catch (Exception e) {
            return -1;
        }
    }

    /** Memory now: JVM RSS, and the embedded PostgreSQL's processes (sum of RSS, sum of PSS), in MiB. */
    Map<String, Object> memory() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("jvmRssMiB", kb(status(jvmPid(), "VmRSS")) / 1024.0);
        long pm = postmasterPid();
        if (pm > 0) {
            List<Long> pids = new ArrayList<>();
            pids.add(pm);
            pids.addAll(childrenOf(pm));
            long rss = 0, pss = 0;
            for (long p : pids) {
                rss += kb(status(p, "VmRSS"));
                pss += kb(smapsRollup(p, "Pss"));
            }
            m.put("pgProcesses", pids.size());
            m.put("pgRssSumMiB", Stats.round(rss / 1024.0));
            m.put("pgPssSumMiB", Stats.round(pss / 1024.0));
        }
        m.put("jvmRssMiB", Stats.round((Double) m.get("jvmRssMiB")));
        return m;
    }

    static List<Long> childrenOf(long parent) {
        List<Long> out = new ArrayList<>();
        try (var dirs = Files.list(Path.of("/proc"))) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String name = d.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) continue;
                try {
                    String stat = Files.readString(d.resolve("stat"));
                    String rest = stat.substring(stat.lastIndexOf(')') + 2);
                    long ppid = Long.parseLong(rest.split(" ")[1]);
                    if (ppid == parent) out.add(Long.parseLong(name));
                } catch (Exception e) {
                    // gone
                }
            }
        } catch (IOException e) {
            // no /proc
        }
        return out;
    }

    private static String status(long pid, String key) {
        return field(Path.of("/proc", String.valueOf(pid), "status"), key);
    }

    private static String smapsRollup(long pid, String key) {
        return field(Path.of("/proc", String.valueOf(pid), "smaps_rollup"), key);
    }

    private static String field(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(key + ":")) return line.substring(key.length() + 1).trim();
            }
        } catch (Exception e) {
            // gone
        }
        return "0 kB";
    }

    private static long kb(String v) {
        try {
            return Long.parseLong(v.split("\\s+")[0]);
        } catch (Exception e) {
            return 0;
        }
    }
}
