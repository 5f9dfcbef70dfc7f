import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.postgresql.copy.CopyManager;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The benchmark of issue 6, one size at a time: a fresh service and database, deterministic data loaded through the
 * service's bulk paths (next to a raw COPY of the same rows), 30 segments, then figures 1-5. Results go to
 * bench/results/&lt;size&gt;.json after every phase (a run that stops early keeps what it measured) and
 * docs/benchmarks.md is regenerated from every results file at the end. Run it with bench/run.sh.
 */
public final class Bench {

    static final ObjectMapper M = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final Path RESULTS = Path.of("bench/results");
    static final String COLUMNS = """
            c.id, c.external_id, c.name, c.email, c.phone, c.phones, c.gender, c.birth_date, c.country, c.region,
            c.city, c.price_tier, c.payment_terms, c.lifecycle_stage, c.source, c.channel, c.tags,
            c.attributes::text, c.contacts::text, c.purchase_count, c.total_spend, c.average_order_value,
            c.first_purchase_at, c.last_purchase_at, c.last_interaction_at, c.last_seen_at, c.created_at,
            c.updated_at, c.version""";
    static final int PAGE = 50;
    /** First pages per reference segment before figure 1 is timed (service and expert alike). */
    static final int PAGE_WARMUP = 100;

    // ------------------------------------------------------------------ options

