package dev.segments.analytics.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.analytics.AbcXyzConfig;
import dev.segments.analytics.AbcXyzModel;
import dev.segments.analytics.ActivityConfig;
import dev.segments.analytics.ActivityModel;
import dev.segments.analytics.AnalyticsModel;
import dev.segments.analytics.CustomerAnalytics;
import dev.segments.analytics.LeadScoringConfig;
import dev.segments.analytics.LeadScoringModel;
import dev.segments.analytics.RecomputeResult;
import dev.segments.analytics.RfTemplate;
import dev.segments.analytics.RfmConfig;
import dev.segments.analytics.RfmModel;
import dev.segments.analytics.RfmSegments;
import dev.segments.analytics.ValueQuadrantConfig;
import dev.segments.analytics.ValueQuadrantModel;
import dev.segments.analytics.persistence.AnalyticsRepository;
import dev.segments.analytics.persistence.AnalyticsRepository.CellRow;
import dev.segments.analytics.persistence.AnalyticsRepository.ClassRow;
import dev.segments.analytics.persistence.AnalyticsRepository.Run;
import dev.segments.analytics.persistence.AnalyticsRepository.StoredModel;
import dev.segments.analytics.persistence.AnalyticsRepository.XyzHorizon;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.Problem;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.rule.InvalidRuleException;
import dev.segments.rule.RuleDependencies;
import dev.segments.rule.RuleError;
import dev.segments.rule.RuleParser;
import dev.segments.rule.RuleValidator;
import dev.segments.rule.Source;
import dev.segments.rule.ValidatedRule;
import dev.segments.rule.Values;
import dev.segments.rule.sql.QueryShapes;
import dev.segments.segment.SegmentDtos.SegmentInput;
import dev.segments.segment.service.MembershipService;
import dev.segments.segment.service.SegmentService;
import dev.segments.segment.service.TenantRules;
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
import java.math.RoundingMode;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.TemporalAdjusters;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The analytics models of a tenant (docs/analytics.md): their configurations (validated like rules, versioned for
 * If-Match), their runs (one set-based statement per model and tenant, on demand, after a configuration is saved,
 * and on the schedule of {@code recomputeEvery}), and their reports. After a run, the customers whose
 * rule-visible values changed get their segment membership updated, recorded with cause {@code analytics}.
 */
@ApplicationScoped
public class AnalyticsService {

    private static final Logger LOG = Logger.getLogger(AnalyticsService.class);

    /** The models that follow a customer's own writes (the others rank the whole base: runs only). */
    private static final List<AnalyticsModel> PER_CUSTOMER = List.of(AnalyticsModel.ABC_XYZ, AnalyticsModel.LEAD_SCORING);

