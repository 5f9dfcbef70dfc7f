package dev.segments.analytics.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.analytics.ActivityConfig;
import dev.segments.analytics.ActivityModel;
import dev.segments.analytics.AnalyticsModel;
import dev.segments.analytics.CustomerAnalytics;
import dev.segments.analytics.RecomputeResult;
import dev.segments.analytics.RfmConfig;
import dev.segments.analytics.RfmModel;
import dev.segments.analytics.RfmSegments;
import dev.segments.analytics.persistence.AnalyticsRepository;
import dev.segments.analytics.persistence.AnalyticsRepository.CellRow;
import dev.segments.analytics.persistence.AnalyticsRepository.Run;
import dev.segments.analytics.persistence.AnalyticsRepository.StoredModel;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.rule.Source;
import dev.segments.rule.Values;
import dev.segments.segment.service.MembershipService;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import dev.segments.common.schedule.RoundTimer;
import io.vertx.mutiny.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;

import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;

/**
 * The analytics models of a tenant (docs/analytics.md): their configurations (validated like rules, versioned for
 * If-Match), their runs (one set-based statement per model and tenant, on demand, after a configuration is saved,
 * and on the schedule of {@code recomputeEvery}), and their reports. After a run, the customers whose
 * rule-visible values changed get their segment membership updated, recorded with cause {@code analytics}.
 */
@ApplicationScoped
public class AnalyticsService {

    private static final Logger LOG = Logger.getLogger(AnalyticsService.class);

    private final AnalyticsRepository repository;
    private final MembershipService membership;
    private final ServiceConfig.Analytics config;
    private final ObjectMapper mapper;
    private final Vertx vertx;
    private final RoundTimer rounds = new RoundTimer("analytics (runs)", LOG);

    AnalyticsService(AnalyticsRepository repository, MembershipService membership, ServiceConfig config,
                     ObjectMapper mapper, Vertx vertx) {
        this.repository = repository;
        this.membership = membership;
        this.config = config.analytics();
        this.mapper = mapper;
        this.vertx = vertx;
    }

    // ------------------------------------------------------------------ models

    public Uni<RfmModel> rfm(long tenantId) {
        return repository.find(tenantId, AnalyticsModel.RFM).chain(stored -> repository.rfmCells(tenantId)
                .map(cells -> new RfmModel(rfmConfig(stored), stored.version(), stored.freshness(), report(cells))));
    }

    public Uni<ActivityModel> activity(long tenantId) {
        return repository.find(tenantId, AnalyticsModel.ACTIVITY).chain(stored -> repository.activityCounts(tenantId)
                .map(counts -> new ActivityModel(activityConfig(stored), stored.version(), stored.freshness(),
                        ActivityModel.STATUSES.stream()
                                .map(s -> new ActivityModel.StatusCount(s, counts.getOrDefault(s, 0L))).toList())));
    }

    /** Validates and saves the RFM configuration (412 when the version is not expectedVersion), then runs it. */
    public Uni<RfmModel> saveRfm(long tenantId, JsonNode body, Long expectedVersion) {
        RfmConfig c = AnalyticsConfigs.rfm(body);
        return save(tenantId, AnalyticsModel.RFM, json(c), expectedVersion).chain(() -> rfm(tenantId));
    }

    /** Validates and saves the activity configuration (412 when the version is not expectedVersion), then runs it. */
    public Uni<ActivityModel> saveActivity(long tenantId, JsonNode body, Long expectedVersion) {
        ActivityConfig c = AnalyticsConfigs.activity(body);
        return save(tenantId, AnalyticsModel.ACTIVITY, json(c), expectedVersion).chain(() -> activity(tenantId));
    }

    private Uni<RecomputeResult> save(long tenantId, AnalyticsModel model, String configJson, Long expectedVersion) {
        return repository.save(tenantId, model, configJson, expectedVersion).chain(v -> {
            if (v.isEmpty()) {
                return Uni.createFrom().failure(new ProblemException(ProblemType.PRECONDITION_FAILED,
                        "the " + model.json() + " model was changed since that version (If-Match); GET it again"));
            }
            return recompute(tenantId, model);
        });
    }

    // ------------------------------------------------------------------ customers

    /** The analytics values of these customers (absent ids: no such customer), one statement. */
    public Uni<Map<Long, CustomerAnalytics>> customers(long tenantId, List<Long> ids) {
        return repository.customers(tenantId, ids);
    }

    public Uni<CustomerAnalytics> customer(long tenantId, long id) {
        return repository.customers(tenantId, List.of(id)).map(m -> {
            CustomerAnalytics a = m.get(id);
            if (a == null) throw ProblemException.notFound("customer " + id);
            return a;
        });
    }

    // ------------------------------------------------------------------ runs

    /** Runs a model over the tenant now. */
    public Uni<RecomputeResult> recompute(long tenantId, AnalyticsModel model) {
        return recompute(tenantId, model, now());
    }

    /**
     * Runs a model over the tenant with the clock at {@code at} (tests move it), records its freshness, then updates
     * the segment membership of the customers whose values changed (cause analytics).
     */
    public Uni<RecomputeResult> recompute(long tenantId, AnalyticsModel model, OffsetDateTime at) {
        return repository.find(tenantId, model).chain(stored -> {
            long started = System.nanoTime();
            String every = model == AnalyticsModel.RFM ? rfmConfig(stored).recomputeEvery()
                    : activityConfig(stored).recomputeEvery();
            OffsetDateTime next = every == null ? null : after(at, every);
            String timeout = config.statementTimeout().toMillis() + "ms";
            return repository.locked(tenantId, model, timeout, conn -> run(conn, tenantId, model, stored, at)
                            .call(run -> repository.saveRun(conn, tenantId, model, at, elapsedMs(started),
                                    run.changed().size(), next)))
                    .call(run -> followMembership(tenantId, run.changed()))
                    .map(run -> new RecomputeResult(model.json(), at, elapsedMs(started), run.changed().size(), next));
        });
    }