    /**
     * {@code loadOnly}: stop after loading (the data directory and the tenant's key are kept in bench/.work/<size>);
     * {@code reuse}: skip generation and loading, start on that kept directory with the current build and measure;
     * {@code resumeLoad}: finish a {@code --load-only} run that was interrupted while loading through the service
     * (its data directory, export files and partial results kept): the streams not yet recorded are posted again
     * in full, the rows already stored are skipped as duplicates by external id, then it ends as {@code loadOnly}.
     */
    record Options(List<String> sizes, boolean quick, boolean reportOnly, boolean keep, String seed, String anchor,
                   int loadConcurrency, int httpPort, int pgPort, String dbUrl, List<String> jvmOpts,
                   List<String> only, boolean loadOnly, boolean reuse, boolean resumeLoad, Integer fig1Reps,
                   String sharedBuffers) {
        static Options parse(String[] args) {
            List<String> sizes = List.of("10k", "100k", "1m");
            boolean quick = false, reportOnly = false, keep = false, loadOnly = false, reuse = false, resume = false;
            Integer fig1Reps = null;
            String seed = "0.4242", anchor = null, dbUrl = System.getenv("DB_URL"), sharedBuffers = null;
            int conc = 2, http = 0, pg = 0;
            List<String> jvm = new ArrayList<>(), only = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--sizes" -> sizes = List.of(args[++i].split(","));
                    case "--quick" -> quick = true;
                    case "--report-only" -> reportOnly = true;
                    case "--keep" -> keep = true;
                    case "--build" -> { }
                    case "--seed" -> seed = args[++i];
                    case "--anchor" -> anchor = args[++i];
                    case "--load-concurrency" -> conc = Integer.parseInt(args[++i]);
                    case "--port" -> http = Integer.parseInt(args[++i]);
                    case "--pg-port" -> pg = Integer.parseInt(args[++i]);
                    case "--db-url" -> dbUrl = args[++i];
                    case "--service-jvm-opt" -> jvm.add(args[++i]);
                    case "--only" -> only = List.of(args[++i].split(","));
                    case "--load-only" -> loadOnly = true;
                    case "--reuse-data" -> reuse = true;
                    case "--resume-load" -> resume = true;
                    case "--fig1-repetitions" -> fig1Reps = Integer.parseInt(args[++i]);
                    case "--shared-buffers" -> sharedBuffers = args[++i];
                    default -> throw new IllegalArgumentException("unknown option " + args[i]
                            + "; see bench/README.md");
                }
            }
            if (http == 0) http = freePort();
            if (pg == 0) pg = freePort();
            if (loadOnly && reuse) throw new IllegalArgumentException("--load-only and --reuse-data exclude each other");
            if (resume && (loadOnly || reuse)) {
                throw new IllegalArgumentException("--resume-load excludes --load-only and --reuse-data");
            }
            if (sharedBuffers != null && dbUrl != null) {
                throw new IllegalArgumentException("--shared-buffers sets the embedded server's; an external one is configured there");
            }
            if ((reuse || resume) && dbUrl != null) throw new IllegalArgumentException("--reuse-data and --resume-load work with the embedded server only");
            return new Options(sizes, quick, reportOnly, keep, seed, anchor, conc, http, pg, dbUrl, jvm, only,
                    loadOnly || resume, reuse, resume, fig1Reps, sharedBuffers);
        }

        /** A port free on both loopback addresses ("localhost" may resolve to either). */
        static int freePort() {
            for (int attempt = 0; attempt < 50; attempt++) {
                try (java.net.ServerSocket a = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
                    int port = a.getLocalPort();
                    try (java.net.ServerSocket b = new java.net.ServerSocket(port, 1, java.net.InetAddress.getByName("::1"))) {
                        return port;
                    } catch (java.io.IOException e) {
                        // taken on ::1, try another
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            throw new IllegalStateException("no free port");
        }
    }

    static int customers(String size) {
        String s = size.toLowerCase(Locale.ROOT);
        if (s.endsWith("m")) return (int) (Double.parseDouble(s.substring(0, s.length() - 1)) * 1_000_000);
        if (s.endsWith("k")) return (int) (Double.parseDouble(s.substring(0, s.length() - 1)) * 1_000);
        return Integer.parseInt(s);
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        Files.createDirectories(RESULTS);
        if (!o.reportOnly) {
            for (String size : o.sizes) {
                new Bench(o, size).run();
            }
        }
        Report.write(RESULTS, Path.of("docs/benchmarks.md"));
        System.out.println("== wrote docs/benchmarks.md");
    }

    // ------------------------------------------------------------------ state

    final Options o;
    final String size;
    final int n;
    final Path work;
    final Path exportDir;
    final ObjectNode R = M.createObjectNode();
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    final int reps1, reps2, writes3, seconds4, reps4, conns4;
    Service service;
    String key;       // the benchmark tenant's API key
    long tenantId;
    String anchor;    // the dataset's "now" (generator), ISO
    OffsetDateTime evalNow;
    final List<JsonNode> segments = new ArrayList<>();

    Bench(Options o, String size) {
        this.o = o;
        this.size = size.toLowerCase(Locale.ROOT);
        this.n = customers(size);
        this.work = Path.of("bench/.work", this.size).toAbsolutePath();
        this.exportDir = work.resolve("export");
        // 1M: a round of figure 1 takes minutes, so 5 rounds by default there
        reps1 = o.fig1Reps != null ? o.fig1Reps : o.quick || n >= 1_000_000 ? 5 : 11;
        reps2 = o.quick ? 2 : 3;
        writes3 = o.quick ? 100 : 500;
        seconds4 = o.quick ? 10 : 30;
        reps4 = o.quick ? 2 : 3;
        conns4 = 16;
    }

    boolean phase(String name) {
        return o.only.isEmpty() || o.only.contains(name);
    }

    void run() throws Exception {
        log("==== size " + size + " (" + n + " customers)" + (o.quick ? " quick" : "")
                + (o.reuse ? ", on the data kept by --load-only" : "") + (o.loadOnly ? ", load only" : ""));
        Path kept = work.resolve("loaded.json");
        JsonNode prior = null;
        if (o.reuse) {
            if (!Files.exists(kept) || !Files.isDirectory(work.resolve("data"))) {
                throw new IllegalStateException("nothing kept in " + work + ": run with --load-only first");
            }
            prior = M.readTree(kept.toFile());
            R.setAll((ObjectNode) prior.path("results"));   // the loading figures of the run that loaded the data
        }
        Path partial = RESULTS.resolve(size + ".json");
        if (o.resumeLoad) {
            JsonNode before = Files.exists(partial) ? M.readTree(partial.toFile()) : M.missingNode();
            if (!Files.isDirectory(work.resolve("data")) || !Files.isDirectory(exportDir)
                    || before.path("load").path("service").isMissingNode()) {
                throw new IllegalStateException("no interrupted load in " + work + " and " + partial);
            }
            R.setAll((ObjectNode) before);   // the figures measured before the interruption
            R.put("loadResumedAt", Instant.now().toString());
        } else {
            R.put("startedAt", Instant.now().toString());
        }
        R.put("size", size).put("customers", n).put("quick", o.quick).put("seed", o.seed);
        if (prior != null) {
            R.put("loadedBy", prior.path("results").path("machine").path("gitCommit").asText())
                    .put("loadedAt", prior.path("results").path("startedAt").asText());
        }
        if (prior != null && !o.only.isEmpty() && Files.exists(partial)) carryOver(M.readTree(partial.toFile()));
        R.set("machine", machine());
        if (prior == null && !o.resumeLoad) R.set("phases", M.createArrayNode());
        R.set("settings", M.valueToTree(Map.of("fig1Repetitions", reps1, "fig2Repetitions", reps2,
                "fig3Writes", writes3, "fig4Seconds", seconds4, "fig4Repetitions", reps4, "fig4Connections", conns4,
                "activityLoadConcurrency", o.loadConcurrency)));
        anchor = prior != null ? prior.path("anchor").asText() : o.resumeLoad ? R.path("anchor").asText()
                : o.anchor != null ? o.anchor
                : OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.HOURS).toString();
        R.put("anchor", anchor);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (service != null) service.stop();
            } catch (Exception ignored) {
                // exiting anyway
            }
        }));
        boolean fresh = !o.reuse && !o.resumeLoad;   // a new database, loaded by this run
        try {
            if (fresh) {
                if (o.dbUrl == null) deleteTree(work.resolve("data"));
                Files.deleteIfExists(kept); // a reused directory stays reusable: measure again as often as needed
            }
            Files.createDirectories(exportDir);
            Files.deleteIfExists(work.resolve("service.log"));
            service = new Service(o.httpPort, o.pgPort, work.resolve("data"), o.dbUrl,
                    "bench-admin-" + UUID.randomUUID(), work.resolve("service.log"), o.jvmOpts);
            if (o.sharedBuffers != null) service.envOverrides.put("EMBEDDED_DB_SHARED_BUFFERS", o.sharedBuffers);
            timed(fresh ? "start (fresh database)" : "start (kept database)", () -> {
                long ms = service.start();
                if (fresh) {
                    ObjectNode f5 = R.putObject("fig5");
                    f5.put("firstStartMs", ms).put("firstStartQuarkusMs", service.quarkusStartedInMs());
                }
                log("service ready in " + ms + " ms" + (fresh ? " (fresh database: initdb + migrations)" : ""));
            });
            try (Connection db = connect("postgres")) {
                if (o.dbUrl == null) {
                    // make sure we talk to the service's own embedded server and nobody else's
                    String dir = scalar(db, "show data_directory");
                    if (!Path.of(dir).toRealPath().equals(service.dataDir.toRealPath())) {
                        throw new IllegalStateException("port " + o.pgPort + " is served by " + dir + ", not by "
                                + service.dataDir + ": refusing to touch another PostgreSQL");
                    }
                }
                exec(db, "create extension if not exists pg_stat_statements");
                if (o.dbUrl == null) {
                    // planning time per statement too (our own server only): the service plans every execution
                    exec(db, "alter system set pg_stat_statements.track_planning = on");
                    exec(db, "select pg_reload_conf()");
                }
                R.withObjectProperty("machine").put("postgres", scalar(db, "select version()"));
                R.withObjectProperty("machine").set("postgresSettings", settings(db));
                R.withObjectProperty("machine").put("cpuAnchorMs", cpuAnchorMs(db));
            }
            if (prior != null) {
                key = prior.path("key").asText();
                tenantId = prior.path("tenantId").asLong();
                dropSegments();
            } else {
                if (o.resumeLoad) {
                    tenantId = R.path("tenantId").asLong();
                    key = post(service.adminKey, "/admin/tenants/" + tenantId + "/keys", "{\"name\": \"bench (resumed)\"}",
                            201).path("key").asText();
                    timed("load through the service (resumed)", this::loadThroughService);
                    save();
                } else {
                    load();
                }
                if (o.loadOnly) {
                    ObjectNode k = M.createObjectNode().put("key", key).put("tenantId", tenantId).put("anchor", anchor);
                    k.set("results", R);
                    Files.writeString(kept, M.writeValueAsString(k));
                    log("==== size " + size + " loaded; measure with --reuse-data (data kept in " + work + ")");
                    return;
                }
            }
            if (phase("fig3")) timed("figure 3 baseline (0 segments)", () -> figure3("baseline"));
            save();
            timed("create segments", this::createSegments);
            save();
            evalNow = OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS);
            R.put("evaluatedAt", evalNow.toString());
            if (phase("fig1")) timed("figure 1", this::figure1);
            save();
            if (phase("clickhouse")) timed("clickhouse (columnar anchor)", this::clickhouse);
            save();
            if (phase("fig2")) timed("figure 2", this::figure2);
            save();
            if (phase("fig3")) timed("figure 3 (30 segments)", () -> figure3("with30"));
            save();
            if (phase("fig4")) timed("figure 4", this::figure4);
            save();
            if (phase("materialized")) timed("materialized reads (time events on)", this::materialized);
            save();
            if (phase("fig6")) timed("figure 6 (analytics models)", this::figure6);
            save();
            // with the tick on, as deployed: the profile and PDF read the materialization while time events keep up
            if (phase("insight")) timed("insight (time events on)", () -> withTickOn(this::insight));
            save();
            timed("figure 5 (restart)", this::figure5);
            R.put("finishedAt", Instant.now().toString());
            save();
        } finally {
            service.stop();
            if (!o.keep) {
                deleteTree(exportDir);
            }
        }
        log("==== size " + size + " done");
    }

    /** The figures a {@code --reuse-data --only} run does not measure, by phase, and where they are kept in the results. */
    static final Map<String, List<String>> FIGURES = Map.of("fig1", List.of("fig1", "fig1WarmupMs"),
            "clickhouse", List.of("clickhouse"), "fig2", List.of("fig2"), "fig3", List.of("fig3"), "fig4", List.of("fig4"),
            "materialized", List.of("materialized"), "fig6", List.of("fig6"), "insight", List.of("insight"));

    /**
     * A {@code --reuse-data --only} run measures some figures on the kept data; the other figures of the last run of
     * this size (results/<size>.json) are kept, each marked in {@code carriedOver} with the commit and the start of
     * the run that measured it (the report names them), instead of disappearing from docs/benchmarks.md.
     */
    void carryOver(JsonNode last) {
        ObjectNode carried = R.putObject("carriedOver");
        JsonNode before = last.path("carriedOver");
        FIGURES.forEach((phase, fields) -> {
            if (phase(phase) || last.path(fields.get(0)).isMissingNode()) return;
            fields.forEach(f -> {
                if (!last.path(f).isMissingNode()) R.set(f, last.get(f));
            });
            carried.set(phase, before.has(phase) ? before.get(phase) : M.createObjectNode()
                    .put("commit", last.path("machine").path("gitCommit").asText())
                    .put("startedAt", last.path("startedAt").asText()));
        });
        if (carried.isEmpty()) R.remove("carriedOver");
    }

    /** A new tenant, its data generated, exported, COPY'd raw and loaded through the service. */
    void load() throws Exception {
        createTenant();
        save();
        timed("generate source data (SQL)", this::generateSource);
        save();
        timed("export", this::export);
        timed("raw COPY (the limit)", this::rawCopy);
        save();
        timed("load through the service", this::loadThroughService);
        save();
    }

    /** A kept database may hold the segments of an earlier measurement: remove them (references first). */
    void dropSegments() throws Exception {
        for (int round = 0; round < 10; round++) {
            JsonNode list = get(key, "/segments");
            JsonNode items = list.isArray() ? list : list.path("items");
            if (items.isEmpty()) return;
            for (JsonNode s : items) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(service.base() + "/segments/"
                                + s.path("key").asText())).header("Authorization", "Bearer " + key).DELETE().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 204 && r.statusCode() != 409) {
                    throw new IllegalStateException("DELETE segment " + s.path("key").asText() + ": " + r.statusCode());
                }
            }
        }
        throw new IllegalStateException("could not remove the kept tenant's segments");
    }

    // ------------------------------------------------------------------ machine

    ObjectNode machine() throws Exception {
        ObjectNode m = M.createObjectNode();
        m.put("nproc", Runtime.getRuntime().availableProcessors());
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
        m.put("cpu", cpu);
        String mem = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                .findFirst().orElse("?");
        m.put("memTotalGiB", Stats.round(Long.parseLong(mem.replaceAll("\\D", "")) / 1024.0 / 1024.0));
        m.put("kernel", Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim());
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("psql", sh("psql", "--version").trim());
        m.put("node", sh("node", "--version").trim());
        m.put("loadAvgAtStart", loadAvg());
        String commit = sh("git", "rev-parse", "--short", "HEAD").trim();
        m.put("gitCommit", commit);
        return m;
    }

    /**
     * Reads completed on the machine's whole disks so far (/proc/diskstats; partitions and virtual devices left
     * out), -1 when unknown: the difference over a measurement says how much of it went to disk rather than to the
     * page cache (this machine's kernel pages cold cache out, see bench/analysis.md).
     */
    static long diskReads() {
        try {
            long n = 0;
            for (String line : Files.readAllLines(Path.of("/proc/diskstats"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 3 && f[2].matches("(vd|sd|xvd)[a-z]+|nvme\\d+n\\d+")) n += Long.parseLong(f[3]);
            }
            return n;
        } catch (Exception e) {
            return -1;
        }
    }

    /**
     * The machine's speed for one PostgreSQL backend now: the median wall time in ms of five runs of a fixed
     * CPU-bound statement (no table, no I/O; about 100 ms here). Figures of runs on different days are comparable
     * only as far as this anchor is: the same code measured 1.6-2x apart on this (virtual) machine in one day
     * (bench/analysis.md).
     */
    static double cpuAnchorMs(Connection db) throws Exception {
        List<Double> t = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            long t0 = System.nanoTime();
            lng(db, "select count(*) from generate_series(1, 1000000) g where g % 7 = 3");
            if (i > 0) t.add(ms(t0));   // the first run warms the backend
        }
        Collections.sort(t);
        return Stats.round(t.get(t.size() / 2));
    }

    /**
     * Reads the relations the time-event tick and the materialized reads touch into shared buffers (pg_prewarm):
     * the per-customer tables with their indexes, the three streams' heaps and their per-customer indexes.
     * Returns the blocks read.
     */
    static long prewarm(Connection db) throws Exception {
        exec(db, "create extension if not exists pg_prewarm");
        return lng(db, """
                select coalesce(sum(pg_prewarm(c.oid)), 0) from pg_class c
                where c.relnamespace = 'public'::regnamespace
                  and (c.oid in ('customer'::regclass, 'customer_due'::regclass, 'segment_membership'::regclass,
                                 'customer_score'::regclass, 'segment'::regclass, 'segment_state'::regclass,
                                 'purchase'::regclass, 'interaction'::regclass, 'event'::regclass,
                                 'purchase_customer'::regclass, 'interaction_customer'::regclass, 'event_customer'::regclass)
                       or c.oid in (select indexrelid from pg_index where indrelid in ('customer'::regclass,
                           'customer_due'::regclass, 'segment_membership'::regclass, 'customer_score'::regclass)))""");
    }

    /** The machine's CPU time so far (/proc/stat's first line), in clock ticks: {all, steal}; null when unknown. */
    static long[] machineTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long all = 0;
            for (int i = 1; i <= 8 && i < f.length; i++) all += Long.parseLong(f[i]);   // user .. steal
            return new long[] {all, f.length > 8 ? Long.parseLong(f[8]) : 0};
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * The share of the interval's CPU time the hypervisor gave to others (steal), in percent, -1 when unknown: a
     * virtual machine's figures move with its neighbours.
     */
    static double stealPercent(long[] before, long[] after) {
        if (before == null || after == null || after[0] <= before[0]) return -1;
        return Stats.round(100.0 * (after[1] - before[1]) / (after[0] - before[0]));
    }

    static String loadAvg() {
        try {
            String[] p = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return p[0] + " " + p[1] + " " + p[2];
        } catch (Exception e) {
            return "?";
        }
    }

    ObjectNode settings(Connection db) throws Exception {
        ObjectNode s = M.createObjectNode();
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(
                "select name, setting, unit from pg_settings where name in ('shared_buffers', 'work_mem', 'jit',"
                        + " 'max_parallel_workers_per_gather', 'effective_cache_size', 'random_page_cost', 'fsync',"
                        + " 'synchronous_commit', 'max_wal_size', 'checkpoint_timeout') order by name")) {
            while (rs.next()) s.put(rs.getString(1), rs.getString(2) + (rs.getString(3) == null ? "" : " " + rs.getString(3)));
        }
        return s;
    }

    // ------------------------------------------------------------------ tenant and data

    void createTenant() throws Exception {
        JsonNode t = post(service.adminKey, "/admin/tenants", "{\"name\": \"bench " + size + "\"}", 201);
        key = t.path("apiKey").path("key").asText();
        tenantId = t.path("tenant").path("id").asLong();
        R.put("tenantId", tenantId);
        String[][] attrs = {
                {"customer", "plan", "string"}, {"customer", "score", "number"}, {"customer", "seats", "integer"},
                {"customer", "optIn", "boolean"}, {"customer", "renewal", "date"},
                {"customer", "interests", "stringList"}, {"customer", "loyaltyPoints", "integer"},
                {"purchase", "discount", "number"}, {"interaction", "durationMin", "integer"}};
        for (String[] a : attrs) {
            post(key, "/attributes", "{\"entity\": \"" + a[0] + "\", \"key\": \"" + a[1] + "\", \"type\": \"" + a[2]
                    + "\"}", 201);
        }
        log("tenant " + tenantId + " created with its attribute catalog");
    }

    /** bench_src: the schema (the Flyway migration files) and bench/generate-data.sql for tenant 1. */
    void generateSource() throws Exception {
        try (Connection db = connect("postgres")) {
            exec(db, "drop database if exists bench_src with (force)");
            exec(db, "create database bench_src");
        }
        try (Stream<Path> files = Files.list(Path.of("src/main/resources/db/migration"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".sql")).sorted(
                    Comparator.comparingInt(p -> Integer.parseInt(p.getFileName().toString().replaceAll("^V(\\d+)__.*", "$1")))).toList()) {
                psql("bench_src", List.of("-q", "-f", f.toString()), work.resolve("migrate-src.log"));
            }
        }
        String anchorSql = "'" + OffsetDateTime.parse(anchor).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ssxxx")) + "'";
        Path out = work.resolve("generate.log");
        long t0 = System.nanoTime();
        psql("bench_src", List.of("-v", "tenant_id=1", "-v", "customers=" + n, "-v", "seed=" + o.seed,
                "-v", "anchor=" + anchorSql, "-f", "bench/generate-data.sql"), out);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        ObjectNode g = R.withObjectProperty("load").putObject("generation");
        g.put("totalMs", ms);
        // psql echoes each command tag and its \timing; pick the inserts in script order
        String text = Files.readString(out);
        Matcher m = Pattern.compile("(INSERT 0|UPDATE) (\\d+)\\s*\\nTime: ([0-9.,]+) ms").matcher(text);
        String[] names = {"customers", "purchases", "interactions", "events (signups)", "events (others)", "rollups"};
        ArrayNode steps = g.putArray("steps");
        int i = 0;
        while (m.find()) {
            long rows = Long.parseLong(m.group(2));
            if (rows < 1000 && i == 0) continue; // attribute catalog
            double t = Double.parseDouble(m.group(3).replace(",", ""));
            steps.addObject().put("step", i < names.length ? names[i] : "step " + i).put("rows", rows)
                    .put("ms", Stats.round(t)).put("rowsPerSec", Math.round(rows / (t / 1000.0)));
            i++;
        }
        try (Connection src = connect("bench_src")) {
            ObjectNode c = g.putObject("rows");
            c.put("customers", lng(src, "select count(*) from customer where tenant_id = 1"));
            c.put("purchases", lng(src, "select count(*) from purchase where tenant_id = 1"));
            c.put("interactions", lng(src, "select count(*) from interaction where tenant_id = 1"));
            c.put("events", lng(src, "select count(*) from event where tenant_id = 1"));
            g.put("dataset", describeDataset(src));
        }
        log("generated in " + ms + " ms: " + g.get("rows"));
    }

    String describeDataset(Connection src) throws Exception {
        return scalar(src, """
                select format('purchases per customer: mean %s, median %s, p99 %s, max %s, none %s%%; interactions: mean %s; events: mean %s',
                    round(avg(purchase_count), 2), percentile_cont(0.5) within group (order by purchase_count),
                    percentile_cont(0.99) within group (order by purchase_count), max(purchase_count),
                    round(100.0 * count(*) filter (where purchase_count = 0) / count(*), 1),
                    round((select count(*) from interaction where tenant_id = 1)::numeric / count(*), 2),
                    round((select count(*) from event where tenant_id = 1)::numeric / count(*), 2))
                from customer where tenant_id = 1""");
    }

    static final String CUSTOMER_COLS = "external_id, name, email, phone, gender, birth_date, country, region, city,"
            + " price_tier, payment_terms, lifecycle_stage, source, channel, tags, attributes";
    static final String PURCHASE_COLS = "occurred_at, amount, currency, product, category, quantity, channel, attributes";
    static final String INTERACTION_COLS = "occurred_at, type, channel, outcome, reason, attributes";
    static final String EVENT_COLS = "occurred_at, name, properties";

    /** COPY options that write each JSON document verbatim (text format would double its backslashes). */
    static final String RAW = " (format csv, quote e'\\x01', delimiter e'\\x02')";

    /** The same rows, twice: NDJSON for the service's endpoints and CSV for the raw COPY. */
    void export() throws Exception {
        try (Connection src = connect("bench_src")) {
            copyOut(src, """
                    copy (select json_strip_nulls(json_build_object('externalId', external_id, 'name', name, 'email', email,
                        'phone', phone, 'gender', gender, 'birthDate', birth_date, 'country', country, 'region', region,
                        'city', city, 'priceTier', price_tier, 'paymentTerms', payment_terms,
                        'lifecycleStage', lifecycle_stage, 'source', source, 'channel', channel, 'tags', tags,
                        'attributes', attributes))
                    from customer where tenant_id = 1 order by id) to stdout""" + RAW, exportDir.resolve("customers.ndjson"));
            copyOut(src, """
                    copy (select json_strip_nulls(json_build_object('customerExternalId', c.external_id,
                        'externalId', 'p-' || p.id, 'occurredAt', p.occurred_at, 'amount', p.amount, 'currency', p.currency, 'product', p.product,
                        'category', p.category, 'quantity', p.quantity, 'channel', p.channel, 'attributes', p.attributes))
                    from purchase p join customer c on c.id = p.customer_id where p.tenant_id = 1 order by p.id) to stdout""" + RAW,
                    exportDir.resolve("purchases.ndjson"));
            copyOut(src, """
                    copy (select json_strip_nulls(json_build_object('customerExternalId', c.external_id,
                        'externalId', 'i-' || i.id, 'occurredAt', i.occurred_at, 'type', i.type, 'channel', i.channel, 'outcome', i.outcome,
                        'reason', i.reason, 'attributes', i.attributes))
                    from interaction i join customer c on c.id = i.customer_id where i.tenant_id = 1 order by i.id) to stdout""" + RAW,
                    exportDir.resolve("interactions.ndjson"));
            copyOut(src, """
                    copy (select json_strip_nulls(json_build_object('customerExternalId', c.external_id,
                        'externalId', 'e-' || e.id, 'occurredAt', e.occurred_at, 'name', e.name, 'properties', e.properties))
                    from event e join customer c on c.id = e.customer_id where e.tenant_id = 1 order by e.id) to stdout""" + RAW,
                    exportDir.resolve("events.ndjson"));
            copyOut(src, "copy (select 2, " + CUSTOMER_COLS + " from customer where tenant_id = 1 order by id)"
                    + " to stdout (format csv)", exportDir.resolve("customers.csv"));
            copyOut(src, "copy (select 2, customer_id, 'p-' || id, " + PURCHASE_COLS + " from purchase where tenant_id = 1 order by id)"
                    + " to stdout (format csv)", exportDir.resolve("purchases.csv"));
            copyOut(src, "copy (select 2, customer_id, 'i-' || id, " + INTERACTION_COLS + " from interaction where tenant_id = 1"
                    + " order by id) to stdout (format csv)", exportDir.resolve("interactions.csv"));
            copyOut(src, "copy (select 2, customer_id, 'e-' || id, " + EVENT_COLS + " from event where tenant_id = 1 order by id)"
                    + " to stdout (format csv)", exportDir.resolve("events.csv"));
        }
    }

    /**
     * The limit: COPY of the same rows (CSV, streamed from this client like the HTTP bodies) into scratch tables with
     * the same columns, defaults and indexes ({@code like ... including all}; foreign keys are not copied).
     */
    void rawCopy() throws Exception {
        ObjectNode c = R.withObjectProperty("load").putObject("rawCopy");
        try (Connection src = connect("bench_src")) {
            String[][] tables = {
                    {"customer", "tenant_id, " + CUSTOMER_COLS, "customers.csv", "customers"},
                    {"purchase", "tenant_id, customer_id, external_id, " + PURCHASE_COLS, "purchases.csv", "purchases"},
                    {"interaction", "tenant_id, customer_id, external_id, " + INTERACTION_COLS, "interactions.csv", "interactions"},
                    {"event", "tenant_id, customer_id, external_id, " + EVENT_COLS, "events.csv", "events"}};
            for (String[] t : tables) {
                exec(src, "drop table if exists copy_" + t[0]);
                exec(src, "create table copy_" + t[0] + " (like " + t[0] + " including all)");
                long t0 = System.nanoTime();
                long rows;
                try (InputStream in = Files.newInputStream(exportDir.resolve(t[2]))) {
                    rows = new CopyManager(src.unwrap(org.postgresql.core.BaseConnection.class)).copyIn("copy copy_" + t[0] + " (" + t[1] + ") from stdin (format csv)", in);
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                c.putObject(t[3]).put("rows", rows).put("ms", ms).put("rowsPerSec", rate(rows, ms));
                log("raw COPY " + t[3] + ": " + rows + " rows in " + ms + " ms");
                exec(src, "drop table copy_" + t[0]);
            }
        }
        importFloor();
    }

    /**
     * The floor of the service's activity import (issue 18): only the part of a chunk that its guarantees require of
     * the stream table, on the same rows, in the same 50k-row chunks and transactions as the service. Per chunk: COPY
     * into a temporary staging table, then {@code insert ... on conflict (tenant_id, external_id) do nothing} into a
     * scratch copy of the stream table with its indexes and the customer foreign key (the dedup and the integrity
     * every import needs), then, timed apart, the rollups of the touched customers added to a scratch copy of the
     * customer table (wide row, its indexes), as ActivityImportRepository.addRollups does. No parsing, validation,
     * resolution of external ids, locking, journal or membership: what the service adds to these is the rest.
     */
    void importFloor() throws Exception {
        ObjectNode f = R.withObjectProperty("load").putObject("importFloor");
        int chunkRows = 50_000;
        String[][] streams = {
                {"purchase", PURCHASE_COLS, "purchases.csv", "purchases", "amount numeric, currency text, product text,"
                        + " category text, quantity integer, channel text, attributes jsonb"},
                {"interaction", INTERACTION_COLS, "interactions.csv", "interactions", "type text, channel text,"
                        + " outcome text, reason text, attributes jsonb"},
                {"event", EVENT_COLS, "events.csv", "events", "name text, properties jsonb"}};
        try (Connection src = connect("bench_src")) {
            exec(src, "drop table if exists floor_purchase, floor_interaction, floor_event, floor_customer");
            exec(src, "create table floor_customer (like customer including all)");
            String cols = scalar(src, "select string_agg(column_name, ', ' order by ordinal_position)"
                    + " from information_schema.columns where table_schema = current_schema() and table_name = 'customer'"
                    + " and is_generated = 'NEVER'");
            exec(src, "insert into floor_customer (" + cols + ") overriding system value select " + cols + " from customer");
            exec(src, "vacuum analyze floor_customer");
            for (String[] t : streams) {
                exec(src, "create table floor_" + t[0] + " (like " + t[0] + " including all)");
                exec(src, "alter table floor_" + t[0] + " add foreign key (tenant_id, customer_id)"
                        + " references floor_customer (tenant_id, id)");
                exec(src, "create temp table if not exists floor_delta (customer_id bigint primary key, n bigint not null,"
                        + " total numeric not null, first_at timestamptz not null, last_at timestamptz not null)"
                        + " on commit delete rows");
                exec(src, "drop table if exists floor_stage");
                exec(src, "create temp table floor_stage (line bigserial, tenant_id bigint, customer_id bigint,"
                        + " external_id text, occurred_at timestamptz, " + t[4] + ") on commit delete rows");
                boolean purchase = t[0].equals("purchase");
                String insert = "with ins as (insert into floor_" + t[0] + " (tenant_id, customer_id, external_id, "
                        + t[1] + ") select 1, customer_id, external_id, " + t[1].replace("attributes", "coalesce(attributes, '{}')")
                        .replace("properties", "coalesce(properties, '{}')") + " from floor_stage order by line"
                        + " on conflict (tenant_id, external_id) do nothing returning customer_id, occurred_at"
                        + (purchase ? ", amount" : "") + ") insert into floor_delta select customer_id, count(*), "
                        + (purchase ? "sum(amount)" : "0") + ", min(occurred_at), max(occurred_at) from ins group by customer_id";
                String rollups = "update floor_customer c set " + switch (t[0]) {
                    case "purchase" -> "purchase_count = c.purchase_count + d.n, total_spend = c.total_spend + d.total,"
                            + " first_purchase_at = least(c.first_purchase_at, d.first_at),"
                            + " last_purchase_at = greatest(c.last_purchase_at, d.last_at),";
                    case "interaction" -> "last_interaction_at = greatest(c.last_interaction_at, d.last_at),"
                            + " first_touch_at = least(c.first_touch_at, d.first_at),";
                    default -> "first_touch_at = least(c.first_touch_at, d.first_at),";
                } + " last_seen_at = greatest(c.last_seen_at, d.last_at), activity_computed_at = now()"
                        + " from floor_delta d where c.tenant_id = 1 and c.id = d.customer_id";
                src.setAutoCommit(false);
                exec(src, "set random_page_cost = 1.1"); // as the service's chunks (PreparedStatements)
                CopyManager copy = new CopyManager(src.unwrap(org.postgresql.core.BaseConnection.class));
                long rows = 0, insertNs = 0, rollupNs = 0;
                try (BufferedReader in = Files.newBufferedReader(exportDir.resolve(t[2]))) {
                    StringBuilder chunk = new StringBuilder();
                    int n = 0;
                    for (String line = in.readLine(); ; line = in.readLine()) {
                        if (line != null) {
                            chunk.append(line).append('\n');
                            n++;
                        }
                        if (n == chunkRows || (line == null && n > 0)) {
                            long t0 = System.nanoTime();
                            copy.copyIn("copy floor_stage (tenant_id, customer_id, external_id, " + t[1]
                                    + ") from stdin (format csv)", new java.io.StringReader(chunk.toString()));
                            exec(src, insert);
                            long t1 = System.nanoTime();
                            exec(src, rollups);
                            src.commit();
                            insertNs += t1 - t0;
                            rollupNs += System.nanoTime() - t1;
                            rows += n;
                            chunk.setLength(0);
                            n = 0;
                        }
                        if (line == null) break;
                    }
                }
                exec(src, "reset random_page_cost");
                src.commit();
                src.setAutoCommit(true);
                long insertMs = insertNs / 1_000_000, allMs = (insertNs + rollupNs) / 1_000_000;
                f.putObject(t[3]).put("rows", rows).put("insertMs", insertMs).put("insertRowsPerSec", rate(rows, insertMs))
                        .put("withRollupsMs", allMs).put("withRollupsRowsPerSec", rate(rows, allMs));
                log("import floor " + t[3] + ": " + rows + " rows, insert " + insertMs + " ms, with rollups " + allMs + " ms");
            }
            exec(src, "drop table floor_purchase, floor_interaction, floor_event, floor_customer");
        }
    }

    void loadThroughService() throws Exception {
        // what an interrupted run recorded is kept (--resume-load); a fresh run starts with nothing recorded
        ObjectNode s = R.withObjectProperty("load").withObjectProperty("service");
        if (!s.has("customers")) importCustomers(s);
        // activity: one streamed NDJSON body per stream to its bulk import (COPY staging, set-based chunks)
        for (String stream : List.of("purchases", "interactions", "events")) {
            if (s.has(stream)) continue;
            importActivity(s, stream);
            save();
        }
        vacuumAndVerify(s);
    }

    /** Customers: one streamed NDJSON body to the bulk import. */
    void importCustomers(ObjectNode s) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(service.base() + "/customers/import"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/x-ndjson")
                .timeout(Duration.ofHours(3))
                .POST(HttpRequest.BodyPublishers.ofFile(exportDir.resolve("customers.ndjson"))).build(),
                HttpResponse.BodyHandlers.ofString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (r.statusCode() != 200) throw new IllegalStateException("import: " + r.statusCode() + " " + r.body());
        JsonNode report = M.readTree(r.body());
        long created = report.path("created").asLong();
        if (report.path("failed").asLong() > 0) throw new IllegalStateException("import failures: " + r.body());
        s.putObject("customers").put("path", "POST /customers/import (NDJSON, one streamed request)")
                .put("rows", created).put("ms", ms).put("rowsPerSec", rate(created, ms));
        log("import: " + created + " customers in " + ms + " ms");
    }

    /**
     * An activity stream: one streamed NDJSON body to {@code POST /{stream}/import}. A resumed load posts the whole
     * file again: the rows stored before are skipped as duplicates (by externalId), and what counts is stored +
     * duplicates over the request's time.
     */
    void importActivity(ObjectNode s, String stream) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(service.base() + "/" + stream + "/import"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/x-ndjson")
                .timeout(Duration.ofHours(3))
                .POST(HttpRequest.BodyPublishers.ofFile(exportDir.resolve(stream + ".ndjson"))).build(),
                HttpResponse.BodyHandlers.ofString());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (r.statusCode() != 200) throw new IllegalStateException(stream + " import: " + r.statusCode() + " " + r.body());
        JsonNode report = M.readTree(r.body());
        if (report.path("failed").asLong() > 0) throw new IllegalStateException(stream + " import failures: " + r.body());
        long rows = report.path("stored").asLong() + report.path("duplicates").asLong();
        s.putObject(stream).put("path", "POST /" + stream + "/import (NDJSON, one streamed request)")
                .put("rows", rows).put("stored", report.path("stored").asLong())
                .put("duplicates", report.path("duplicates").asLong()).put("ms", ms).put("rowsPerSec", rate(rows, ms))
                .put("resumed", o.resumeLoad);
        log(stream + ": " + rows + " rows in " + ms + " ms (" + report.path("duplicates").asLong() + " duplicates)");
    }

    void vacuumAndVerify(ObjectNode s) throws Exception {
        try (Connection db = connect("postgres")) {
            long v0 = System.nanoTime();
            exec(db, "vacuum analyze customer, purchase, interaction, event");
            s.put("vacuumAnalyzeMs", (System.nanoTime() - v0) / 1_000_000);
            s.put("databaseSize", scalar(db, "select pg_size_pretty(pg_database_size(current_database()))"));
            try (Connection src = connect("bench_src")) {
                s.set("verify", verify(src, db));
            }
        }
    }

    /** The service tenant holds exactly the source rows: counts, sums and rollups agree. */
    ObjectNode verify(Connection src, Connection db) throws Exception {
        String q = """
                select (select count(*) from customer where tenant_id = %1$d)
                    || '/' || (select count(*) from purchase where tenant_id = %1$d)
                    || '/' || (select coalesce(sum(amount), 0) from purchase where tenant_id = %1$d)
                    || '/' || (select count(*) from interaction where tenant_id = %1$d)
                    || '/' || (select count(*) from event where tenant_id = %1$d)
                    || '/' || (select sum(purchase_count) || ':' || sum(total_spend) || ':' || count(last_seen_at)
                                      || ':' || count(last_interaction_at) from customer where tenant_id = %1$d)""";
        String a = scalar(src, q.formatted(1));
        String b = scalar(db, q.formatted(tenantId));
        ObjectNode v = M.createObjectNode();
        v.put("source", a).put("service", b).put("equal", a.equals(b));
        log("verify (customers/purchases/amount/interactions/events/rollups): source " + a + " service " + b);
        if (!a.equals(b)) log("WARNING: the service's data differs from the source");
        return v;
    }

    // ------------------------------------------------------------------ segments

    void createSegments() throws Exception {
        JsonNode all = M.readTree(Path.of("bench/reference-segments.json").toFile()).path("segments");
        ArrayNode created = R.withObjectProperty("segments").putArray("created");
        for (JsonNode s : all) {
            ObjectNode body = M.createObjectNode();
            body.put("key", s.path("key").asText()).put("name", s.path("name").asText()).set("rule", s.path("rule"));
            long t0 = System.nanoTime();
            post(key, "/segments", M.writeValueAsString(body), 201);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            JsonNode fr = get(key, "/segments/" + s.path("key").asText() + "/freshness");
            created.addObject().put("key", s.path("key").asText()).put("reference", s.path("reference").asBoolean())
                    .put("createMs", ms).put("evaluationMs", fr.path("evaluationMs").asLong())
                    .put("members", fr.path("memberCount").asLong());
            segments.add(s);
            log("segment " + s.path("key").asText() + ": " + fr.path("memberCount").asLong() + " members, created in "
                    + ms + " ms");
        }
        R.withObjectProperty("segments").put("count", segments.size());
    }

    List<JsonNode> referenceSegments() {
        return segments.stream().filter(s -> s.path("reference").asBoolean()).toList();
    }

    // ------------------------------------------------------------------ figure 1

    /** Count and first page of every reference segment: the service's endpoints and SQL next to the expert SQL. */
    void figure1() throws Exception {
        ArrayNode out = R.putArray("fig1");
        Path plans = RESULTS.resolve("plans-" + size);
        Files.createDirectories(plans);
        String nowLit = "'" + evalNow + "'::timestamptz";
        String todayLit = "'" + evalNow.toLocalDate() + "'::date";
        String asOf = java.net.URLEncoder.encode(evalNow.toString(), StandardCharsets.UTF_8);
        try (Connection db = connect("postgres")) {
            // Warm-up: a service that has been running has its request path compiled by the JIT; one freshly
            // started has served only a few hundred requests here. Every reference segment's first page, over HTTP
            // and as expert SQL over JDBC (the client's side warms alike), PAGE_WARMUP times, before any timing.
            // Counts are not repeated: at 1M each takes seconds, and their fixed cost is small next to that.
            Map<String, Map<String, String>> experts = new LinkedHashMap<>();
            for (JsonNode seg : referenceSegments()) {
                String k = seg.path("key").asText();
                experts.put(k, expertSql(k, tenantId, nowLit, todayLit));
            }
            Function<String, String> pagePath = k -> "/segments/" + k + "/members?limit=" + PAGE + "&asOf=" + asOf;
            long w0 = System.nanoTime();
            for (int i = 0; i < PAGE_WARMUP; i++) {
                for (Map.Entry<String, Map<String, String>> e : experts.entrySet()) {
                    get(key, pagePath.apply(e.getKey()));
                    ids(db, e.getValue().get("page"));
                }
            }
            long warmupMs = (System.nanoTime() - w0) / 1_000_000;
            R.put("fig1WarmupMs", warmupMs);
            log("fig1 warm-up: " + PAGE_WARMUP + " first pages per reference segment in " + warmupMs + " ms");
            for (JsonNode seg : referenceSegments()) {
                String k = seg.path("key").asText();
                Map<String, String> expert = experts.get(k);
                String expertCount = "/* expert count " + k + " */ " + expert.get("count");
                String expertPage = "/* expert page " + k + " */ " + expert.get("page");
                JsonNode preview = post(key, "/segments/preview?explain=true", "{\"rule\": {\"segment\": \"" + k
                        + "\"}, \"asOf\": \"" + evalNow + "\", \"sampleSize\": 0}", 200);
                String serviceSql = "/* service-sql count " + k + " */ " + inline(preview.path("sql").asText(),
                        preview.path("params"));
                ObjectNode row = out.addObject();
                row.put("key", k).set("features", seg.path("features"));
                row.set("rule", seg.path("rule"));
                List<Double> hc = new ArrayList<>(), hp = new ArrayList<>(), ec = new ArrayList<>(),
                        ep = new ArrayList<>(), sc = new ArrayList<>();
                long[] counts = new long[3];
                List<List<Long>> pages = new ArrayList<>();
                // one warm-up round, then the measured rounds (round robin, so drift hits all alike)
                for (int r = -1; r < reps1; r++) {
                    if (r == 0) exec(db, "select pg_stat_statements_reset()");
                    long t0 = System.nanoTime();
                    JsonNode cnt = get(key, "/segments/" + k + "/count?asOf=" + asOf);
                    double a = ms(t0);
                    t0 = System.nanoTime();
                    JsonNode page = get(key, pagePath.apply(k));
                    double b = ms(t0);
                    t0 = System.nanoTime();
                    long ecount = lng(db, expertCount);
                    double c = ms(t0);
                    t0 = System.nanoTime();
                    List<Long> epage = ids(db, expertPage);
                    double d = ms(t0);
                    t0 = System.nanoTime();
                    long scount = lng(db, serviceSql);
                    double e = ms(t0);
                    if (r >= 0) {
                        hc.add(a); hp.add(b); ec.add(c); ep.add(d); sc.add(e);
                    } else {
                        counts[0] = cnt.path("count").asLong();
                        counts[1] = ecount;
                        counts[2] = scount;
                        List<Long> sp = new ArrayList<>();
                        page.path("items").forEach(i -> sp.add(i.path("id").asLong()));
                        pages.add(sp);
                        pages.add(epage);
                    }
                }
                ObjectNode pg = row.putObject("pgStatStatements");
                pgss(db, pg);
                row.put("count", counts[0]).put("expertCount", counts[1]).put("serviceSqlCount", counts[2]);
                boolean countOk = counts[0] == counts[1] && counts[1] == counts[2];
                boolean pageOk = pages.get(0).equals(pages.get(1));
                row.put("countsMatch", countOk).put("pagesMatch", pageOk).put("pageRows", pages.get(0).size());
                row.set("serviceCountHttp", M.valueToTree(Stats.summary(hc, false)));
                row.set("servicePageHttp", M.valueToTree(Stats.summary(hp, false)));
                row.set("expertCount", M.valueToTree(Stats.summary(ec, false)));
                row.set("expertPage", M.valueToTree(Stats.summary(ep, false)));
                row.set("serviceCountSql", M.valueToTree(Stats.summary(sc, false)));
                row.put("countRatio", Stats.round(Stats.median(hc) / Stats.median(ec)));
                row.put("pageRatio", Stats.round(Stats.median(hp) / Stats.median(ep)));
                row.put("countSqlRatio", Stats.round(Stats.median(sc) / Stats.median(ec)));
                ObjectNode raw = row.putObject("raw");
                raw.set("serviceCountHttp", M.valueToTree(round(hc)));
                raw.set("servicePageHttp", M.valueToTree(round(hp)));
                raw.set("expertCount", M.valueToTree(round(ec)));
                raw.set("expertPage", M.valueToTree(round(ep)));
                raw.set("serviceCountSql", M.valueToTree(round(sc)));
                log(String.format(Locale.ROOT, "fig1 %-28s count %8d %s | count http %8.1f expert %8.1f svc-sql %8.1f"
                                + " (x%.2f) | page http %7.1f expert %7.1f (x%.2f)", k, counts[0],
                        countOk && pageOk ? "ok" : "MISMATCH " + counts[0] + "/" + counts[1] + "/" + counts[2] + " pages " + pageOk,
                        Stats.median(hc), Stats.median(ec), Stats.median(sc), Stats.median(hc) / Stats.median(ec),
                        Stats.median(hp), Stats.median(ep), Stats.median(hp) / Stats.median(ep)));
                // plans, for the record (one more execution each)
                StringBuilder pl = new StringBuilder();
                pl.append("-- ").append(k).append(" at ").append(size).append(", now = ").append(evalNow).append("\n\n");
                pl.append("-- service count SQL (from POST /segments/preview?explain=true, parameters inlined)\n")
                        .append(serviceSql).append("\n\n").append(explain(db, serviceSql)).append("\n\n");
                pl.append("-- expert count SQL\n").append(expertCount).append("\n\n").append(explain(db, expertCount)).append("\n\n");
                pl.append("-- expert page SQL\n").append(expertPage).append("\n\n").append(explain(db, expertPage)).append("\n");
                Files.writeString(plans.resolve(k + ".txt"), pl.toString());
                save();
            }
        }
    }

    // ------------------------------------------------------------------ clickhouse (issue 17)

    /** ClickHouse text for a PostgreSQL text[] expression: ['a','b'] (backslash and quote escaped). */
    static String chArray(String expr) {
        return "'[' || array_to_string(array(select '''' || replace(replace(v, '\\', '\\\\'), '''', '\\''') || ''''"
                + " from unnest(" + expr + ") v), ',') || ']'";
    }

    /** Microseconds since the epoch (exact: extract returns numeric). */
    static String micros(String expr) {
        return "(extract(epoch from " + expr + ") * 1000000)::bigint";
    }

    static final String CH_CSV = " to stdout (format csv, null '\\N')";

    /**
     * The columnar anchor: a private clickhouse-server on loopback, loaded from bench_src (the rows the service got:
     * tenant 1 there) with COPY ... TO STDOUT piped into clickhouse-client, then the reference segments' counts of
     * bench/clickhouse/&lt;key&gt;.sql next to the expert SQL on bench_src, same now, round robin, counts checked equal.
     */
    void clickhouse() throws Exception {
        ObjectNode out = R.putObject("clickhouse");
        if (ClickHouse.server() == null || ClickHouse.client() == null) {
            String why = "clickhouse-server/clickhouse-client not found (apt-get install clickhouse-server clickhouse-client;"
                    + " or CLICKHOUSE_SERVER/CLICKHOUSE_CLIENT set to nothing)";
            out.put("skipped", why);
            log("clickhouse: SKIPPED, " + why);
            return;
        }
        int httpPort = Options.freePort(), tcpPort = Options.freePort();
        while (tcpPort == httpPort) tcpPort = Options.freePort();
        ClickHouse ch = new ClickHouse(work.resolve("clickhouse"), httpPort, tcpPort);
        try {
            loadAndCount(ch, out);
        } catch (Exception e) {
            // an anchor, not the subject: a failure here is recorded and the run goes on with the other figures
            out.put("error", String.valueOf(e.getMessage()));
            log("clickhouse: FAILED " + e + " (see " + ch.dir + ")");
        } finally {
            ch.stop();
        }
    }

    void loadAndCount(ClickHouse ch, ObjectNode out) throws Exception {
        long startMs = ch.start();
        out.put("version", ch.version()).put("startMs", startMs);
        log("clickhouse " + ch.version() + " up on 127.0.0.1:" + ch.httpPort + " in " + startMs + " ms");
        ch.script(Path.of("bench/clickhouse/schema.sql"));
        ObjectNode load = out.putObject("load");
        long allRows = 0, allMs = 0;
        try (Connection src = connect("bench_src")) {
            String[][] tables = {
                    {"customer", "customers", "copy (select tenant_id, id, external_id, phone, gender,"
                            + " to_char(birth_date, 'YYYYMMDD')::int, country, region, city, price_tier, lifecycle_stage,"
                            + " source, channel, " + chArray("tags") + ", attributes ->> 'plan',"
                            + " (attributes ->> 'score')::float8, attributes ->> 'optIn', "
                            + chArray("case when jsonb_typeof(attributes -> 'interests') = 'array' then array(select"
                            + " jsonb_array_elements_text(attributes -> 'interests')) else '{}'::text[] end")
                            + ", purchase_count, (total_spend * 10000)::bigint, (average_order_value * 10000)::bigint, "
                            + micros("last_purchase_at") + ", " + micros("last_interaction_at") + ", "
                            + micros("last_seen_at") + " from customer where tenant_id = 1 order by id)"},
                    {"purchase", "purchases", "copy (select tenant_id, customer_id, " + micros("occurred_at")
                            + ", (amount * 10000)::bigint, currency, product, category, quantity, channel"
                            + " from purchase where tenant_id = 1 order by id)"},
                    {"interaction", "interactions", "copy (select tenant_id, customer_id, " + micros("occurred_at")
                            + ", type, channel, outcome, reason from interaction where tenant_id = 1 order by id)"},
                    {"event", "events", "copy (select tenant_id, customer_id, " + micros("occurred_at") + ", name,"
                            + " case when jsonb_typeof(properties -> 'amount') = 'number'"
                            + " then ((properties ->> 'amount')::numeric * 10000)::bigint end, properties::text"
                            + " from event where tenant_id = 1 order by id)"}};
            for (String[] t : tables) {
                long t0 = System.nanoTime();
                long rows = ch.pipe(src, t[2] + CH_CSV, t[0], ch.dir.resolve("load.log"));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                long stored = ch.count("select count() from " + t[0]);
                if (stored != rows) {
                    throw new IllegalStateException("clickhouse " + t[0] + ": " + rows + " rows sent, " + stored + " stored");
                }
                load.putObject(t[1]).put("rows", rows).put("ms", ms).put("rowsPerSec", rate(rows, ms));
                allRows += rows;
                allMs += ms;
                log("clickhouse load " + t[1] + ": " + rows + " rows in " + ms + " ms (" + rate(rows, ms) + " rows/s)");
            }
            load.put("rows", allRows).put("ms", allMs).put("rowsPerSec", rate(allRows, allMs));
            long t0 = System.nanoTime();
            for (String[] t : tables) ch.query("optimize table " + t[0] + " final");
            load.put("optimizeMs", (System.nanoTime() - t0) / 1_000_000);
            out.put("bytesOnDisk", ch.count("select sum(bytes_on_disk) from system.parts where active and database = 'default'"));
            out.put("method", "PostgreSQL COPY (select ...) TO STDOUT CSV from bench_src piped into clickhouse-client"
                    + " INSERT ... FORMAT CSV, one table after another; rowsPerSec over the whole pipe; then OPTIMIZE FINAL"
                    + " (not in the rate). Counts: the expert SQL on bench_src (tenant 1, the same rows the service got)"
                    + " and bench/clickhouse/<key>.sql, same now, one warm-up round, then " + reps1
                    + " rounds round robin, client wall time (JDBC / HTTP).");
            figureClickHouse(ch, src, out);
        }
    }

    void figureClickHouse(ClickHouse ch, Connection src, ObjectNode out) throws Exception {
        exec(src, "set timezone = 'UTC'");   // intervals of days are 86400 s, as in the ClickHouse SQL
        String nowLit = "'" + evalNow + "'::timestamptz";
        String todayLit = "'" + evalNow.toLocalDate() + "'::date";
        String chNow = String.valueOf(evalNow.toEpochSecond() * 1_000_000L);
        String chToday = evalNow.toLocalDate().format(DateTimeFormatter.BASIC_ISO_DATE);
        Map<String, JsonNode> fig1 = new LinkedHashMap<>();
        R.path("fig1").forEach(r -> fig1.put(r.path("key").asText(), r));
        ArrayNode rows = out.putArray("segments");
        int matched = 0, total = 0;
        for (JsonNode seg : referenceSegments()) {
            String k = seg.path("key").asText();
            ObjectNode row = rows.addObject().put("key", k);
            total++;
            String pgSql = "/* expert count (bench_src) " + k + " */ " + expertSql(k, 1, nowLit, todayLit).get("count");
            List<Double> pg = new ArrayList<>(), cl = new ArrayList<>();
            long pgCount = -1, chCount = -1;
            try {
                String chSql = chCount(Path.of("bench/clickhouse", k + ".sql"), chNow, chToday);
                for (int r = -1; r < reps1; r++) {
                    long t0 = System.nanoTime();
                    long a = lng(src, pgSql);
                    double pa = ms(t0);
                    t0 = System.nanoTime();
                    long b = ch.count(chSql);
                    double pb = ms(t0);
                    if (r < 0) {
                        pgCount = a;
                        chCount = b;
                    } else {
                        pg.add(pa);
                        cl.add(pb);
                    }
                }
            } catch (Exception e) {
                row.put("error", String.valueOf(e.getMessage())).put("countsMatch", false);
                log("clickhouse " + k + ": FAILED " + e.getMessage());
                continue;
            }
            boolean ok = pgCount == chCount;
            if (ok) matched++;
            row.put("count", chCount).put("expertCount", pgCount).put("countsMatch", ok);
            JsonNode f1 = fig1.get(k);
            if (f1 != null) {
                // fig1 ran on the service's tenant (figure 3's baseline purchases may have been added to it since);
                // its "count" is the service's count, equal to its expert count where fig1 says countsMatch
                row.put("fig1Count", f1.path("count").asLong())
                        .put("matchesFig1", f1.path("count").asLong() == chCount);
            }
            row.set("clickhouse", M.valueToTree(Stats.summary(cl, false)));
            row.set("pgExpert", M.valueToTree(Stats.summary(pg, false)));
            row.put("pgOverClickhouse", Stats.round(Stats.median(pg) / Stats.median(cl)));
            ObjectNode raw = row.putObject("raw");
            raw.set("clickhouse", M.valueToTree(round(cl)));
            raw.set("pgExpert", M.valueToTree(round(pg)));
            log(String.format(Locale.ROOT, "clickhouse %-28s count %8d %s | pg expert %8.1f ms clickhouse %8.1f ms (x%.2f)",
                    k, chCount, ok ? "ok" : "MISMATCH pg " + pgCount, Stats.median(pg), Stats.median(cl),
                    Stats.median(pg) / Stats.median(cl)));
            save();
        }
        out.put("segmentsMatched", matched).put("segmentsChecked", total).put("allCountsMatch", matched == total);
        if (matched != total) log("clickhouse: COUNT MISMATCH in " + (total - matched) + " of " + total + " segments");
    }

    /** bench/clickhouse/&lt;key&gt;.sql's count: {{tenant}} 1 (bench_src), {{now}} in microseconds, {{today}} yyyymmdd. */
    static String chCount(Path file, String now, String today) throws Exception {
        if (!Files.exists(file)) throw new IllegalStateException(file + " is missing");
        String[] parts = Files.readString(file).split("(?m)^-- name: ");
        for (int i = 1; i < parts.length; i++) {
            String name = parts[i].substring(0, parts[i].indexOf('\n')).trim();
            if (!name.equals("count")) continue;
            String sql = parts[i].substring(parts[i].indexOf('\n') + 1).trim();
            if (sql.endsWith(";")) sql = sql.substring(0, sql.length() - 1);
            return sql.replace("{{tenant}}", "1").replace("{{now}}", now).replace("{{today}}", today);
        }
        throw new IllegalStateException(file + " needs '-- name: count'");
    }

    static List<Double> round(List<Double> v) {
        return v.stream().map(Stats::round).toList();
    }

    /** pg_stat_statements for the statements of one segment's measured rounds (server-side execution time). */
    void pgss(Connection db, ObjectNode out) throws Exception {
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("""
                select query, calls, mean_exec_time, min_exec_time, max_exec_time, stddev_exec_time, mean_plan_time
                from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
                order by total_exec_time desc limit 40""")) {
            while (rs.next()) {
                String q = rs.getString(1).trim();
                String kind = q.startsWith("/* expert count") ? "expertCount"
                        : q.startsWith("/* expert page") ? "expertPage"
                        : q.startsWith("/* service-sql count") ? "serviceCountSql"
                        : q.startsWith("select count(*) as count from ") ? "serviceCount"
                        : q.startsWith("select c.id, c.external_id, c.name") && q.contains("order by c.id limit") ? "servicePage"
                        : null;
                if (kind == null || out.has(kind)) continue;
                out.putObject(kind).put("calls", rs.getLong(2)).put("meanMs", Stats.round(rs.getDouble(3)))
                        .put("minMs", Stats.round(rs.getDouble(4))).put("maxMs", Stats.round(rs.getDouble(5)))
                        .put("stddevMs", Stats.round(rs.getDouble(6))).put("meanPlanMs", Stats.round(rs.getDouble(7)));
            }
        }
    }

    static Map<String, String> expertSql(String key, long tenant, String now, String today) throws Exception {
        String text = Files.readString(Path.of("bench/expert", key + ".sql"));
        Map<String, String> out = new LinkedHashMap<>();
        String[] parts = text.split("(?m)^-- name: ");
        for (int i = 1; i < parts.length; i++) {
            String name = parts[i].substring(0, parts[i].indexOf('\n')).trim();
            String sql = parts[i].substring(parts[i].indexOf('\n') + 1).trim();
            if (sql.endsWith(";")) sql = sql.substring(0, sql.length() - 1);
            sql = sql.replace("{{tenant}}", String.valueOf(tenant)).replace("{{now}}", now).replace("{{today}}", today)
                    .replace("{{columns}}", COLUMNS).replace("{{limit}}", String.valueOf(PAGE));
            out.put(name, sql);
        }
        if (!out.containsKey("count") || !out.containsKey("page")) {
            throw new IllegalStateException("bench/expert/" + key + ".sql needs '-- name: count' and '-- name: page'");
        }
        return out;
    }

    /** The service's SQL with its parameters inlined as typed literals ($n::type keeps its cast). */
    static String inline(String sql, JsonNode params) {
        Matcher m = Pattern.compile("\\$(\\d+)").matcher(sql);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            JsonNode p = params.get(Integer.parseInt(m.group(1)) - 1);
            String lit;
            if (p.isArray()) {
                StringBuilder a = new StringBuilder("{");
                for (int i = 0; i < p.size(); i++) {
                    if (i > 0) a.append(',');
                    a.append('"').append(p.get(i).asText().replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
                }
                lit = a.append('}').toString();
            } else {
                lit = p.asText();
            }
            m.appendReplacement(sb, Matcher.quoteReplacement("'" + lit.replace("'", "''") + "'"));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    static String explain(Connection db, String sql) {
        StringBuilder sb = new StringBuilder();
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("explain (analyze, buffers) " + sql)) {
            while (rs.next()) sb.append(rs.getString(1)).append('\n');
        } catch (Exception e) {
            sb.append("explain failed: ").append(e.getMessage());
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------ figure 2

    /** Full refresh of all 30 segments, one after another, repeated. */
    void figure2() throws Exception {
        ObjectNode f = R.putObject("fig2");
        ArrayNode runs = f.putArray("runs");
        List<Double> totals = new ArrayList<>();
        // one by one: each refresh also merges its rule's due instants for the whole tenant, so at full size one
        // round (minutes) is measured; the shared refresh below, the form that matters, gets every round
        int oneByOne = o.quick ? reps2 : 1;
        Map<String, Long> membersOneByOne = new java.util.TreeMap<>();
        for (int r = 0; r < oneByOne; r++) {
            ObjectNode run = runs.addObject();
            ObjectNode per = run.putObject("segments");
            long t0 = System.nanoTime();
            long evalSum = 0;
            for (JsonNode s : segments) {
                String k = s.path("key").asText();
                long s0 = System.nanoTime();
                JsonNode res = post(key, "/segments/" + k + "/refresh", "", 200);
                long ev = res.path("freshness").path("evaluationMs").asLong();
                evalSum += ev;
                membersOneByOne.put(k, res.path("freshness").path("memberCount").asLong());
                per.putObject(k).put("ms", Stats.round(ms(s0))).put("evaluationMs", ev)
                        .put("members", res.path("freshness").path("memberCount").asLong())
                        .put("entered", res.path("entered").asLong()).put("exited", res.path("exited").asLong());
            }
            double total = ms(t0);
            totals.add(total);
            run.put("totalMs", Stats.round(total)).put("evaluationMsSum", evalSum).put("loadAvg", loadAvg());
            log(String.format(Locale.ROOT, "fig2 run %d: 30 refreshes in %.0f ms (evaluation %d ms)", r + 1, total, evalSum));
            save();
        }
        f.set("total", M.valueToTree(Stats.summary(totals, false)));

        // all of them at once: POST /segments/refresh, one shared evaluation (issue 17, shared passes); the HTTP
        // time includes recomputing the tenant's due column, evaluationMs is the membership statement's
        ObjectNode shared = f.putObject("shared");
        ArrayNode sharedRuns = shared.putArray("runs");
        List<Double> sharedTotals = new ArrayList<>();
        List<Double> sharedEval = new ArrayList<>();
        for (int r = 0; r < reps2; r++) {
            long t0 = System.nanoTime();
            JsonNode res = post(key, "/segments/refresh", "", 200);
            double total = ms(t0);
            long ev = res.path(0).path("freshness").path("evaluationMs").asLong();
            long changes = 0;
            Map<String, Long> members = new java.util.TreeMap<>();
            for (JsonNode x : res) {
                changes += x.path("entered").asLong() + x.path("exited").asLong();
                members.put(x.path("segment").asText(), x.path("freshness").path("memberCount").asLong());
            }
            sharedTotals.add(total);
            sharedEval.add((double) ev);
            // the one-by-one refreshes ran at other instants (minutes earlier, one after another): windows moved
            // since, so a few members may differ; the sum of the differences says how many
            long apart = 0;
            for (String k : membersOneByOne.keySet()) {
                apart += Math.abs(membersOneByOne.get(k) - members.getOrDefault(k, 0L));
            }
            ObjectNode run = sharedRuns.addObject().put("totalMs", Stats.round(total)).put("evaluationMs", ev)
                    .put("segments", res.size()).put("changes", changes)
                    .put("membersApartFromOneByOne", apart).put("loadAvg", loadAvg());
            run.set("members", M.valueToTree(members));
            log(String.format(Locale.ROOT, "fig2 shared run %d: %d segments in %.0f ms (evaluation %d ms), %d changes,"
                    + " members %d apart from the one-by-one refresh's", r + 1, res.size(), total, ev, changes, apart));
            save();
        }
        shared.set("total", M.valueToTree(Stats.summary(sharedTotals, false)));
        shared.set("evaluationMs", M.valueToTree(Stats.summary(sharedEval, false)));
        // the anchor: the expert's counts (figure 1) one after another, those that exist (18 of the 30)
        double expert = 0;
        int experts = 0;
        for (JsonNode x : R.path("fig1")) {
            if (x.has("expertCount")) {
                expert += x.path("expertCount").path("median").asDouble();
                experts++;
            }
        }
        if (experts > 0) shared.put("expertCountsSumMs", Stats.round(expert)).put("expertCounts", experts);
    }

    // ------------------------------------------------------------------ figure 3

    /** Latency of single purchase writes; with segments, each re-evaluates the customer's dependent memberships. */
    void figure3(String label) throws Exception {
        ObjectNode f = R.withObjectProperty("fig3").putObject(label);
        long[] range = idRange();
        Random rnd = new Random(42);
        List<Double> lat = new ArrayList<>();
        try (Connection db = connect("postgres")) {
            for (int i = -20; i < writes3; i++) {
                if (i == 0) exec(db, "select pg_stat_statements_reset()");
                long id = range[0] + (long) (rnd.nextDouble() * (range[1] - range[0] + 1));
                OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC).minusMinutes(rnd.nextInt(400 * 24 * 60))
                        .truncatedTo(ChronoUnit.SECONDS);
                String amount = String.format(Locale.ROOT, "%.2f", Math.exp(4 + rnd.nextGaussian()));
                String body = "{\"customerId\": " + id + ", \"occurredAt\": \"" + at + "\", \"amount\": " + amount
                        + ", \"currency\": \"EUR\", \"category\": \"books\", \"product\": \"bench-write\", \"channel\": \"web\"}";
                long t0 = System.nanoTime();
                post(key, "/purchases", body, 201);
                if (i >= 0) lat.add(ms(t0));
            }
            f.set("latencyMs", M.valueToTree(Stats.summary(lat, true)));
            f.set("raw", M.valueToTree(round(lat)));
            try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("""
                    select query, calls, mean_exec_time, min_exec_time, max_exec_time, stddev_exec_time, total_exec_time,
                        mean_plan_time, max_plan_time, plans
                    from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
                    order by total_exec_time + total_plan_time desc limit 12""")) {
                ArrayNode top = f.putArray("topStatements");
                while (rs.next()) {
                    String q = rs.getString(1).trim();
                    ObjectNode s = M.createObjectNode().put("calls", rs.getLong(2))
                            .put("meanMs", Stats.round(rs.getDouble(3))).put("minMs", Stats.round(rs.getDouble(4)))
                            .put("maxMs", Stats.round(rs.getDouble(5))).put("stddevMs", Stats.round(rs.getDouble(6)))
                            .put("totalMs", Stats.round(rs.getDouble(7))).put("meanPlanMs", Stats.round(rs.getDouble(8)))
                            .put("maxPlanMs", Stats.round(rs.getDouble(9))).put("plans", rs.getLong(10));
                    if (q.contains("with target (segment_id, customer_id) as")) {
                        int targets = 0;
                        Matcher m = Pattern.compile("select \\$\\d+::bigint, c\\.id from customer c").matcher(q);
                        while (m.find()) targets++;
                        s.put("dependentSegments", targets);
                        f.set("membershipStatement", s);
                    }
                    top.add(s.put("query", q.length() > 160 ? q.substring(0, 160) + "..." : q));
                }
            }
        }
        f.put("loadAvg", loadAvg());
        JsonNode ms = f.path("membershipStatement");
        log(String.format(Locale.ROOT, "fig3 %s: POST /purchases p50 %.1f p99 %.1f ms%s", label, Stats.median(lat),
                Stats.pct(lat, 99), ms.isMissingNode() ? "" : String.format(Locale.ROOT,
                        "; membership statement (%d segments) execution mean %.1f max %.1f ms, planning mean %.1f ms",
                        ms.path("dependentSegments").asInt(), ms.path("meanMs").asDouble(), ms.path("maxMs").asDouble(),
                        ms.path("meanPlanMs").asDouble())));
    }

    // ------------------------------------------------------------------ figure 6 (issue 15)

    /** The lead-scoring model of figure 6: rules over the profile, the rollups and every stream of the dataset. */
    static final String LEAD_SCORING = """
            {"rules": [
               {"name": "bought", "points": 10, "rule": {"field": "purchaseCount", "op": "gte", "value": 1}},
               {"name": "spent", "points": 25, "rule": {"field": "totalSpend", "op": "gt", "value": 1000}},
               {"name": "checked out lately", "points": 20, "decay": {"halfLife": "P10D"},
                "rule": {"aggregate": "count", "of": "events", "where": {"field": "name", "op": "eq", "value": "checkout"},
                         "within": "P30D", "op": "gte", "value": 1}},
               {"name": "consulted twice", "points": 15,
                "rule": {"aggregate": "count", "of": "interactions",
                         "where": {"field": "type", "op": "eq", "value": "consultation"}, "op": "gte", "value": 2}},
               {"name": "refused on price", "points": -30,
                "rule": {"aggregate": "count", "of": "interactions",
                         "where": {"field": "reason", "op": "eq", "value": "price"}, "op": "gte", "value": 1}}],
             "temperature": {"hot": 50, "warm": 20}}""";

    /** Every model with the configuration figure 6 saves ({} = every member at its default). */
    static final List<String[]> MODELS = List.of(new String[]{"activity", "{}"}, new String[]{"rfm", "{}"},
            new String[]{"abc-xyz", "{}"}, new String[]{"value-quadrants", "{}"},
            new String[]{"lead-scoring", LEAD_SCORING});

    /**
     * Each analytics model saved (the save computes it over the whole base from scratch: every customer's value is
     * new) and run again on demand (the values recomputed, few change), then figure 3's writes again with every
     * model configured: the difference to figure 3 with 30 segments is what the per-customer update adds to a write.
     */
    void figure6() throws Exception {
        ObjectNode f = R.putObject("fig6");
        ObjectNode models = f.putObject("models");
        for (String[] m : MODELS) {
            ObjectNode row = models.putObject(m[0]);
            row.put("loadAvgBefore", loadAvg());
            long t0 = System.nanoTime();
            send("PUT", key, "/analytics/" + m[0], m[1], 200);
            row.put("fromScratchMs", Stats.round(ms(t0)));
            // of which the model's own statement (the rest: membership of the changed customers, cause analytics)
            JsonNode fresh = get(key, "/analytics/" + m[0]).path("freshness");
            row.put("fromScratchModelMs", fresh.path("durationMs").asLong())
                    .put("fromScratchChanged", fresh.path("changed").asLong());
            List<Double> again = new ArrayList<>();
            for (int r = 0; r < reps2; r++) {
                long t1 = System.nanoTime();
                JsonNode res = post(key, "/analytics/" + m[0] + "/recompute", "", 200);
                again.add(ms(t1));
                row.put("recomputeServerMs", res.path("durationMs").asLong()).put("recomputeChanged", res.path("changed").asLong());
            }
            row.set("recomputeMs", M.valueToTree(Stats.summary(again, false)));
            row.put("loadAvgAfter", loadAvg());
            log(String.format(Locale.ROOT, "fig6 %s: from scratch %.0f ms, recompute median %.0f ms (%d changed)", m[0],
                    row.path("fromScratchMs").asDouble(), Stats.median(again), row.path("recomputeChanged").asLong()));
            save();
        }
        figure3("withAnalytics");
    }

    long[] idRange() throws Exception {
        try (Connection db = connect("postgres"); Statement st = db.createStatement();
             ResultSet rs = st.executeQuery("select min(id), max(id), count(*) from customer where tenant_id = " + tenantId)) {
            rs.next();
            long lo = rs.getLong(1), hi = rs.getLong(2), cnt = rs.getLong(3);
            if (hi - lo + 1 != cnt) log("WARNING: customer ids are not contiguous; some lookups will 404");
            return new long[]{lo, hi};
        }
    }

    // ------------------------------------------------------------------ materialized reads (issue 17)

    /** The issue's targets: count p99 and first page p99 in ms, req/s of both read endpoints, upkeep s per hour. */
    static final Map<String, Double> MATERIALIZED_TARGETS = Map.of("countP99Ms", 5.0, "pageP99Ms", 15.0,
            "membersReqPerSec", 2000.0, "customerSegmentsReqPerSec", 2000.0, "upkeepSecondsPerHour", 5.0);

    /**
     * Saved segments read from the materialization with the time-event tick running, as in production (the other
     * figures run with the scheduler off). The service is restarted with its scheduler on; the backlog of customers
     * whose due instant passed while it was off is processed (timed); then over a quiet window (no request) the
     * CPU seconds of the JVM and of the PostgreSQL processes are the upkeep of that much clock, scaled to an hour;
     * then count and first page of every reference segment, sequentially, with the answer's {@code source}
     * recorded, the count and page checked equal to a live evaluation at the answer's {@code evaluatedAt}; then
     * figure 4's autocannon load on members and on a customer's segments. Afterwards the service is restarted with
     * the scheduler off again.
     */
    void materialized() throws Exception {
        ObjectNode f = R.putObject("materialized");
        f.set("targets", M.valueToTree(MATERIALIZED_TARGETS));
        String dueSql = "select count(*) from customer_due where tenant_id = " + tenantId + " and due_at <= now()";
        service.envOverrides.put("SEGMENTS_MEMBERSHIP_SCHEDULER_ENABLED", "true");
        try {
            long backlog;
            try (Connection db = connect("postgres")) {
                backlog = lng(db, dueSql);
            }
            service.stop();
            Thread.sleep(2000);
            service.start();
            try (Connection db = connect("postgres")) {
                long t0 = System.nanoTime(), due = caughtUp(db, dueSql);
                ObjectNode c = f.putObject("catchUp");
                c.put("dueCustomersAtStart", backlog).put("ms", Stats.round(ms(t0))).put("caughtUp", due == 0);
                log("materialized: " + backlog + " due customers processed by the tick in " + Math.round(ms(t0))
                        + " ms" + (due == 0 ? "" : " (NOT caught up: " + due + " still due)"));

                // with shared buffers sized for the base, the tick's relations are read into them first, as a
                // long-running server has them: this machine's kernel pages cold page cache out after a minute
                // (bench/analysis.md), so without it the upkeep is mostly the disk reads of the due customers' rows
                if (o.sharedBuffers != null) {
                    long p0 = System.nanoTime(), blocks = prewarm(db);
                    f.putObject("prewarm").put("blocks", blocks).put("ms", Stats.round(ms(p0)));
                    log("materialized: " + blocks + " blocks of the tick's relations read into shared buffers in "
                            + Math.round(ms(p0)) + " ms");
                }
                // upkeep: a window without requests; the tick is all that runs (and autovacuum, counted too)
                int window = o.quick ? 20 : 120;
                String soon = "select count(*) from customer_due where tenant_id = " + tenantId
                        + " and due_at > now() and due_at <= now() + interval '%d seconds'";
                long dueInWindow = lng(db, String.format(Locale.ROOT, soon, window));
                long dueInHour = lng(db, String.format(Locale.ROOT, soon, 3600));
                long changes0 = lng(db, "select count(*) from membership_change where tenant_id = " + tenantId);
                double anchor = cpuAnchorMs(db);   // before the reset: not one of the window's statements
                exec(db, "select pg_stat_statements_reset()");
                Map<String, Double> cpu0 = service.cpuSeconds(), tick0 = tickMeters();
                long w0 = System.nanoTime(), disk0 = diskReads();
                long[] machine0 = machineTicks();
                Thread.sleep(window * 1000L);
                Map<String, Double> cpu1 = service.cpuSeconds(), tick1 = tickMeters();
                long disk = diskReads() - disk0;
                long[] machine1 = machineTicks();
                double tickSeconds = tick1.get("seconds") - tick0.get("seconds");
                long tickCustomers = Math.round(tick1.get("customers") - tick0.get("customers"));
                double seconds = ms(w0) / 1000;
                double jvm = cpu1.get("jvm") - cpu0.get("jvm"), pg = cpu1.get("postgres") - cpu0.get("postgres");
                long changes = lng(db, "select count(*) from membership_change where tenant_id = " + tenantId) - changes0;
                double pgExec;
                try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(
                        "select coalesce(sum(total_exec_time + total_plan_time), 0) from pg_stat_statements"
                                + " where query not like '%pg_stat_statements%'")) {
                    rs.next();
                    pgExec = rs.getDouble(1);
                }
                ObjectNode u = f.putObject("upkeep");
                u.put("windowSeconds", Stats.round(seconds)).put("dueCustomersInWindow", dueInWindow)
                        .put("dueCustomersNextHour", dueInHour).put("membershipChanges", changes)
                        .put("jvmCpuSeconds", Stats.round(jvm)).put("postgresCpuSeconds", Stats.round(pg))
                        .put("postgresStatementMs", Stats.round(pgExec))
                        .put("cpuSecondsPerHour", Stats.round((jvm + pg) * 3600 / seconds))
                        .put("tickSeconds", Stats.round(tickSeconds)).put("tickCustomers", tickCustomers)
                        .put("tickBatches", Math.round(tick1.get("batches") - tick0.get("batches")))
                        .put("tickSecondsPerHour", Stats.round(tickSeconds * 3600 / seconds))
                        .put("diskReads", disk).put("loadAvg", loadAvg()).put("cpuAnchorMs", anchor)
                        .put("stealPercent", stealPercent(machine0, machine1));
                // where the tick's database time goes: the statements of the window, by total time
                u.set("topStatements", topStatements(db));
                log(String.format(Locale.ROOT, "materialized upkeep: %.1f s of clock, %d customers due in it (%d in the"
                                + " next hour), %d membership changes; the tick re-evaluated %d customers in %.3f s (%.2f s per"
                                + " hour); CPU %.2f s JVM + %.2f s PostgreSQL: %.1f s per hour; %d disk reads", seconds,
                        dueInWindow, dueInHour, changes, tickCustomers, tickSeconds, tickSeconds * 3600 / seconds, jvm, pg,
                        (jvm + pg) * 3600 / seconds, disk));

                // count and first page, sequential, per reference segment; between them the liveness endpoint,
                // which does no work: its latencies are this client's and machine's floor for the same percentiles
                int n = o.quick ? 50 : 200;
                ArrayNode out = f.putArray("segments");
                List<Double> liveness = new ArrayList<>();
                // the service restarted for this phase: one warm-up over every segment first, so that the first
                // segment measured does not pay for the JIT's compilation of the read path alone
                for (int i = 0; i < 20; i++) {
                    for (JsonNode seg : referenceSegments()) {
                        get(key, "/segments/" + seg.path("key").asText() + "/count");
                        get(key, "/segments/" + seg.path("key").asText() + "/members?limit=" + PAGE);
                    }
                }
                for (JsonNode seg : referenceSegments()) {
                    String k = seg.path("key").asText();
                    List<Double> cnt = new ArrayList<>(), page = new ArrayList<>(), health = new ArrayList<>();
                    Map<String, Integer> sources = new java.util.TreeMap<>();
                    JsonNode lastCount = null, lastPage = null;
                    for (int i = -20; i < n; i++) {
                        long t1 = System.nanoTime();
                        JsonNode cr = get(key, "/segments/" + k + "/count");
                        double a = ms(t1);
                        t1 = System.nanoTime();
                        JsonNode pr = get(key, "/segments/" + k + "/members?limit=" + PAGE);
                        double b = ms(t1);
                        t1 = System.nanoTime();
                        get(key, "/q/health/live");
                        double h = ms(t1);
                        if (i < 0) continue;
                        health.add(h);
                        cnt.add(a);
                        page.add(b);
                        sources.merge("count " + cr.path("source").asText("?"), 1, Integer::sum);
                        sources.merge("page " + pr.path("source").asText("?"), 1, Integer::sum);
                        lastCount = cr;
                        lastPage = pr;
                    }
                    // the last answers against a live evaluation at the instant they say they are exact at
                    String at = java.net.URLEncoder.encode(lastCount.path("evaluatedAt").asText(), StandardCharsets.UTF_8);
                    long live = get(key, "/segments/" + k + "/count?asOf=" + at).path("count").asLong();
                    String pat = java.net.URLEncoder.encode(lastPage.path("evaluatedAt").asText(), StandardCharsets.UTF_8);
                    List<Long> livePage = new ArrayList<>(), matPage = new ArrayList<>();
                    get(key, "/segments/" + k + "/members?limit=" + PAGE + "&asOf=" + pat).path("items")
                            .forEach(x -> livePage.add(x.path("id").asLong()));
                    lastPage.path("items").forEach(x -> matPage.add(x.path("id").asLong()));
                    ObjectNode row = out.addObject();
                    row.put("key", k).put("dueCustomers", lng(db, dueSql)) // corrected by the reads (step 4)
                            .put("members", lastCount.path("count").asLong()).put("liveCount", live)
                            .put("countMatchesLive", live == lastCount.path("count").asLong())
                            .put("pageMatchesLive", livePage.equals(matPage));
                    row.set("sources", M.valueToTree(sources));
                    row.set("count", M.valueToTree(Stats.summary(cnt, true)));
                    row.set("page", M.valueToTree(Stats.summary(page, true)));
                    row.set("liveness", M.valueToTree(Stats.summary(health, true)));
                    liveness.addAll(health);
                    log(String.format(Locale.ROOT, "materialized %-24s count p50 %.2f p99 %.2f ms, page p50 %.2f p99 %.2f"
                                    + " ms, liveness between them p99 %.2f ms, %s; live count %s", k, Stats.median(cnt),
                            Stats.pct(cnt, 99), Stats.median(page), Stats.pct(page, 99), Stats.pct(health, 99), sources,
                            live == lastCount.path("count").asLong() ? "equal" : "DIFFERS"));
                    save();
                }
                f.set("liveness", M.valueToTree(Stats.summary(liveness, true)));
            }

            // concurrent reads with the tick running (figure 4's load)
            long[] range = idRange();
            String keys = String.join(",", referenceSegments().stream().map(s -> s.path("key").asText()).toList());
            for (String mode : List.of("members", "customer-segments")) {
                ArrayNode runs = f.putArray(mode);
                try (Connection db = connect("postgres")) {
                    exec(db, "select pg_stat_statements_reset()");
                }
                for (int r = 0; r < reps4; r++) {
                    long disk0 = diskReads();
                    String outText = sh("node", "bench/load.js", service.base(), key, mode, String.valueOf(conns4),
                            String.valueOf(seconds4), String.valueOf(range[0]), String.valueOf(range[1]), keys);
                    ObjectNode run = (ObjectNode) M.readTree(outText.substring(outText.indexOf('{')));
                    run.put("diskReads", diskReads() - disk0);
                    run.put("loadAvg", loadAvg());
                    runs.add(run);
                    log(String.format(Locale.ROOT, "materialized %-18s run %d: %.0f req/s, p50 %s p99 %s ms, non2xx %d,"
                                    + " %d disk reads", mode, r + 1, run.path("requestsPerSec").asDouble(),
                            run.path("latencyMs").path("p50").asText(), run.path("latencyMs").path("p99").asText(),
                            run.path("non2xx").asLong(), run.path("diskReads").asLong()));
                    save();
                }
                // the statements a read runs, and what they cost (with the tick's, which runs beside them)
                try (Connection db = connect("postgres")) {
                    f.set(mode + "Statements", topStatements(db));
                }
            }
        } finally {
            service.envOverrides.remove("SEGMENTS_MEMBERSHIP_SCHEDULER_ENABLED");
            service.stop();
            Thread.sleep(2000);
            service.start();
        }
    }

    /**
     * Waits (at most 2 minutes quick, 15 otherwise) until the tick has processed every customer due for longer than
     * its delay (segments.membership.time-events-delay, 30 s) and a few seconds; returns how many are still due (0:
     * caught up).
     */
    long caughtUp(Connection db, String dueSql) throws Exception {
        long due, deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(o.quick ? 2 : 15);
        while ((due = lng(db, dueSql.replace("now()", "now() - interval '35 seconds'"))) > 0
                && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        return due;
    }

    /**
     * Runs {@code body} on the service restarted with its scheduler on (time events processed, as in a deployment:
     * the reads evaluate the customers the tick has not processed yet), once the backlog of
     * passed due instants is processed; restarts it with the scheduler off afterwards.
     */
    void withTickOn(Step body) throws Exception {
        service.envOverrides.put("SEGMENTS_MEMBERSHIP_SCHEDULER_ENABLED", "true");
        try {
            service.stop();
            Thread.sleep(2000);
            service.start();
            try (Connection db = connect("postgres")) {
                long due = caughtUp(db, "select count(*) from customer_due where tenant_id = " + tenantId
                        + " and due_at <= now()");
                if (due > 0) log("WARNING: the tick did not catch up (" + due + " customers still due)");
            }
            body.run();
        } finally {
            service.envOverrides.remove("SEGMENTS_MEMBERSHIP_SCHEDULER_ENABLED");
            service.stop();
            Thread.sleep(2000);
            service.start();
        }
    }

    /** The top statements since the last pg_stat_statements_reset(), by total (execution + planning) time. */
    static ArrayNode topStatements(Connection db) throws Exception {
        ArrayNode top = M.createArrayNode();
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery("""
                select calls, round((total_exec_time + total_plan_time)::numeric, 1), round(mean_exec_time::numeric, 3),
                       round((total_plan_time / greatest(calls, 1))::numeric, 3), rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 160)
                from pg_stat_statements where query not like '%pg_stat_statements%'
                order by total_exec_time + total_plan_time desc limit 8""")) {
            while (rs.next()) {
                top.addObject().put("calls", rs.getLong(1)).put("totalMs", rs.getDouble(2))
                        .put("meanExecMs", rs.getDouble(3)).put("meanPlanMs", rs.getDouble(4))
                        .put("rows", rs.getLong(5)).put("query", rs.getString(6));
            }
        }
        return top;
    }

    /** The tick's meters from /q/metrics (docs/operations.md): busy seconds, batches and customers so far. */
    Map<String, Double> tickMeters() throws Exception {
        String text = http.send(HttpRequest.newBuilder(URI.create(service.base() + "/q/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Map<String, Double> m = new LinkedHashMap<>(Map.of("seconds", 0.0, "batches", 0.0, "customers", 0.0));
        for (String line : text.split("\n")) {
            String[] kv = line.split(" ");
            if (kv.length != 2) continue;
            if (kv[0].startsWith("segments_membership_time_events_seconds_sum{")) m.merge("seconds", Double.parseDouble(kv[1]), Double::sum);
            if (kv[0].startsWith("segments_membership_time_events_seconds_count{")) m.merge("batches", Double.parseDouble(kv[1]), Double::sum);
            if (kv[0].equals("segments_membership_time_events_customers_total")) m.merge("customers", Double.parseDouble(kv[1]), Double::sum);
        }
        return m;
    }

    // ------------------------------------------------------------------ insight (issue 16)

    /** The issue's targets in ms: explain p99, profile, overlap of 30 segments, the PDF report. */
    static final Map<String, Double> INSIGHT_TARGETS_MS = Map.of("explain", 50.0, "profile", 2000.0, "overlap", 2000.0,
            "pdf", 5000.0);

    /**
     * Segment insight on the loaded tenant: explain (one reference segment, random customers) p50/p99, the profile
     * and the PDF report of that segment, the overlap of every created segment (30); each timed over HTTP.
     */
    void insight() throws Exception {
        ObjectNode f = R.putObject("insight");
        String seg = referenceSegments().get(0).path("key").asText();
        f.put("segment", seg);
        long[] range = idRange();
        Random rnd = new Random(16);
        List<Double> explain = new ArrayList<>();
        int n = o.quick ? 50 : 200;
        for (int i = -10; i < n; i++) {
            long id = range[0] + (long) (rnd.nextDouble() * (range[1] - range[0] + 1));
            long t0 = System.nanoTime();
            get(key, "/segments/" + seg + "/explain/" + id);
            if (i >= 0) explain.add(ms(t0));
        }
        f.set("explainMs", M.valueToTree(Stats.summary(explain, true)));
        List<Double> profile = new ArrayList<>(), overlap = new ArrayList<>(), pdf = new ArrayList<>();
        String keys = String.join(",", segments.stream().map(s -> s.path("key").asText()).limit(30).toList());
        f.put("overlapSegments", keys.split(",").length);
        long pdfBytes = 0;
        for (int r = 0; r < 3; r++) {
            long t0 = System.nanoTime();
            get(key, "/segments/" + seg + "/profile");
            profile.add(ms(t0));
            t0 = System.nanoTime();
            get(key, "/segments/overlap?keys=" + keys);
            overlap.add(ms(t0));
            t0 = System.nanoTime();
            HttpResponse<byte[]> res = http.send(HttpRequest.newBuilder(URI.create(service.base() + "/segments/" + seg
                            + "/report.pdf")).header("Authorization", "Bearer " + key).timeout(Duration.ofMinutes(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (res.statusCode() != 200) throw new IllegalStateException("GET report.pdf: " + res.statusCode());
            pdf.add(ms(t0));
            pdfBytes = res.body().length;
        }
        f.set("profileMs", M.valueToTree(Stats.summary(profile, false)));
        f.set("overlapMs", M.valueToTree(Stats.summary(overlap, false)));
        f.set("pdfMs", M.valueToTree(Stats.summary(pdf, false)));
        f.put("pdfBytes", pdfBytes);
        f.set("targetsMs", M.valueToTree(INSIGHT_TARGETS_MS));
        log(String.format(Locale.ROOT, "insight %s: explain p50 %.1f p99 %.1f ms; profile %.0f ms; overlap of %d %.0f ms;"
                        + " PDF %.0f ms (%d bytes)", seg, Stats.median(explain), Stats.pct(explain, 99), Stats.median(profile),
                keys.split(",").length, Stats.median(overlap), Stats.median(pdf), pdfBytes));
    }

    // ------------------------------------------------------------------ figure 4

    /** Concurrent load (autocannon) on the customer's segments and on members, next to the liveness endpoint. */
    void figure4() throws Exception {
        ObjectNode f = R.putObject("fig4");
        long[] range = idRange();
        String keys = String.join(",", referenceSegments().stream().map(s -> s.path("key").asText()).toList());
        f.set("memoryBeforeLoad", M.valueToTree(service.memory()));
        for (String mode : List.of("health", "customer-segments", "members")) {
            ArrayNode runs = f.putArray(mode);
            for (int r = 0; r < reps4; r++) {
                MemorySampler sampler = new MemorySampler(service);
                sampler.start();
                String outText = sh("node", "bench/load.js", service.base(), key, mode, String.valueOf(conns4),
                        String.valueOf(seconds4), String.valueOf(range[0]), String.valueOf(range[1]), keys);
                sampler.stopSampling();
                JsonNode res = M.readTree(outText.substring(outText.indexOf('{')));
                ObjectNode run = (ObjectNode) res;
                run.set("memoryPeak", M.valueToTree(sampler.peak));
                run.put("loadAvg", loadAvg());
                runs.add(run);
                log(String.format(Locale.ROOT, "fig4 %-18s run %d: %.0f req/s, p50 %s p99 %s ms, non2xx %d errors %d",
                        mode, r + 1, res.path("requestsPerSec").asDouble(), res.path("latencyMs").path("p50").asText(),
                        res.path("latencyMs").path("p99").asText(), res.path("non2xx").asLong(), res.path("errors").asLong()));
                save();
            }
        }
    }

    /** Samples the service's memory every 500 ms; keeps the peak of each figure. */
    static final class MemorySampler extends Thread {
        final Service service;
        final Map<String, Object> peak = new LinkedHashMap<>();
        volatile boolean running = true;

        MemorySampler(Service service) {
            this.service = service;
            setDaemon(true);
        }

        @Override
        public void run() {
            while (running) {
                service.memory().forEach((k, v) -> {
                    if (v instanceof Number num) {
                        Object old = peak.get(k);
                        if (old == null || ((Number) old).doubleValue() < num.doubleValue()) peak.put(k, v);
                    }
                });
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void stopSampling() throws InterruptedException {
            running = false;
            join();
        }
    }

    // ------------------------------------------------------------------ figure 5

    void figure5() throws Exception {
        ObjectNode f = R.withObjectProperty("fig5");
        f.set("memoryAfterBenchmark", M.valueToTree(service.memory()));
        service.stop();
        Thread.sleep(2000);
        long ms = service.start();
        f.put("restartMs", ms).put("restartQuarkusMs", service.quarkusStartedInMs());
        log("restart on the loaded database: ready in " + ms + " ms");
        Thread.sleep(10_000);
        f.set("memoryIdleAfterRestart", M.valueToTree(service.memory()));
        // a short load right after the restart (cold caches in the JVM, warm in the OS)
        MemorySampler sampler = new MemorySampler(service);
        sampler.start();
        long[] range = idRange();
        String outText = sh("node", "bench/load.js", service.base(), key, "customer-segments", String.valueOf(conns4),
                String.valueOf(seconds4), String.valueOf(range[0]), String.valueOf(range[1]), "");
        sampler.stopSampling();
        ObjectNode res = (ObjectNode) M.readTree(outText.substring(outText.indexOf('{')));
        res.set("memoryPeak", M.valueToTree(sampler.peak));
        f.set("loadAfterRestart", res);
        f.set("memoryIdleAfterLoad", M.valueToTree(service.memory()));
    }

    // ------------------------------------------------------------------ helpers

    interface Step {
        void run() throws Exception;
    }

    /**
     * Runs a phase. If the service process died during it (the machine is shared; a stray "pkill java" is not ours
     * to prevent), the incident is recorded, the service restarted on the same data and the phase run once more
     * (every phase is safe to repeat: imports upsert, activity items carry external ids).
     */
    void timed(String name, Step step) throws Exception {
        String before = loadAvg();
        long t0 = System.nanoTime();
        log("-- " + name + " (load average " + before + ")");
        try {
            step.run();
        } catch (Exception e) {
            if (service == null || service.process == null || service.process.isAlive()) throw e;
            String what = "the service died during '" + name + "' (exit code " + service.process.exitValue()
                    + "): " + e;
            log("WARNING: " + what + "; restarting it and repeating the phase");
            R.withArray("incidents").add(Instant.now() + " " + what);
            if (service.dbUrl == null) {
                Path pid = service.dataDir.resolve("postmaster.pid");
                for (int i = 0; i < 600 && Files.exists(pid); i++) Thread.sleep(100);
            }
            // a start phase starts the service itself: starting it here too would leave two
            if (!name.startsWith("start")) service.start();
            t0 = System.nanoTime();
            step.run();
        }
        ((ArrayNode) R.get("phases")).addObject().put("phase", name).put("seconds", Stats.round(ms(t0) / 1000))
                .put("loadAvgBefore", before).put("loadAvgAfter", loadAvg());
    }

    void save() throws Exception {
        Files.writeString(RESULTS.resolve(size + ".json"), M.writeValueAsString(R));
    }

    static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    static long rate(long rows, long ms) {
        return ms <= 0 ? 0 : Math.round(rows * 1000.0 / ms);
    }

    static void log(String s) {
        System.out.println(OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).toLocalTime() + " " + s);
        System.out.flush();
    }

    JsonNode post(String bearer, String path, String body, int expected) throws Exception {
        return send("POST", bearer, path, body, expected);
    }

    JsonNode send(String method, String bearer, String path, String body, int expected) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(service.base() + path))
                .header("Authorization", "Bearer " + bearer).header("Content-Type", "application/json")
                .timeout(Duration.ofMinutes(30)).method(method, HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != expected) {
            throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
        }
        return r.body().isEmpty() ? M.createObjectNode() : M.readTree(r.body());
    }

    JsonNode get(String bearer, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(service.base() + path))
                .header("Authorization", "Bearer " + bearer).timeout(Duration.ofMinutes(5)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException("GET " + path + ": " + r.statusCode() + " " + r.body());
        return M.readTree(r.body());
    }

    /** JDBC to the service's database (or bench_src); unnamed statements, so every execution gets a custom plan. */
    Connection connect(String database) throws Exception {
        String host = "localhost", user = "postgres", password = "";
        int port = o.pgPort;
        String db = database;
        if (o.dbUrl != null) {
            URI u = URI.create(o.dbUrl);
            host = u.getHost();
            port = u.getPort() > 0 ? u.getPort() : 5432;
            if (database.equals("postgres")) db = u.getPath().substring(1);
            user = System.getenv().getOrDefault("DB_USER", "postgres");
            password = System.getenv().getOrDefault("DB_PASSWORD", "");
        }
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("prepareThreshold", "0");
        return DriverManager.getConnection("jdbc:postgresql://" + host + ":" + port + "/" + db, p);
    }

    void psql(String database, List<String> args, Path out) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(System.getenv().getOrDefault("PSQL", "psql"), "-X",
                "-v", "ON_ERROR_STOP=1"));
        String host = "localhost", user = "postgres", password = "";
        int port = o.pgPort;
        if (o.dbUrl != null) {
            URI u = URI.create(o.dbUrl);
            host = u.getHost();
            port = u.getPort() > 0 ? u.getPort() : 5432;
            user = System.getenv().getOrDefault("DB_USER", "postgres");
            password = System.getenv().getOrDefault("DB_PASSWORD", "");
        }
        cmd.addAll(List.of("-h", host, "-p", String.valueOf(port), "-U", user, "-d", database));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile()));
        pb.environment().put("PGPASSWORD", password);
        Process p = pb.start();
        if (p.waitFor() != 0) throw new IllegalStateException("psql failed; see " + out);
    }

    static String sh(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
        return out;
    }

    static void exec(Connection db, String sql) throws Exception {
        try (Statement st = db.createStatement()) {
            st.execute(sql);
        }
    }

    static String scalar(Connection db, String sql) throws Exception {
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    static long lng(Connection db, String sql) throws Exception {
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Runs a page query reading every column (as the service does); returns the ids. */
    static List<Long> ids(Connection db, String sql) throws Exception {
        List<Long> ids = new ArrayList<>();
        try (Statement st = db.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            int cols = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                ids.add(rs.getLong(1));
                for (int i = 2; i <= cols; i++) rs.getString(i);
            }
        }
        return ids;
    }

    static void copyOut(Connection db, String sql, Path file) throws Exception {
        try (OutputStream out = Files.newOutputStream(file)) {
            new CopyManager(db.unwrap(org.postgresql.core.BaseConnection.class)).copyOut(sql, out);
        }
    }

    static void deleteTree(Path p) throws Exception {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(x);
        }
    }

    @SuppressWarnings("unused")
    static void writeLines(Path p, List<String> lines) throws Exception {
        try (BufferedWriter w = Files.newBufferedWriter(p)) {
            for (String l : lines) {
                w.write(l);
                w.newLine();
            }
        }
    }
}
