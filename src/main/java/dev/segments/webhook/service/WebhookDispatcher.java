package dev.segments.webhook.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.metrics.ServiceMetrics;
import dev.segments.webhook.persistence.ChangeRow;
import dev.segments.webhook.persistence.ClaimedDelivery;
import dev.segments.webhook.persistence.DeliveryRepository;
import dev.segments.webhook.persistence.SubscriptionRow;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.http.HttpClient;
import io.vertx.mutiny.core.http.HttpClientRequest;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Turns the change feed into webhook deliveries and sends them (docs/webhooks.md).
 *
 * <p>A cycle has two steps. <b>Enqueue:</b> for every active subscription without a pending delivery whose tenant
 * has changes after its cursor, one transaction reads up to {@code batch-size} matching changes, inserts a pending
 * delivery holding the exact body to send, and moves the cursor past every change it scanned. <b>Send:</b> due
 * pending deliveries are claimed with a lease (attempts + 1, not due again until request timeout + lease margin)
 * in a committed statement, then POSTed, signed; the outcome is recorded afterwards. A process that stops between
 * the claim and the record leaves the delivery pending, so it is sent again, with the same id, when the lease ends.
 *
 * <p>With {@code segments.webhooks.enabled} a timer runs a cycle every {@code poll-interval}, sends without
 * waiting for them (at most {@code max-in-flight} at once), and starts the next cycle at once after a delivery
 * succeeds so a backlog drains at the receiver's pace. Several instances may run: claims use
 * {@code for update skip locked}. Tests call {@link #runOnce()}.
 */
@ApplicationScoped
public class WebhookDispatcher {

    /** What one {@link #runOnce()} did: deliveries created, attempts made, attempts that succeeded. */
    public record Cycle(int created, int sent, int delivered) {
    }

    /** The outcome of one HTTP attempt: the status code if a response came, else why not. */
    public record Attempt(Integer statusCode, String error) {
        public boolean ok() {
            return statusCode != null && statusCode >= 200 && statusCode < 300;
        }
    }

    public static final String EVENT_TYPE = "membership.changed";
    /** The outbox gauges (docs/operations.md). */
    public static final String BACKLOG = "segments.webhook.backlog";
    public static final String BACKLOG_AGE = "segments.webhook.backlog.age";
    private static final Logger LOG = Logger.getLogger(WebhookDispatcher.class);
    private static final int ENQUEUE_LIMIT = 1000;
    private static final long MAX_DRAIN_BYTES = 64 * 1024;
    private static final String USER_AGENT = "segments-webhooks/1";
    /** How long shutdown waits for attempts under way before giving their leases back. */
    static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(5);

    private final DeliveryRepository deliveries;
    private final ObjectMapper mapper;
    private final ServiceConfig.Webhooks config;
    private final Vertx vertx;
    private final Backoff backoff;
    private final HttpClient client;
    private final WebhookTargets targets;
    private final ServiceMetrics metrics;

    private final AtomicBoolean ticking = new AtomicBoolean();
    private final AtomicBoolean again = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Map<UUID, Integer> held = new ConcurrentHashMap<>();
    private volatile long timerId = -1;
    private volatile boolean stopping;

    WebhookDispatcher(DeliveryRepository deliveries, ObjectMapper mapper, ServiceConfig config, Vertx vertx,
                      WebhookTargets targets, ServiceMetrics metrics) {
        this.deliveries = deliveries;
        this.metrics = metrics;
        metrics.sampled(BACKLOG, "Pending webhook deliveries (all tenants)", null, deliveries::backlog);
        metrics.sampled(BACKLOG_AGE, "Age of the oldest pending webhook delivery (0: none pending)", "seconds",
                deliveries::backlogAgeSeconds);
        this.targets = targets;
        this.mapper = mapper;
        this.config = config.webhooks();
        this.vertx = vertx;
        this.backoff = new Backoff(this.config.backoffBase(), this.config.backoffMax());
        int timeoutMs = (int) Math.min(Integer.MAX_VALUE, this.config.requestTimeout().toMillis());
        this.client = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout(timeoutMs).setKeepAlive(true)
                        .setName("webhooks"),
                new PoolOptions().setHttp1MaxSize(Math.max(1, this.config.maxInFlight())));
    }

    void onStart(@Observes StartupEvent event) {
        if (!config.enabled()) {
            LOG.info("Webhook dispatcher disabled (segments.webhooks.enabled=false)");
            return;
        }
        timerId = vertx.setPeriodic(Math.max(10, config.pollInterval().toMillis()), id -> tick());
    }

    /**
     * At shutdown (after the HTTP server stopped taking requests and those in flight finished): no new cycle; the
     * attempts under way get up to {@link #SHUTDOWN_WAIT} to get their answer recorded; the leases still held are
     * given back ({@link #releaseLeases()}), so another instance sends those deliveries now, not after the lease.
     */
    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        if (timerId >= 0) {
            vertx.cancelTimer(timerId);
        }
        long deadline = System.nanoTime() + SHUTDOWN_WAIT.toNanos();
        while (!held.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            int released = releaseLeases().await().atMost(Duration.ofSeconds(5));
            if (released > 0) {
                LOG.infof("Shutdown: gave back the leases of %d webhook deliveries in flight", released);
            }
        } catch (RuntimeException e) {
            LOG.warn("Shutdown: giving back the webhook leases failed; they end by themselves", e);
        }
    }

    /**
     * Gives back every lease this instance holds (deliveries claimed whose outcome is not recorded yet): they are
     * due now, the attempt not counted. Returns how many were still pending at the claimed attempt.
     */
    public Uni<Integer> releaseLeases() {
        Map<UUID, Integer> snapshot = new HashMap<>(held);
        List<UUID> ids = List.copyOf(snapshot.keySet());
        return deliveries.release(ids, ids.stream().map(snapshot::get).toList())
                .invoke(() -> ids.forEach(id -> held.remove(id, snapshot.get(id))));
    }

    /** The deliveries this instance has claimed and not yet recorded, with the attempt each was claimed for. */
    public Map<UUID, Integer> heldLeases() {
        return Map.copyOf(held);
    }

    @PreDestroy
    void close() {
        client.closeAndForget();
    }

    // ------------------------------------------------------------------ the timer

    private void tick() {
        if (stopping) {
            return;
        }
        if (!ticking.compareAndSet(false, true)) {
            again.set(true);
            return;
        }
        again.set(false);
        enqueue().chain(() -> {
            int room = Math.max(1, config.maxInFlight()) - inFlight.get();
            return room > 0 ? claim(room) : Uni.createFrom().item(List.<ClaimedDelivery>of());
        }).subscribe().with(claimed -> {
            claimed.forEach(this::deliverInBackground);
            tickDone();
        }, failure -> {
            LOG.warn("Webhook dispatch cycle failed; retrying at the next poll", failure);
            tickDone();
        });
    }

    private void tickDone() {
        ticking.set(false);
        if (again.getAndSet(false)) {
            tick();
        }
    }

    private void deliverInBackground(ClaimedDelivery delivery) {
        inFlight.incrementAndGet();
        deliver(delivery).subscribe().with(attempt -> {
            inFlight.decrementAndGet();
            if (attempt.ok()) {
                tick();
            }
        }, failure -> {
            inFlight.decrementAndGet();
            LOG.warnf(failure, "Recording the outcome of webhook delivery %s failed; it is sent again after its lease",
                    delivery.id());
        });
    }

    // ------------------------------------------------------------------ the steps of a cycle

    /** One full cycle (enqueue, claim, send every claimed delivery and record the outcomes), for tests and tools. */
    public Uni<Cycle> runOnce() {
        return enqueue().chain(created -> claim(Math.max(1, config.maxInFlight())).chain(claimed -> {
            if (claimed.isEmpty()) {
                return Uni.createFrom().item(new Cycle(created, 0, 0));
            }
            return Uni.join().all(claimed.stream().map(this::deliver).toList()).andCollectFailures()
                    .map(attempts -> new Cycle(created, attempts.size(),
                            (int) attempts.stream().filter(Attempt::ok).count()));
        }));
    }

    /** Creates the next delivery of every subscription that is behind and has none pending; returns how many. */
    public Uni<Integer> enqueue() {
        return deliveries.subscriptionsBehind(ENQUEUE_LIMIT).chain(ids -> Multi.createFrom().iterable(ids)
                .onItem().transformToUniAndConcatenate(id -> enqueue(id).onFailure().recoverWithItem(e -> {
                    LOG.warnf(e, "Creating the next delivery of webhook %d failed", id);
                    return false;
                }))
                .collect().asList()
                .map(created -> (int) created.stream().filter(Boolean::booleanValue).count()));
    }

    /**
     * In one transaction: locks the subscription (if idle), reads its next batch, inserts the delivery and moves
     * the cursor. True when a delivery was created (false also when only non-matching changes were skipped).
     */
    Uni<Boolean> enqueue(long subscriptionId) {
        return deliveries.inTransaction(conn -> deliveries.lockIfIdle(conn, subscriptionId).chain(locked -> {
            if (locked.isEmpty()) {
                return Uni.createFrom().item(false);
            }
            SubscriptionRow s = locked.get();
            return deliveries.readFeed(conn, s.tenantId(), s.lastChangeId(), s.segments(),
                    Math.max(1, config.batchSize())).chain(batch -> {
                Uni<Boolean> created;
                if (batch.changes().isEmpty()) {
                    created = Uni.createFrom().item(false);
                } else {
                    UUID id = UUID.randomUUID();
                    created = deliveries.insert(conn, id, s, batch.changes(), body(id, s, batch.changes()))
                            .replaceWith(true);
                }
                return created.call(() -> deliveries.advance(conn, s.id(), batch.scannedTo()));
            });
        }));
    }

    /** Claims up to {@code limit} due deliveries for one attempt each (see {@link DeliveryRepository#claim}). */
    public Uni<List<ClaimedDelivery>> claim(int limit) {
        return deliveries.claim(lease(), limit).invoke(claimed -> claimed.forEach(d -> held.put(d.id(), d.attempt())));
    }

    /** How long a claimed attempt is protected from being claimed again. */
    public Duration lease() {
        return config.requestTimeout().plus(config.leaseMargin());
    }

    /** Sends a claimed delivery and records the outcome. */
    public Uni<Attempt> deliver(ClaimedDelivery delivery) {
        return send(delivery).call(attempt -> record(delivery, attempt))
                .onTermination().invoke(() -> held.remove(delivery.id(), delivery.attempt()));
    }

    /**
     * The HTTP attempt alone: POSTs the body with the id, timestamp and signature headers; never fails (an error
     * or timeout is an {@link Attempt} without a status code). The URL's host is resolved and checked again now
     * ({@link WebhookTargets}) and the connection goes to exactly the address that passed, with the URL's host as
     * Host header and TLS server name; a target that is no longer allowed is not connected to at all. Redirects
     * are not followed. The log gets the status and a fixed reason, never anything the receiver sent.
     */
    public Uni<Attempt> send(ClaimedDelivery delivery) {
        long timestamp = Instant.now().getEpochSecond();
        String signature = WebhookSignature.sign(delivery.secret(), delivery.id().toString(), timestamp, delivery.body());
        Duration timeout = config.requestTimeout();
        AtomicReference<HttpClientRequest> request = new AtomicReference<>();
        return targets.resolve(delivery.url())
                .chain(target -> client.request(new RequestOptions()
                        .setMethod(HttpMethod.POST).setAbsoluteURI(delivery.url()).setFollowRedirects(false)
                        .setServer(SocketAddress.inetSocketAddress(
                                new InetSocketAddress(target.address(), target.port())))
                        .setConnectTimeout(timeout.toMillis()).setIdleTimeout(timeout.toMillis())
                        .putHeader("Content-Type", "application/json")
                        .putHeader("User-Agent", USER_AGENT)
                        .putHeader(WebhookSignature.ID_HEADER, delivery.id().toString())
                        .putHeader(WebhookSignature.TIMESTAMP_HEADER, Long.toString(timestamp))
                        .putHeader(WebhookSignature.SIGNATURE_HEADER, signature)))
                .chain(req -> {
                    request.set(req);
                    return req.send(delivery.body());
                })
                .chain(response -> {
                    // The body is read and dropped (so the connection can be reused); a long one is cut off.
                    Attempt attempt = attempt(response.statusCode());
                    AtomicLong read = new AtomicLong();
                    response.handler(buffer -> {
                        if (read.addAndGet(buffer.length()) > MAX_DRAIN_BYTES) {
                            request.get().reset();
                        }
                    });
                    return response.end().onItemOrFailure().transform((v, e) -> attempt);
                })
                .ifNoItem().after(timeout).failWith(() -> new TimeoutException("no response within " + timeout))
                .onFailure().invoke(e -> {
                    HttpClientRequest req = request.get();
                    if (req != null) {
                        req.reset();
                    }
                    if (e instanceof TargetPolicy.Refused refused) {
                        LOG.infof("Webhook delivery %s of subscription %d not sent: target refused (%s)",
                                delivery.id(), delivery.subscriptionId(), refused.reason());
                    } else {
                        LOG.debugf(e, "Webhook delivery %s of subscription %d failed", delivery.id(),
                                delivery.subscriptionId());
                    }
                })
                .onFailure().recoverWithItem(e -> new Attempt(null, reason(e)));
    }

    /** Delivered; or due again after the backoff; or failed for good after the last attempt. */
    Uni<Void> record(ClaimedDelivery delivery, Attempt attempt) {
        if (attempt.ok()) {
            metrics.webhookAttempt("delivered");
            return deliveries.markDelivered(delivery.id(), attempt.statusCode());
        }
        boolean last = delivery.attempt() >= Math.max(1, config.maxAttempts());
        metrics.webhookAttempt(last ? "failed" : "retry");
        if (last) {
            LOG.warnf("Webhook delivery %s to subscription %d failed after %d attempts: %s", delivery.id(),
                    delivery.subscriptionId(), delivery.attempt(), attempt.error());
        }
        return deliveries.markAttemptFailed(delivery.id(), delivery.attempt(), attempt.statusCode(), attempt.error(),
                last ? null : backoff.after(delivery.attempt()));
    }

    /** The body of a delivery: what the receiver gets, stored before the first attempt and identical on each. */
    String body(UUID id, SubscriptionRow subscription, List<ChangeRow> changes) {
        ObjectNode root = mapper.createObjectNode();
        root.put("type", EVENT_TYPE);
        root.put("deliveryId", id.toString());
        root.put("subscriptionId", subscription.id());
        root.put("firstChangeId", changes.get(0).id());
        root.put("lastChangeId", changes.get(changes.size() - 1).id());
        root.put("count", changes.size());
        ArrayNode list = root.putArray("changes");
        for (ChangeRow c : changes) {
            ObjectNode item = list.addObject();
            item.put("id", c.id());
            item.put("segment", c.segmentKey());
            item.put("customerId", c.customerId());
            if (c.customerExternalId() == null) {
                item.putNull("customerExternalId");
            } else {
                item.put("customerExternalId", c.customerExternalId());
            }
            item.put("kind", c.kind());
            item.put("cause", c.cause());
            item.put("at", DateTimeFormatter.ISO_INSTANT.format(c.at().toInstant()));
            if (c.flippedNodes() == null) {
                item.putNull("flippedNodes");
            } else {
                ArrayNode nodes = item.putArray("flippedNodes");
                c.flippedNodes().forEach(nodes::add);
            }
        }
        try {
            return mapper.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** 2xx: delivered; 3xx: a redirect, not followed; anything else: the status alone. */
    private static Attempt attempt(int status) {
        if (status >= 200 && status < 300) {
            return new Attempt(status, null);
        }
        return new Attempt(status, status >= 300 && status < 400 ? "redirect not followed" : "HTTP " + status);
    }

    /** A fixed short reason for an attempt without a response: never an exception message (it names addresses). */
    static String reason(Throwable e) {
        if (e instanceof TargetPolicy.Refused) {
            return "target not allowed";
        }
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TimeoutException || t instanceof java.net.SocketTimeoutException
                    || t.getClass().getSimpleName().contains("Timeout")) {
                return "timeout";
            }
            if (t instanceof java.net.ConnectException) {
                String m = t.getMessage();
                return m != null && m.toLowerCase(java.util.Locale.ROOT).contains("refused")
                        ? "connection refused" : "connection failed";
            }
            if (t instanceof javax.net.ssl.SSLException) {
                return "TLS handshake failed";
            }
            if (t instanceof io.vertx.core.http.HttpClosedException
                    || t instanceof io.vertx.core.http.StreamResetException) {
                return "connection closed";
            }
        }
        return "request failed";
    }
}