    private final AnalyticsRepository repository;
    private final MembershipService membership;
    private final SegmentService segments;
    private final ServiceConfig.Analytics config;
    private final ObjectMapper mapper;
    private final Vertx vertx;
    private final RoundTimer rounds = new RoundTimer("analytics (runs)", LOG);
    /**
     * Per tenant: its lead-scoring model compiled against one version of its rules (see {@link #compiledLead}); the
     * least recently used tenant is dropped beyond as many tenants as the rules cache keeps.
     */
    private final Map<Long, CompiledLead> leads = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(64, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<Long, CompiledLead> eldest) {
                    return size() > 2_000;
                }
            });

    AnalyticsService(AnalyticsRepository repository, MembershipService membership, SegmentService segments,
                     ServiceConfig config, ObjectMapper mapper, Vertx vertx) {
        this.repository = repository;
        this.membership = membership;
        this.segments = segments;
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

    public Uni<AbcXyzModel> abcXyz(long tenantId) {
        return repository.find(tenantId, AnalyticsModel.ABC_XYZ).chain(stored -> repository.abcXyzCells(tenantId)
                .map(rows -> new AbcXyzModel(abcXyzConfig(stored), stored.version(), stored.freshness(), abcXyzReport(rows))));
    }

    /** The lead-scoring model with the score histogram in buckets of {@code bucketWidth} (positive; null: 10). */
    public Uni<LeadScoringModel> leadScoring(long tenantId, BigDecimal bucketWidth) {
        BigDecimal width = bucketWidth == null ? BigDecimal.TEN : bucketWidth;
        if (width.signum() <= 0 || width.compareTo(new BigDecimal("1e9")) > 0) {
            throw ProblemException.validation("bucketWidth", "invalid_value", "bucketWidth must be a positive number up to 1e9");
        }
        return repository.find(tenantId, AnalyticsModel.LEAD_SCORING).chain(stored -> repository.leadScores(tenantId, width)
                .map(rows -> new LeadScoringModel(leadConfig(stored), stored.version(), stored.freshness(),
                        new LeadScoringModel.Report(rows.customers(), rows.min(), rows.max(), rows.average(),
                                LeadScoringModel.TEMPERATURES.stream().map(t -> new LeadScoringModel.TemperatureCount(t,
                                        rows.temperatures().getOrDefault(t, 0L))).toList(),
                                width, rows.buckets().entrySet().stream().map(e -> new LeadScoringModel.Bucket(
                                        e.getKey(), e.getKey().add(width), e.getValue())).toList()))));
    }

    public Uni<ValueQuadrantModel> valueQuadrants(long tenantId) {
        return repository.find(tenantId, AnalyticsModel.VALUE_QUADRANTS).chain(stored -> repository.valueQuadrants(tenantId)
                .map(rows -> {
                    long total = 0;
                    BigDecimal revenue = BigDecimal.ZERO;
                    for (String q : ValueQuadrantModel.QUADRANTS) {
                        total += rows.customers().getOrDefault(q, new long[1])[0];
                        revenue = revenue.add(rows.revenue().getOrDefault(q, BigDecimal.ZERO));
                    }
                    BigDecimal all = revenue;
                    List<ValueQuadrantModel.Quadrant> quadrants = ValueQuadrantModel.QUADRANTS.stream().map(q -> {
                        BigDecimal r = rows.revenue().getOrDefault(q, BigDecimal.ZERO);
                        return new ValueQuadrantModel.Quadrant(q, rows.customers().getOrDefault(q, new long[1])[0], r, share(r, all));
                    }).toList();
                    return new ValueQuadrantModel(valueConfig(stored), stored.version(), stored.freshness(),
                            new ValueQuadrantModel.Report(total, revenue, rows.medianRevenue(), rows.medianDays(), quadrants));
                }));
    }

    /** Validates and saves the ABC/XYZ configuration (412 when the version is not expectedVersion), then runs it. */
    public Uni<AbcXyzModel> saveAbcXyz(long tenantId, JsonNode body, Long expectedVersion) {
        AbcXyzConfig c = AnalyticsConfigs.abcXyz(body);
        return save(tenantId, AnalyticsModel.ABC_XYZ, json(c), expectedVersion).chain(() -> abcXyz(tenantId));
    }

    /**
     * Validates the lead-scoring configuration, every rule against the tenant's fields and segments (one 422 with
     * every problem, pointers into the document), saves it (412 when the version is not expectedVersion) and
     * rescores every customer.
     */
    public Uni<LeadScoringModel> saveLeadScoring(long tenantId, JsonNode body, Long expectedVersion) {
        return segments.rules(tenantId).chain(rules -> {
            AnalyticsConfigs.Lead lead = AnalyticsConfigs.leadScoring(body, checker(rules));
            return save(tenantId, AnalyticsModel.LEAD_SCORING, json(lead.config()), expectedVersion);
        }).chain(() -> leadScoring(tenantId, null));
    }

    /** Validates and saves the value-quadrant configuration (412 when the version is not expectedVersion), then runs it. */
    public Uni<ValueQuadrantModel> saveValueQuadrants(long tenantId, JsonNode body, Long expectedVersion) {
        ValueQuadrantConfig c = AnalyticsConfigs.valueQuadrants(body);
        return save(tenantId, AnalyticsModel.VALUE_QUADRANTS, json(c), expectedVersion).chain(() -> valueQuadrants(tenantId));
    }

    /**
     * Installs the RF template: for each named RFM segment, a dynamic segment {@code rf-<name>} whose rule is its
     * cells of the recency x frequency grid ({@link RfmSegments#templateRule}), tagged {@code rf-template}. A key
     * that exists is left alone, so installing twice changes nothing.
     */
    public Uni<RfTemplate> installRfTemplate(long tenantId) {
        return segments.rules(tenantId).chain(rules -> Multi.createFrom().iterable(RfmSegments.NAMES)
                .onItem().transformToUniAndConcatenate(name -> {
                    String key = RfmSegments.templateKey(name);
                    if (rules.segments().containsKey(key)) {
                        return Uni.createFrom().item(new RfTemplate.Item(key, name, "exists"));
                    }
                    SegmentInput input = new SegmentInput(key, "RF: " + RfmSegments.label(name),
                            "RF template (docs/analytics.md): the cells of the recency x frequency grid named " + name
                                    + "; the same customers as rfm.segment = " + name,
                            "dynamic", mapper.valueToTree(RfmSegments.templateRule(name)), "native", "primary",
                            List.of("rf-template"));
                    return segments.create(tenantId, input).map(v -> new RfTemplate.Item(key, name, "created"))
                            .onFailure(e -> e instanceof ProblemException p && p.type() == ProblemType.CONFLICT)
                            .recoverWithItem(new RfTemplate.Item(key, name, "exists"));
                }).collect().asList())
                .map(items -> new RfTemplate((int) items.stream().filter(i -> i.status().equals("created")).count(),
                        (int) items.stream().filter(i -> i.status().equals("exists")).count(), items));
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
            String every = switch (model) {
                case RFM -> rfmConfig(stored).recomputeEvery();
                case ACTIVITY -> activityConfig(stored).recomputeEvery();
                case ABC_XYZ -> abcXyzConfig(stored).recomputeEvery();
                case LEAD_SCORING -> leadConfig(stored).recomputeEvery();
                case VALUE_QUADRANTS -> valueConfig(stored).recomputeEvery();
            };
            OffsetDateTime next = every == null ? null : after(at, every);
            String timeout = config.statementTimeout().toMillis() + "ms";
            Uni<CompiledLead> lead = model == AnalyticsModel.LEAD_SCORING && !leadConfig(stored).rules().isEmpty()
                    ? compiledLead(tenantId, stored) : Uni.createFrom().nullItem();
            return lead.chain(compiled -> repository.locked(tenantId, model, timeout, conn ->
                            run(conn, tenantId, model, stored, compiled, at)
                                    .call(run -> repository.saveRun(conn, tenantId, model, at, elapsedMs(started),
                                            run.changed().size(), next))))
                    .call(run -> followMembership(tenantId, model, run.changed()))
                    .map(run -> new RecomputeResult(model.json(), at, elapsedMs(started), run.changed().size(), next));
        });
    }

    private Uni<Run> run(io.vertx.mutiny.sqlclient.SqlConnection conn, long tenantId, AnalyticsModel model,
                         StoredModel stored, CompiledLead lead, OffsetDateTime at) {
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
            case ABC_XYZ -> {
                AbcXyzConfig c = abcXyzConfig(stored);
                yield repository.recomputeAbcXyz(conn, tenantId, Values.duration(c.window()).orElseThrow().before(at),
                        c.amounts().currency(), c.amounts().positiveOnly(), at, horizon(c.xyz(), at), c.abc().a(),
                        c.abc().b(), c.xyz().x(), c.xyz().y());
            }
            case LEAD_SCORING -> lead == null ? repository.clearLeadScores(conn, tenantId, at)
                    : repository.rescore(conn, QueryShapes.leadScores(tenantId, lead.scoring(), null, lead.hot(), lead.warm(),
                    at, lead.rules().context(at)), false);
            case VALUE_QUADRANTS -> {
                ValueQuadrantConfig c = valueConfig(stored);
                yield repository.recomputeValue(conn, tenantId, Values.duration(c.window()).orElseThrow().before(at),
                        c.amounts().currency(), c.amounts().positiveOnly(), at, c.thresholds().value(),
                        c.thresholds().timeToValue());
            }
        };
    }

    /**
     * The XYZ series' horizon at {@code at}: the {@code periods} complete calendar periods (UTC; weeks from Monday)
     * before the one holding {@code at}.
     */
    static XyzHorizon horizon(AbcXyzConfig.Xyz xyz, OffsetDateTime at) {
        LocalDate day = at.withOffsetSameInstant(ZoneOffset.UTC).toLocalDate();
        int n = xyz.periods();
        LocalDate end;
        LocalDate start;
        switch (xyz.period()) {
            case "week" -> {
                end = day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
                start = end.minusWeeks(n);
            }
            case "month" -> {
                end = day.withDayOfMonth(1);
                start = end.minusMonths(n);
            }
            case "quarter" -> {
                end = LocalDate.of(day.getYear(), ((day.getMonthValue() - 1) / 3) * 3 + 1, 1);
                start = end.minusMonths(3L * n);
            }
            case "year" -> {
                end = LocalDate.of(day.getYear(), 1, 1);
                start = end.minusYears(n);
            }
            default -> throw new IllegalStateException("unknown period " + xyz.period());
        }
        return new XyzHorizon(start.atStartOfDay().atOffset(ZoneOffset.UTC), end.atStartOfDay().atOffset(ZoneOffset.UTC),
                xyz.period(), n);
    }

    /**
     * The changed customers' membership, in chunks, through the per-customer update that writes use (cause
     * analytics); before each chunk, the lead scores of its customers when the scoring rules read analytics fields
     * (a lead-scoring run itself excepted).
     */
    private Uni<Void> followMembership(long tenantId, AnalyticsModel model, List<Long> changed) {
        List<List<Long>> chunks = new ArrayList<>();
        for (int i = 0; i < changed.size(); i += config.membershipChunk()) {
            chunks.add(changed.subList(i, Math.min(changed.size(), i + config.membershipChunk())));
        }
        Set<Source> analytics = EnumSet.of(Source.ANALYTICS);
        return Multi.createFrom().iterable(chunks).onItem().transformToUniAndConcatenate(chunk ->
                        (model == AnalyticsModel.LEAD_SCORING ? Uni.createFrom().item(List.<Long>of())
                                : refreshCustomers(tenantId, chunk, analytics))
                                .onFailure().recoverWithUni(e -> afterFailure(tenantId, e))
                                .chain(() -> membership.customersChanged(tenantId, chunk, analytics, "analytics")))
                .collect().last().replaceWithVoid();
    }

    // ------------------------------------------------------------------ per-customer models after writes

    /**
     * After a write committed: the per-customer models for these customers, set-based, in one transaction that
     * locks them first (as activity writes lock them): XYZ (and abcXyz) when purchases changed, the lead score when
     * the model has rules and the write touched what they read (a profile write always: it may have created the
     * customer), or XYZ changed and the rules read analytics fields. At most one statement per model, never one
     * per customer. Returns the customers whose rule-visible values changed.
     */
    public Uni<List<Long>> refreshCustomers(long tenantId, Collection<Long> customerIds, Set<Source> sources) {
        if (customerIds.isEmpty()) {
            return Uni.createFrom().item(List.of());
        }
        List<Long> ids = List.copyOf(new LinkedHashSet<>(customerIds));
        boolean purchases = sources.contains(Source.PURCHASES);
        return repository.find(tenantId, PER_CUSTOMER).chain(stored -> {
            StoredModel leadRow = stored.get(AnalyticsModel.LEAD_SCORING);
            boolean scoring = !leadConfig(leadRow).rules().isEmpty();
            if (!purchases && !scoring) {
                return Uni.createFrom().item(List.<Long>of());
            }
            Uni<CompiledLead> compiled = scoring ? compiledLead(tenantId, leadRow) : Uni.createFrom().nullItem();
            return compiled.chain(lead -> {
                boolean leadByWrite = lead != null && (sources.contains(Source.PROFILE)
                        || sources.stream().anyMatch(lead.sources()::contains));
                boolean leadByAnalytics = lead != null && lead.sources().contains(Source.ANALYTICS);
                if (!purchases && !leadByWrite) {
                    return Uni.createFrom().item(List.<Long>of());
                }
                OffsetDateTime now = now();
                String timeout = config.statementTimeout().toMillis() + "ms";
                return repository.withCustomersLocked(tenantId, ids, timeout, conn -> {
                    Uni<Run> xyz = purchases ? xyzOf(conn, tenantId, ids, abcXyzConfig(stored.get(AnalyticsModel.ABC_XYZ)), now)
                            : Uni.createFrom().item(Run.NONE);
                    return xyz.chain(x -> {
                        if (!leadByWrite && !(leadByAnalytics && !x.changed().isEmpty())) {
                            return Uni.createFrom().item(x.changed());
                        }
                        return repository.rescore(conn, QueryShapes.leadScores(tenantId, lead.scoring(), ids, lead.hot(),
                                        lead.warm(), now, lead.rules().context(now)), true)
                                .map(l -> union(x.changed(), l.changed()));
                    });
                });
            });
        });
    }

    private Uni<Run> xyzOf(io.vertx.mutiny.sqlclient.SqlConnection conn, long tenantId, List<Long> ids, AbcXyzConfig c,
                           OffsetDateTime now) {
        return repository.recomputeXyz(conn, tenantId, ids, c.amounts().currency(), c.amounts().positiveOnly(), now,
                horizon(c.xyz(), now), c.xyz().x(), c.xyz().y());
    }

    /**
     * A per-customer update that failed leaves the write as it is: the per-customer models are due at the
     * scheduler's next round, which recomputes every customer.
     */
    Uni<List<Long>> afterFailure(long tenantId, Throwable e) {
        LOG.errorf(e, "per-customer analytics update of tenant %d failed; its per-customer models run at the next round", tenantId);
        return Multi.createFrom().iterable(PER_CUSTOMER)
                .onItem().transformToUniAndConcatenate(m -> repository.makeDue(tenantId, m, now()))
                .collect().last().onFailure().recoverWithNull().replaceWith(List.<Long>of());
    }

    private static List<Long> union(List<Long> a, List<Long> b) {
        LinkedHashSet<Long> all = new LinkedHashSet<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    // ------------------------------------------------------------------ lead scoring rules

    /**
     * A tenant's lead-scoring model compiled against one version of its rules: the rules validated (the compiler
     * takes them only with that catalog), their points and half-lives, the writes they read and the thresholds.
     */
    record CompiledLead(TenantRules rules, long version, List<QueryShapes.Scoring> scoring, Set<Source> sources,
                        BigDecimal hot, BigDecimal warm) {
    }

    /**
     * The model's rules validated against the tenant's current fields and segments, kept while neither the
     * model's version nor the tenant's rules change. A stored rule that no longer validates (an attribute it names
     * was deleted) fails with a 422 listing its problems under {@code /rules/i/rule}.
     */
    Uni<CompiledLead> compiledLead(long tenantId, StoredModel stored) {
        return segments.rules(tenantId).map(rules -> {
            CompiledLead kept = leads.get(tenantId);
            if (kept != null && kept.rules() == rules && kept.version() == stored.version()) {
                return kept;
            }
            LeadScoringConfig c = leadConfig(stored);
            List<QueryShapes.Scoring> scoring = new ArrayList<>();
            Set<Source> sources = EnumSet.noneOf(Source.class);
            List<Problem.FieldError> errors = new ArrayList<>();
            for (int i = 0; i < c.rules().size(); i++) {
                LeadScoringConfig.ScoringRule r = c.rules().get(i);
                AnalyticsConfigs.RuleCheck.Checked checked = checker(rules).check(r.rule());
                String at = "/rules/" + i + "/rule";
                checked.errors().forEach(e -> errors.add(new Problem.FieldError(at + e.pointer(), e.code(), e.message())));
                if (checked.rule() == null) continue;
                sources.addAll(RuleDependencies.of(checked.rule(), rules.resolver()).sources());
                scoring.add(new QueryShapes.Scoring(checked.rule(), r.points(),
                        r.decay() == null ? null : AnalyticsConfigs.halfLifeSeconds(r.decay().halfLife())));
            }
            if (!errors.isEmpty()) {
                throw new ProblemException(ProblemType.VALIDATION, "the saved lead-scoring rules no longer validate"
                        + " against the tenant's fields and segments; save the model again", errors);
            }
            CompiledLead compiled = new CompiledLead(rules, stored.version(), List.copyOf(scoring), Set.copyOf(sources),
                    c.temperature().hot(), c.temperature().warm());
            leads.put(tenantId, compiled);
            return compiled;
        });
    }

    /**
     * Checks one scoring rule as a segment rule is checked (structure, fields, types, segments), and that it does
     * not read the score it computes.
     */
    private static AnalyticsConfigs.RuleCheck checker(TenantRules rules) {
        return json -> {
            RuleParser.Parsed parsed = rules.parser().parseAll(json);
            List<RuleError> errors = new ArrayList<>(parsed.errors());
            if (parsed.rule() == null) {
                return new AnalyticsConfigs.RuleCheck.Checked(null, errors);
            }
            RuleValidator validator = new RuleValidator(rules.catalog(), rules.resolver());
            errors.addAll(validator.validate(parsed.rule()));
            errors.addAll(ScoringRules.readsOwnScore(parsed.rule(), rules.resolver()));
            if (!errors.isEmpty()) {
                return new AnalyticsConfigs.RuleCheck.Checked(null, errors);
            }
            try {
                return new AnalyticsConfigs.RuleCheck.Checked(validator.check(parsed.rule()), List.of());
            } catch (InvalidRuleException e) {
                return new AnalyticsConfigs.RuleCheck.Checked(null, e.errors());
            }
        };
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

    private static AbcXyzModel.Report abcXyzReport(List<ClassRow> rows) {
        long customers = 0;
        BigDecimal revenue = BigDecimal.ZERO;
        Map<String, long[]> cellCustomers = new java.util.HashMap<>();
        Map<String, BigDecimal> cellRevenue = new java.util.HashMap<>();
        Map<String, long[]> classCustomers = new java.util.HashMap<>();
        Map<String, BigDecimal> classRevenue = new java.util.HashMap<>();
        BigDecimal abcRevenue = BigDecimal.ZERO;
        BigDecimal xyzRevenue = BigDecimal.ZERO;
        for (ClassRow r : rows) {
            if (r.abc() != null && r.xyz() != null) {
                cellCustomers.merge(r.abc() + r.xyz(), new long[]{r.customers()}, (a, b) -> new long[]{a[0] + b[0]});
                cellRevenue.merge(r.abc() + r.xyz(), r.revenue(), BigDecimal::add);
                customers += r.customers();
                revenue = revenue.add(r.revenue());
            }
            for (String c : new String[]{r.abc(), r.xyz()}) {
                if (c == null) continue;
                classCustomers.merge(c, new long[]{r.customers()}, (a, b) -> new long[]{a[0] + b[0]});
                classRevenue.merge(c, r.revenue(), BigDecimal::add);
            }
            if (r.abc() != null) abcRevenue = abcRevenue.add(r.revenue());
            if (r.xyz() != null) xyzRevenue = xyzRevenue.add(r.revenue());
        }
        List<AbcXyzModel.Cell> cells = new ArrayList<>();
        for (String a : AbcXyzModel.ABC) {
            for (String x : AbcXyzModel.XYZ) {
                BigDecimal rev = cellRevenue.getOrDefault(a + x, BigDecimal.ZERO);
                cells.add(new AbcXyzModel.Cell(a, x, a + x, cellCustomers.getOrDefault(a + x, new long[1])[0], rev,
                        share(rev, revenue)));
            }
        }
        BigDecimal abcTotal = abcRevenue;
        BigDecimal xyzTotal = xyzRevenue;
        List<AbcXyzModel.ClassShare> abc = AbcXyzModel.ABC.stream().map(c -> new AbcXyzModel.ClassShare(c,
                classCustomers.getOrDefault(c, new long[1])[0], classRevenue.getOrDefault(c, BigDecimal.ZERO),
                share(classRevenue.getOrDefault(c, BigDecimal.ZERO), abcTotal))).toList();
        List<AbcXyzModel.ClassShare> xyz = AbcXyzModel.XYZ.stream().map(c -> new AbcXyzModel.ClassShare(c,
                classCustomers.getOrDefault(c, new long[1])[0], classRevenue.getOrDefault(c, BigDecimal.ZERO),
                share(classRevenue.getOrDefault(c, BigDecimal.ZERO), xyzTotal))).toList();
        return new AbcXyzModel.Report(customers, revenue, cells, abc, xyz);
    }

    /** part / whole to 4 decimals (half even); 0 when the whole is not positive. */
    static BigDecimal share(BigDecimal part, BigDecimal whole) {
        if (whole.signum() <= 0) return BigDecimal.ZERO.setScale(4);
        return part.divide(whole, 4, RoundingMode.HALF_EVEN);
    }

    private AbcXyzConfig abcXyzConfig(StoredModel stored) {
        return stored.configJson() == null ? AbcXyzConfig.DEFAULT : read(stored.configJson(), AbcXyzConfig.class);
    }

    private LeadScoringConfig leadConfig(StoredModel stored) {
        return stored.configJson() == null ? LeadScoringConfig.DEFAULT : read(stored.configJson(), LeadScoringConfig.class);
    }

    private ValueQuadrantConfig valueConfig(StoredModel stored) {
        return stored.configJson() == null ? ValueQuadrantConfig.DEFAULT : read(stored.configJson(), ValueQuadrantConfig.class);
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
