package dev.segments.common.db;

import dev.segments.common.config.ServiceConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.vertx.ContextLocals;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.pgclient.PgBuilder;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.PoolOptions;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The one seam between heavy reads and the database: {@link #read} runs a read on the streaming replica
 * ({@code segments.db.read-url}, {@code DB_READ_URL}) when there is one and the read may be stale by a little, and on
 * the primary (the default reactive pool) otherwise. Writes never come here: they use the primary pool directly.
 *
 * <p>A read goes to the primary when
 * <ul>
 *   <li>no replica is configured;</li>
 *   <li>its request is not marked as one that only reads ({@link #allowReplica}: a REST GET or HEAD, a POST marked
 *   {@link ReplicaReads}, a GraphQL query; see {@link ReadConsistency}): writes, reads in the request of a write,
 *   GraphQL mutations and subscriptions, background work (schedulers, membership upkeep) all read the primary, and
 *   {@link #stickToPrimary} takes a request back to the primary;</li>
 *   <li>its request carries a {@code Read-After} token (the primary's WAL position after a write, sent back by every
 *   REST write response while a replica is configured) that the replica has not replayed yet, or
 *   {@code Read-After: primary};</li>
 *   <li>the replica is down, is not a standby, or lags the primary by more than {@code segments.db.read-max-lag};</li>
 *   <li>the replica fails it for a reason of the replica (connection lost, recovery conflict): the read is run again
 *   on the primary and the replica is taken out until the next probe finds it well.</li>
 * </ul>
 *
 * <p>The lag is probed every {@code segments.db.read-probe-interval}, off the request path: the primary's
 * {@code pg_current_wal_lsn()} is sampled (reserved pool), then the replica's {@code pg_last_wal_replay_lsn()}; the lag is
 * the age of the newest primary sample the replica has replayed (so an idle primary is no lag, and a replica whose
 * WAL receiver is gone is seen lagging as soon as the primary writes). {@code pg_last_xact_replay_timestamp()} is
 * read for the log. Every routing decision counts in {@value #ROUTED} by {@code target} and {@code reason}; every
 * change of the replica's state is logged once. Readiness never depends on the replica.
 */
@ApplicationScoped
public class ReadPools {

    public static final String ROUTED = "segments.db.reads";
    public static final String LAG = "segments.db.replica.lag";
    public static final String AVAILABLE = "segments.db.replica.available";

    static final String PRIMARY_LOCAL = "segments.reads.primary";
    static final String REPLICA_LOCAL = "segments.reads.replica";
    static final String READ_AFTER_LOCAL = "segments.reads.after";

    private static final Logger LOG = Logger.getLogger(ReadPools.class);
    private static final Pattern LSN = Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");
    private static final int MAX_SAMPLES = 4096;

    /** Why a read went where it went (the {@code reason} tag). */
    public enum Reason {
        /** on the replica */
        REPLICA,
        /** the request writes or must see its writes */
        REQUEST,
        /** the Read-After token is ahead of the replica */
        TOKEN,
        /** the replica did not answer the last probe */
        DOWN,
        /** the replica lags more than the bound */
        LAGGING,
        /** the replica is not in recovery (a promoted or wrongly configured server) */
        NOT_STANDBY,
        /** no probe has answered yet */
        UNKNOWN,
        /** the replica failed this read; it ran again on the primary */
        FAILED;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private record Sample(long nanos, long lsn) {
    }

    private final Pool primary;
    private final Pool reserved;
    private final Vertx vertx;
    private final MeterRegistry registry;
    private final Pool replica;
    private final Duration maxLag;
    private final Duration probeInterval;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Deque<Sample> samples = new ArrayDeque<>();

    private volatile Reason state = Reason.UNKNOWN;
    private volatile long replayed = -1;
    private volatile double lagSeconds = Double.NaN;
    private volatile boolean probing;
    private long timer = -1;

    ReadPools(Pool primary, @ReservedPool Pool reserved, Vertx vertx, ServiceConfig config, MeterRegistry registry,
              @ConfigProperty(name = "quarkus.datasource.username") Optional<String> user,
              @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password) {
        this.primary = primary;
        this.reserved = reserved;
        this.vertx = vertx;
        this.registry = registry;
        ServiceConfig.Db db = config.db();
        this.maxLag = db.readMaxLag();
        this.probeInterval = db.readProbeInterval();
        this.replica = db.readUrl().map(url -> {
            PgConnectOptions connect = PgConnectOptions.fromUri(url.startsWith("vertx-reactive:") ? url.substring(15) : url);
            db.readUser().or(() -> user).ifPresent(connect::setUser);
            db.readPassword().or(() -> password).ifPresent(connect::setPassword);
            // a replica that does not answer a TCP connect must not hold reads for the default minute
            connect.setConnectTimeout(2000);
            PoolOptions options = new PoolOptions().setMaxSize(db.readPoolSize()).setName("replica")
                    .setIdleTimeout(60).setIdleTimeoutUnit(TimeUnit.SECONDS);
            return PgBuilder.pool().with(options).connectingTo(connect).using(vertx).build();
        }).orElse(null);
    }

    void start(@Observes StartupEvent event) {
        if (replica == null) {
            return;
        }
        Gauge.builder(LAG, this, r -> r.lagSeconds).baseUnit("seconds")
                .description("Replication lag of the read replica as last probed (NaN while unknown or down)")
                .register(registry);
        Gauge.builder(AVAILABLE, this, r -> r.state == Reason.REPLICA ? 1 : 0)
                .description("1 while heavy reads may go to the read replica, 0 while they fall back to the primary")
                .register(registry);
        probe();
        timer = vertx.setPeriodic(probeInterval.toMillis(), id -> probe());
    }

    void stop(@Observes ShutdownEvent event) {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
        if (replica != null) {
            replica.close().subscribe().with(v -> { }, e -> { });
        }
    }

    /** Whether a replica is configured (then write responses carry a {@code Read-After} token). */
    public boolean replicaConfigured() {
        return replica != null;
    }

    /** The replica's state as last probed: {@link Reason#REPLICA} when reads may go there (tests, logs). */
    public Reason replicaState() {
        return state;
    }

    /**
     * Runs a read on the pool this request may read from (see the class comment). {@code work} may be called twice:
     * on the replica, and on the primary again when the replica failed it for a reason of its own.
     */
    public <T> Uni<T> read(Function<Pool, Uni<T>> work) {
        Reason reason = route();
        if (replica == null) {
            return work.apply(primary);
        }
        count(reason);
        if (reason != Reason.REPLICA) {
            return work.apply(primary);
        }
        return Uni.createFrom().deferred(() -> work.apply(replica)).onFailure(ReadPools::replicaFault).recoverWithUni(e -> {
            takeOut(Reason.FAILED, e);
            count(Reason.FAILED);
            return work.apply(primary);
        });
    }

    /**
     * The current request only reads (a GET, a {@link ReplicaReads} POST, a GraphQL query), so its heavy reads may go
     * to the replica. Without this mark every read goes to the primary: writes, background work, anything unmarked.
     */
    public static void allowReplica() {
        if (VertxContext.isOnDuplicatedContext()) {
            ContextLocals.put(REPLICA_LOCAL, Boolean.TRUE);
        }
    }

    /** The reads of the current request go to the primary from now on (it wrote, or must see what it wrote). */
    public static void stickToPrimary() {
        if (VertxContext.isOnDuplicatedContext()) {
            ContextLocals.put(PRIMARY_LOCAL, Boolean.TRUE);
        }
    }

    /**
     * The current request's {@code Read-After} value: {@code primary} or a WAL position {@code X/Y}; false when it is
     * neither (the caller refuses the request).
     */
    static boolean readAfter(String token) {
        if (token.equalsIgnoreCase("primary")) {
            ContextLocals.put(PRIMARY_LOCAL, Boolean.TRUE);
            return true;
        }
        if (!LSN.matcher(token).matches()) {
            return false;
        }
        ContextLocals.put(READ_AFTER_LOCAL, lsn(token));
        return true;
    }

    /** The primary's WAL insert position now, as a {@code Read-After} token (on the reserved pool: one short statement). */
    Uni<String> primaryPosition() {
        return reserved.query("select pg_current_wal_insert_lsn()::text").execute()
                .map(rs -> rs.iterator().next().getString(0));
    }

    private Reason route() {
        if (replica == null) {
            return Reason.REQUEST;
        }
        if (!VertxContext.isOnDuplicatedContext() || ContextLocals.get(PRIMARY_LOCAL).isPresent()
                || ContextLocals.get(REPLICA_LOCAL).isEmpty()) {
            return Reason.REQUEST;
        }
        Optional<Long> after = ContextLocals.get(READ_AFTER_LOCAL);
        if (after.isPresent() && (state != Reason.REPLICA || after.get() > replayed)) {
            return Reason.TOKEN;
        }
        return state;
    }

    private void count(Reason reason) {
        String target = reason == Reason.REPLICA ? "replica" : "primary";
        counters.computeIfAbsent(reason.tag(), tag -> Counter.builder(ROUTED)
                .description("Heavy reads by the pool they ran on and why (reason replica: on the replica; any other: a fallback to the primary)")
                .tag("target", target).tag("reason", tag).register(registry)).increment();
    }

    /** A failure of the replica itself (not of the statement): connection refused or lost, recovery conflict, shutdown. */
    private static boolean replicaFault(Throwable e) {
        if (e instanceof PgException pg) {
            String code = pg.getSqlState();
            return code != null && (code.startsWith("08") || code.equals("40001") || code.startsWith("57P"));
        }
        return true;
    }

    private void takeOut(Reason reason, Throwable cause) {
        Reason before = state;
        state = reason;
        lagSeconds = Double.NaN;
        if (before != reason) {
            LOG.warnf("Read replica unavailable (%s: %s); heavy reads fall back to the primary",
                    reason.tag(), cause == null ? "" : cause.getMessage());
        }
    }

    private void probe() {
        if (probing) {
            return;
        }
        probing = true;
        long timeout = Math.max(500, probeInterval.toMillis() * 2);
        reserved.query("select pg_current_wal_lsn()::text").execute()
                .map(rs -> lsn(rs.iterator().next().getString(0)))
                .invoke(this::sample)
                .chain(() -> replica.query("select pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,"
                        + " extract(epoch from now() - pg_last_xact_replay_timestamp())::float8").execute())
                .ifNoItem().after(Duration.ofMillis(timeout)).fail()
                .subscribe().with(rs -> {
                    probing = false;
                    observe(rs.iterator().next());
                }, e -> {
                    probing = false;
                    takeOut(Reason.DOWN, e);
                });
    }

    private synchronized void sample(long lsn) {
        samples.addLast(new Sample(System.nanoTime(), lsn));
        while (samples.size() > MAX_SAMPLES) {
            samples.removeFirst();
        }
    }

    private void observe(Row row) {
        Reason before = state;
        if (!Boolean.TRUE.equals(row.getBoolean(0)) || row.getString(1) == null) {
            takeOut(Reason.NOT_STANDBY, new IllegalStateException("pg_is_in_recovery() is false"));
            return;
        }
        long replay = lsn(row.getString(1));
        replayed = replay;
        double lag = lagOf(replay);
        lagSeconds = lag;
        Reason now = Double.isNaN(lag) ? Reason.UNKNOWN : lag > maxLag.toNanos() / 1e9 ? Reason.LAGGING : Reason.REPLICA;
        state = now;
        if (before != now) {
            Double lastReplay = row.getDouble(2);
            if (now == Reason.REPLICA) {
                LOG.infof("Read replica in use (lag %.1f s; last replayed transaction %s s ago)", lag,
                        lastReplay == null ? "?" : String.format(Locale.ROOT, "%.1f", lastReplay));
            } else {
                LOG.warnf("Read replica lags %.1f s (bound %d ms; last replayed transaction %s s ago); heavy reads fall"
                        + " back to the primary", lag, maxLag.toMillis(),
                        lastReplay == null ? "?" : String.format(Locale.ROOT, "%.1f", lastReplay));
            }
        }
    }

    /**
     * Seconds since the primary was at a position the replica has replayed: the newest sample at or below the replay
     * position; when every kept sample is ahead of it, at least the oldest sample's age.
     */
    private synchronized double lagOf(long replay) {
        long now = System.nanoTime();
        Sample caughtUp = null;
        for (var it = samples.descendingIterator(); it.hasNext(); ) {
            Sample s = it.next();
            if (s.lsn() <= replay) {
                caughtUp = s;
                break;
            }
        }
        if (caughtUp == null) {
            return samples.isEmpty() ? Double.NaN : (now - samples.getFirst().nanos()) / 1e9;
        }
        while (samples.size() > 1 && samples.getFirst() != caughtUp) {
            samples.removeFirst(); // older than what the replica has: no longer needed
        }
        Sample newest = samples.getLast();
        return newest == caughtUp ? 0 : (now - caughtUp.nanos()) / 1e9;
    }

    static long lsn(String text) {
        int slash = text.indexOf('/');
        return (Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16);
    }
}
