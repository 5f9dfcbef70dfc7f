import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The columnar anchor (issue 17): a private clickhouse-server on loopback (free ports, its own config.xml/users.xml
 * and data under bench/.work/&lt;size&gt;/clickhouse; no systemd, nothing in /etc), queried over its HTTP interface and
 * loaded with clickhouse-client. Not a dependency of the service.
 */
final class ClickHouse {

    final Path dir;
    final int httpPort, tcpPort;
    Process process;
    final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    ClickHouse(Path dir, int httpPort, int tcpPort) {
        this.dir = dir;
        this.httpPort = httpPort;
        this.tcpPort = tcpPort;
    }

    /** The server executable: $CLICKHOUSE_SERVER if set (empty: none), else clickhouse-server on PATH or in /usr/sbin. */
    static String server() {
        return located("CLICKHOUSE_SERVER", "clickhouse-server");
    }

    /** The client executable: $CLICKHOUSE_CLIENT if set (empty: none), else clickhouse-client on PATH. */
    static String client() {
        return located("CLICKHOUSE_CLIENT", "clickhouse-client");
    }

    static String located(String env, String name) {
        String v = System.getenv(env);
        if (v != null) return !v.isEmpty() && Files.isExecutable(Path.of(v)) ? v : null;
        return onPath(name);
    }

    /** The executable on PATH (or in /usr/sbin, where Debian puts the server), or null. */
    static String onPath(String name) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.add("/usr/sbin");
        dirs.add("/usr/bin");
        for (String d : dirs) {
            if (d.isEmpty()) continue;
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) return p.toString();
        }
        return null;
    }

    /** A fresh data directory, a minimal config, the server started and answering. Returns the milliseconds it took. */
    long start() throws Exception {
        Bench.deleteTree(dir);
        Files.createDirectories(dir.resolve("data"));
        Files.createDirectories(dir.resolve("tmp"));
        Files.createDirectories(dir.resolve("user_files"));
        Files.createDirectories(dir.resolve("format_schemas"));
        Files.writeString(dir.resolve("config.xml"), """
                <?xml version="1.0"?>
                <yandex>
                    <logger><level>warning</level><log>%1$s/server.log</log><errorlog>%1$s/error.log</errorlog><console>0</console></logger>
                    <listen_host>127.0.0.1</listen_host>
                    <http_port>%2$d</http_port>
                    <tcp_port>%3$d</tcp_port>
                    <path>%1$s/data/</path>
                    <tmp_path>%1$s/tmp/</tmp_path>
                    <user_files_path>%1$s/user_files/</user_files_path>
                    <format_schema_path>%1$s/format_schemas/</format_schema_path>
                    <users_config>users.xml</users_config>
                    <default_profile>default</default_profile>
                    <default_database>default</default_database>
                    <mark_cache_size>268435456</mark_cache_size>
                    <max_concurrent_queries>16</max_concurrent_queries>
                </yandex>
                """.formatted(dir, httpPort, tcpPort));
        Files.writeString(dir.resolve("users.xml"), """
                <?xml version="1.0"?>
                <yandex>
                    <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
                    <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
                    <quotas><default></default></quotas>
                </yandex>
                """);
        long t0 = System.nanoTime();
        process = new ProcessBuilder(server(), "--config-file=" + dir.resolve("config.xml")).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("stdout.log").toFile()))
                .start();
        Exception last = null;
        for (int i = 0; i < 600; i++) {
            if (!process.isAlive()) {
                throw new IllegalStateException("clickhouse-server exited with " + process.exitValue() + "; see "
                        + dir.resolve("error.log") + " and " + dir.resolve("stdout.log"));
            }
            try {
                if (query("select 1").equals("1")) return (System.nanoTime() - t0) / 1_000_000;
            } catch (Exception e) {
                last = e;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("clickhouse-server did not answer on 127.0.0.1:" + httpPort, last);
    }

    void stop() throws Exception {
        if (process == null || !process.isAlive()) return;
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    String version() throws Exception {
        return query("select version()");
    }

    /** One statement over HTTP; its result as text (TabSeparated), trimmed. */
    String query(String sql) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/"))
                        .timeout(Duration.ofMinutes(30)).POST(HttpRequest.BodyPublishers.ofString(sql)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException("ClickHouse: " + r.statusCode() + " " + r.body().trim());
        return r.body().trim();
    }

    long count(String sql) throws Exception {
        return Long.parseLong(query(sql));
    }

    /** Every statement of a file (separated by ';' at the end of a line), comment lines dropped. */
    void script(Path file) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (String line : Files.readAllLines(file)) {
            if (line.trim().startsWith("--")) continue;
            sb.append(line).append('\n');
        }
        for (String st : sb.toString().split(";\\s*\\n")) {
            if (!st.isBlank()) query(st.trim());
        }
    }

    /**
     * Streams a PostgreSQL {@code COPY ... TO STDOUT} into {@code clickhouse-client ... INSERT ... FORMAT CSV}. Returns
     * the rows PostgreSQL sent.
     */
    long pipe(java.sql.Connection pg, String copyOut, String table, Path log) throws Exception {
        Process p = new ProcessBuilder(client(), "--host", "127.0.0.1", "--port", String.valueOf(tcpPort),
                "--query", "insert into " + table + " format CSV").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long rows;
        try (OutputStream in = p.getOutputStream()) {
            rows = new org.postgresql.copy.CopyManager(pg.unwrap(org.postgresql.core.BaseConnection.class)).copyOut(copyOut, in);
        } catch (Exception e) {
            p.destroyForcibly();
            throw e;
        }
        if (p.waitFor() != 0) throw new IllegalStateException("clickhouse-client insert into " + table + " failed; see " + log);
        return rows;
    }

    @SuppressWarnings("unused")
    static String read(InputStream in) throws Exception {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