    private Uni<Run> run(io.vertx.mutiny.sqlclient.SqlConnection conn, long tenantId, AnalyticsModel model,
                         StoredModel stored, OffsetDateTime at) {
        return switch (model) {
            case RFM -> {
                RfmConfig c = rfmConfig(stored);
                boolean t = c.byThresholds();
                OffsetDateTime[] recency = t ? c.thresholds().recency().stream()
                        .map(d -> Values.duration(d).orElseThrow().before(at)).toArray(OffsetDateTime[]::new) : null;
                BigDecimal[] frequency = t ? c.thresholds().frequency().toArray(BigDecimal[]::new) : null;
                BigDecimal[] monetary = t ? c.thresholds().monetary().toArray(BigDecimal[]::new) : null;
                yield repository.recomputeRfm(conn, tenantId, Values.duration(c.window()).orElseThrow().before(at),
                        c.amounts().currency(), c.amounts().positiveOnly(), at, t, recency, frequency, monetary);
            }
            case ACTIVITY -> repository.recomputeActivity(conn, tenantId, json(activityConfig(stored)), at);
        };
    }

    /** The changed customers' membership, in chunks, through the per-customer update that writes use. */
    private Uni<Void> followMembership(long tenantId, List<Long> changed) {
        List<List<Long>> chunks = new ArrayList<>();
        for (int i = 0; i < changed.size(); i += config.membershipChunk()) {
            chunks.add(changed.subList(i, Math.min(changed.size(), i + config.membershipChunk())));
        }
        return Multi.createFrom().iterable(chunks).onItem().transformToUniAndConcatenate(chunk ->
                        membership.customersChanged(tenantId, chunk, EnumSet.of(Source.ANALYTICS), "analytics"))
                .collect().last().replaceWithVoid();
    }

    /** Every run due at {@code now} (tenant by tenant); returns how many ran. Tests call it with a chosen clock. */
    public Uni<Integer> runDue(OffsetDateTime now) {
        return repository.due(now).chain(due -> Multi.createFrom().iterable(due)
                .onItem().transformToUniAndConcatenate(d -> recompute(d.tenantId(), d.model(), now).map(r -> 1)
                        .onFailure().recoverWithItem(e -> {
                            LOG.errorf(e, "analytics run %s of tenant %d failed", d.model().json(), d.tenantId());
                            return 0;
                        }))
                .collect().asList().map(n -> n.stream().mapToInt(Integer::intValue).sum()));
    }

    void start(@Observes StartupEvent event) {
        if (config.schedulerEnabled()) {
            rounds.start(vertx, config.schedulerInterval(), () -> runDue(now()));
        }
    }

    /** At shutdown: no new round, and one under way gets a few seconds to commit (docs/operations.md). */
    void stop(@Observes ShutdownEvent event) {
        rounds.stopAndWait(vertx, RoundTimer.SHUTDOWN_WAIT);
    }

    // ------------------------------------------------------------------ helpers

    private static RfmModel.Report report(List<CellRow> rows) {
        long[][] customers = new long[6][6];
        BigDecimal[][] revenue = new BigDecimal[6][6];
        for (CellRow r : rows) {
            customers[r.recency()][r.frequency()] = r.customers();
            revenue[r.recency()][r.frequency()] = r.revenue();
        }
        List<RfmModel.Cell> cells = new ArrayList<>();
        Map<String, long[]> segCustomers = new java.util.LinkedHashMap<>();
        Map<String, BigDecimal> segRevenue = new java.util.HashMap<>();
        RfmSegments.NAMES.forEach(n -> {
            segCustomers.put(n, new long[1]);
            segRevenue.put(n, BigDecimal.ZERO);
        });
        long total = 0;
        BigDecimal totalRevenue = BigDecimal.ZERO;
        for (int r = 1; r <= 5; r++) {
            for (int f = 1; f <= 5; f++) {
                String seg = RfmSegments.of(r, f);
                BigDecimal rev = revenue[r][f] == null ? BigDecimal.ZERO : revenue[r][f];
                cells.add(new RfmModel.Cell(r, f, seg, customers[r][f], rev));
                segCustomers.get(seg)[0] += customers[r][f];
                segRevenue.merge(seg, rev, BigDecimal::add);
                total += customers[r][f];
                totalRevenue = totalRevenue.add(rev);
            }
        }
        List<RfmModel.SegmentShare> segments = RfmSegments.NAMES.stream()
                .map(n -> new RfmModel.SegmentShare(n, segCustomers.get(n)[0], segRevenue.get(n))).toList();
        return new RfmModel.Report(total, totalRevenue, cells, segments);
    }

    private RfmConfig rfmConfig(StoredModel stored) {
        return stored.configJson() == null ? RfmConfig.DEFAULT : read(stored.configJson(), RfmConfig.class);
    }

    private ActivityConfig activityConfig(StoredModel stored) {
        return stored.configJson() == null ? ActivityConfig.DEFAULT : read(stored.configJson(), ActivityConfig.class);
    }

    private <T> T read(String json, Class<T> type) {
        try {
            return mapper.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String json(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code at} plus an ISO-8601 duration (calendar-aware, UTC). */
    private static OffsetDateTime after(OffsetDateTime at, String duration) {
        Values.IsoDuration d = Values.duration(duration).orElseThrow();
        return at.withOffsetSameInstant(ZoneOffset.UTC).plus(d.period()).plus(d.time());
    }

    private static long elapsedMs(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1_000_000;
    }

    private static OffsetDateTime now() {
        return OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
    }
}
