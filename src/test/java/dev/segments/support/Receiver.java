package dev.segments.support;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A local webhook receiver for tests (the JDK's HTTP server on a free port): records every request, and answers
 * each one as {@link #respond} says (a status, or a hang before answering).
 */
public final class Receiver implements AutoCloseable {

    /** One request as received. */
    public record Request(String id, String timestamp, String signature, String contentType, String body,
                          Instant receivedAt, String host) {
    }

    /**
     * What to do with the n-th request (0-based): answer {@code status} after waiting {@code delay}, with a
     * {@code Location} header when {@code location} is set.
     */
    public record Answer(int status, Duration delay, String location) {
        public Answer(int status, Duration delay) {
            this(status, delay, null);
        }

        public static Answer of(int status) {
            return new Answer(status, Duration.ZERO);
        }

        public static Answer redirect(int status, String location) {
            return new Answer(status, Duration.ZERO, location);
        }
    }

    /** The body of every answer that is not 2xx (and a header of every answer): neither may reach the log. */
    public static final String ERROR_BODY = "receiver says no: internal-token=s3cr3t";
    public static final String SECRET_HEADER = "X-Internal-Token";

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Request> requests = new ArrayList<>();
    private final AtomicInteger count = new AtomicInteger();
    private volatile IntFunction<Answer> respond = n -> Answer.of(200);

    public Receiver() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            String body;
            try (InputStream in = exchange.getRequestBody()) {
                body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            var h = exchange.getRequestHeaders();
            synchronized (requests) {
                requests.add(new Request(h.getFirst("Webhook-Id"), h.getFirst("Webhook-Timestamp"),
                        h.getFirst("Webhook-Signature"), h.getFirst("Content-Type"), body, Instant.now(),
                        h.getFirst("Host")));
            }
            Answer answer = respond.apply(count.getAndIncrement());
            try {
                if (!answer.delay().isZero()) {
                    Thread.sleep(answer.delay().toMillis());
                }
                byte[] out = answer.status() == 204 ? new byte[0]
                        : (answer.status() < 300 ? "ok" : ERROR_BODY).getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add(SECRET_HEADER, "s3cr3t-header");
                if (answer.location() != null) {
                    exchange.getResponseHeaders().add("Location", answer.location());
                }
                exchange.sendResponseHeaders(answer.status(), out.length == 0 ? -1 : out.length);
                try (OutputStream os = exchange.getResponseBody()) {
                    os.write(out);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the client gave up (timeout): nothing to answer
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    /** Sets how the following requests are answered, by their number (0-based, counting every request). */
    public Receiver respond(IntFunction<Answer> respond) {
        this.respond = respond;
        return this;
    }

    /** The first {@code n} requests get {@code status}, the rest 200. */
    public Receiver failFirst(int n, int status) {
        return respond(i -> Answer.of(i < n ? status : 200));
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
