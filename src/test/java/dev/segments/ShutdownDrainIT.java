package dev.segments;

import dev.segments.common.db.EmbeddedDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.ServerSocket;
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
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * SIGTERM on the packaged service (target/quarkus-app/quarkus-run.jar, in a child JVM, as the image runs it) with a
 * request in flight: a rule search held by a table lock taken from outside. The request in flight completes with
 * 200 once the lock goes; a request on a new connection meanwhile is served with {@code Connection: close} (Quarkus
 * keeps the listener open while it drains); the process exits within SHUTDOWN_TIMEOUT, and then connections are
 * refused.
 */
class ShutdownDrainIT {

    private static final String ADMIN = "drain-admin-key";
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration HELD = Duration.ofSeconds(3);

    // HTTP/1.1 as curl, browsers over TLS-less links and load balancers speak it; the JDK client's default h2c
    // upgrade makes Quarkus shut the connection down at SIGTERM (its workaround for JDK-8335181), requests in flight
    // on it included
    private final HttpClient http = client();

    private static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @Test
    void aRequestInFlightFinishesAfterSigtermAndTheProcessExitsInTime(@TempDir Path dir) throws Exception {
        Path jar = Path.of(System.getProperty("quarkus.app.jar", "target/quarkus-app/quarkus-run.jar"));
        assertTrue(Files.isRegularFile(jar), "the packaged service (mvn package) at " + jar);
        try (EmbeddedDatabase db = EmbeddedDatabase.start(dir.resolve("pg"), 0, true)) {
            int port = freePort();
            String base = "http://localhost:" + port;
            ProcessBuilder pb = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
                    "-jar", jar.toString()).redirectErrorStream(true);
            Map<String, String> env = pb.environment();
            env.putAll(db.connectionProperties());
            env.remove(EmbeddedDatabase.ACTIVE_PROPERTY);
            env.put("PORT", Integer.toString(port));
            env.put("ADMIN_KEY", ADMIN);
            env.put("DEMO_ENABLED", "false");
            env.put("WEBHOOKS_ENABLED", "false");
            env.put("ACCESS_LOG", "false");
            env.put("SHUTDOWN_TIMEOUT", SHUTDOWN_TIMEOUT.toSeconds() + "s");
            Process app = pb.start();
            List<String> output = new CopyOnWriteArrayList<>();
            Thread pump = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(app.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        output.add(line);
                    }
                } catch (IOException e) {
                    // the process is gone
                }
            });
            pump.setDaemon(true);
            pump.start();
            try {
                waitReady(base, app, output);
                String key = tenantKey(base);
                assertEquals(201, send(base, "POST", "/customers", key, "{\"externalId\":\"held\"}").statusCode());

                CompletableFuture<HttpResponse<String>> inFlight;
                long sigterm;
                try (Connection lock = DriverManager.getConnection("jdbc:postgresql://localhost:" + db.port() + "/postgres",
                        "postgres", "")) {
                    lock.setAutoCommit(false);
                    try (Statement s = lock.createStatement()) {
                        s.execute("lock table customer in access exclusive mode");
                    }
                    inFlight = http.sendAsync(request(base, "POST", "/customers/search?fields=externalId", key,
                            "{\"rule\":{\"field\":\"externalId\",\"op\":\"eq\",\"value\":\"held\"}}"),
                            HttpResponse.BodyHandlers.ofString());
                    waitForLockWaiter(lock);

                    app.destroy(); // SIGTERM
                    sigterm = System.nanoTime();
                    Thread.sleep(500);
                    assertServedWithConnectionClose(base, key);
                    assertFalse(inFlight.isDone(), "the request in flight still waits for the lock");
                    Thread.sleep(HELD.toMillis());
                    assertTrue(app.isAlive(), "the service waits for the request in flight");
                    lock.rollback(); // the lock goes: the search runs
                }
                HttpResponse<String> done = inFlight.get(SHUTDOWN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                assertEquals(200, done.statusCode(), done.body());
                assertTrue(done.body().contains("\"held\""), done.body());

                assertTrue(app.waitFor(SHUTDOWN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), "exited within the timeout");
                Duration took = Duration.ofNanos(System.nanoTime() - sigterm);
                assertTrue(took.compareTo(SHUTDOWN_TIMEOUT) < 0, "exit " + took + " after SIGTERM");
                assertRefused(base, key);
            } finally {
                app.destroyForcibly();
            }
        }
    }

    /**
     * A request on a new connection while the service drains: Quarkus still serves it (the listener stays open until
     * the requests in flight are done) and tells the client to close the connection, so a keep-alive client goes
     * elsewhere for the next one. (On Kubernetes the preStop sleep has taken the pod out of the Service first.)
     */
    private static void assertServedWithConnectionClose(String base, String key) throws Exception {
        try (HttpClient fresh = client()) {
            HttpResponse<String> late = fresh.send(request(base, "GET", "/segments", key, null),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, late.statusCode(), late.body());
            assertEquals("close", late.headers().firstValue("connection").orElse(null), late.headers().toString());
        }
    }

    /** After the exit nothing listens: a new connection is refused. */
    private static void assertRefused(String base, String key) throws Exception {
        try (HttpClient fresh = client()) {
            fresh.send(request(base, "GET", "/segments", key, null), HttpResponse.BodyHandlers.ofString());
            fail("a request after the exit was answered");
        } catch (ConnectException refused) {
            // nothing listens
        }
    }

    private void waitReady(String base, Process app, List<String> output) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            assertTrue(app.isAlive(), () -> "the service died:\n" + String.join("\n", output));
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(base + "/q/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        fail("the service did not get ready:\n" + String.join("\n", output));
    }

    private String tenantKey(String base) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/admin/tenants"))
                .header("Authorization", "Bearer " + ADMIN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"drain\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
        Matcher m = Pattern.compile("\"key\"\\s*:\\s*\"([^\"]+)\"").matcher(r.body());
        assertTrue(m.find(), r.body());
        return m.group(1);
    }

    private HttpResponse<String> send(String base, String method, String path, String key, String body) throws Exception {
        return http.send(request(base, method, path, key, body), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest request(String base, String method, String path, String key, String body) {
        return HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").header("Accept", "application/json")
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    /** Waits until the service's search waits for the lock (so it is in flight, inside PostgreSQL). */
    private static void waitForLockWaiter(Connection lock) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        try (Statement s = lock.createStatement()) {
            while (System.nanoTime() < deadline) {
                s.execute("select pg_stat_clear_snapshot()"); // the statistics are a snapshot per transaction otherwise
                try (ResultSet rs = s.executeQuery("select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                        + " and pid <> pg_backend_pid()")) {
                    rs.next();
                    if (rs.getInt(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(50);
            }
        }
        fail("the search never waited for the lock");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
