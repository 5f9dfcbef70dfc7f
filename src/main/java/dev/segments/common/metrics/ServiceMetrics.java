package dev.segments.common.metrics;

import dev.segments.common.config.ServiceConfig;
import dev.segments.common.schedule.RoundTimer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The service's own meters, served with Quarkus's HTTP, JVM and pool meters at {@code /q/metrics}
 * (docs/operations.md lists them). No meter has a tenant, a customer, a segment key or a URL in its name or tags:
 * the endpoint is operator-facing and served without a key, so it must not tell one tenant's data to anyone.
 *
 * <ul>
 *   <li>{@value #RULE_EVALUATION}: a timer around every statement that evaluates rules, by {@code shape}
 *   ({@code tenant}: counts, pages, exports, previews over a tenant's customers; {@code customers}: a few given
 *   customers; {@code membership}: a membership update or refresh) and {@code outcome} ({@code ok},
 *   {@code timeout}, {@code error});</li>
 *   <li>{@value #IMPORT_ROWS}: a counter of written rows by {@code stream} (customers, purchases, interactions,
 *   events) and {@code outcome} ({@code stored}, {@code duplicate}, {@code rejected});</li>
 *   <li>{@value #TIME_EVENTS}: a timer around every time-event batch (one transaction of the tick: the due
 *   customers taken, re-evaluated and their next due instants computed), by {@code outcome}, and
 *   {@value #TIME_EVENT_CUSTOMERS}, a counter of the customers those batches re-evaluated: the membership upkeep's
 *   cost, which grows with the boundary crossings, not with the base (docs/live-membership.md);</li>
 *   <li>{@value #WEBHOOK_ATTEMPTS}: a counter of webhook attempts by {@code outcome} ({@code delivered},
 *   {@code retry}: failed and due again, {@code failed}: failed for good);</li>
 *   <li>sampled gauges ({@link #sampled}): values read from the database every {@code segments.metrics.sample-interval}
 *   by a background round, never during a scrape (a scrape never waits for the database). The features register
 *   theirs: membership upkeep lag, webhook backlog.</li>
 * </ul>
 */
@ApplicationScoped
public class ServiceMetrics {

    public static final String RULE_EVALUATION = "segments.rule.evaluation";
    public static final String IMPORT_ROWS = "segments.import.rows";
    public static final String WEBHOOK_ATTEMPTS = "segments.webhook.attempts";
    public static final String TIME_EVENTS = "segments.membership.time_events";
    public static final String TIME_EVENT_CUSTOMERS = "segments.membership.time_events.customers";

    private static final Logger LOG = Logger.getLogger(ServiceMetrics.class);

    /** A gauge whose value a background round reads from the database. */
    private record Sampled(String name, Supplier<Uni<Double>> sample, AtomicReference<Double> value) {
    }

    private final MeterRegistry registry;
    private final Vertx vertx;
    private final Duration interval;
    private final RoundTimer rounds = new RoundTimer("metrics (sampled gauges)", LOG);
    private final List<Sampled> gauges = new CopyOnWriteArrayList<>();
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();

    ServiceMetrics(MeterRegistry registry, Vertx vertx, ServiceConfig config) {
        this.registry = registry;
        this.vertx = vertx;
        this.interval = config.metrics().sampleInterval();
    }

    void start(@Observes StartupEvent event) {
        rounds.start(vertx, interval, this::sampleAll);
    }

    void stop(@Observes ShutdownEvent event) {
        rounds.stopAndWait(vertx, RoundTimer.SHUTDOWN_WAIT);
    }

    // ------------------------------------------------------------------ rule evaluation

    /** Times one rule evaluation ({@code shape}: tenant, customers or membership), tagged with its outcome. */
    public <T> Uni<T> timeRuleEvaluation(String shape, Supplier<Uni<T>> work) {
        return Uni.createFrom().deferred(() -> {
            long start = System.nanoTime();
            return work.get().onItemOrFailure().invoke((item, failure) ->
                    ruleTimer(shape, outcome(failure)).record(System.nanoTime() - start,
                            java.util.concurrent.TimeUnit.NANOSECONDS));
        });
    }

    private Timer ruleTimer(String shape, String outcome) {
        return timers.computeIfAbsent(shape + '/' + outcome, k -> Timer.builder(RULE_EVALUATION)
                .description("Time of the statements that evaluate rules")
                .tag("shape", shape).tag("outcome", outcome).register(registry));
    }

    /** ok, timeout (PostgreSQL's statement timeout, SQLSTATE 57014, or a time limit) or error. */
    static String outcome(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TimeoutException || t instanceof io.vertx.pgclient.PgException pg
                    && "57014".equals(pg.getSqlState())) {
                return "timeout";
            }
        }
        return failure == null ? "ok" : "error";
    }

    /** Times one time-event batch and counts the customers it re-evaluated (the item). */
    public Uni<Integer> timeTimeEvents(Supplier<Uni<Integer>> batch) {
        return Uni.createFrom().deferred(() -> {
            long start = System.nanoTime();
            return batch.get().onItemOrFailure().invoke((customers, failure) -> {
                String outcome = outcome(failure);
                timers.computeIfAbsent(TIME_EVENTS + '/' + outcome, k -> Timer.builder(TIME_EVENTS)
                                .description("Time of the time-event batches (due customers re-evaluated)")
                                .tag("outcome", outcome).register(registry))
                        .record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
                if (customers != null && customers > 0) {
                    counter(TIME_EVENT_CUSTOMERS, "Customers re-evaluated by time events").increment(customers);
                }
            });
        });
    }

    // ------------------------------------------------------------------ counters

    /** Rows written by an import or a batch: {@code stream} customers/purchases/interactions/events. */
    public void rowsImported(String stream, String outcome, long rows) {
        if (rows > 0) {
            counter(IMPORT_ROWS, "Rows written by imports and batches, by stream and outcome",
                    "stream", stream, "outcome", outcome).increment(rows);
        }
    }

    /** One webhook attempt: delivered, retry (failed, due again) or failed (for good). */
    public void webhookAttempt(String outcome) {
        counter(WEBHOOK_ATTEMPTS, "Webhook delivery attempts by outcome", "outcome", outcome).increment();
    }

    private Counter counter(String name, String description, String... tags) {
        return counters.computeIfAbsent(name + String.join("/", tags), k -> Counter.builder(name)
                .description(description).tags(tags).register(registry));
    }

    // ------------------------------------------------------------------ sampled gauges

    /**
     * Registers a gauge read from the database by the background round (NaN until the first sample and after a
     * failed one, so a broken sample is not mistaken for zero).
     */
    public void sampled(String name, String description, String baseUnit, Supplier<Uni<Double>> sample) {
        AtomicReference<Double> value = new AtomicReference<>(Double.NaN);
        Gauge.builder(name, value, v -> v.get()).description(description).baseUnit(baseUnit).register(registry);
        gauges.add(new Sampled(name, sample, value));
    }

    /** Reads every sampled gauge now (the background round does this every interval; tests call it). */
    public Uni<Integer> sampleAll() {
        return Multi.createFrom().iterable(gauges)
                .onItem().transformToUniAndConcatenate(g -> g.sample().get()
                        .invoke(v -> g.value().set(v == null ? Double.NaN : v))
                        .replaceWith(1)
                        .onFailure().recoverWithItem(e -> {
                            LOG.debugf(e, "sampling %s failed", g.name());
                            g.value().set(Double.NaN);
                            return 0;
                        }))
                .collect().asList().map(done -> done.stream().mapToInt(Integer::intValue).sum());
    }
}
