package dev.segments.segment.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.common.error.ProblemException;
import dev.segments.common.http.DateParams;
import dev.segments.rule.FieldDef;
import dev.segments.rule.Values;
import dev.segments.rule.sql.QueryShapes;
import dev.segments.rule.sql.QueryShapes.Members;
import dev.segments.rule.sql.QueryShapes.ProfileKind;
import dev.segments.segment.InsightDtos.Baseline;
import dev.segments.segment.InsightDtos.Bin;
import dev.segments.segment.InsightDtos.Comparison;
import dev.segments.segment.InsightDtos.Conversion;
import dev.segments.segment.InsightDtos.Effectiveness;
import dev.segments.segment.InsightDtos.ExitCause;
import dev.segments.segment.InsightDtos.FieldProfile;
import dev.segments.segment.InsightDtos.NumericProfile;
import dev.segments.segment.InsightDtos.Overlap;
import dev.segments.segment.InsightDtos.OverlapPair;
import dev.segments.segment.InsightDtos.OverlapSegment;
import dev.segments.segment.InsightDtos.Profile;
import dev.segments.segment.InsightDtos.Quantiles;
import dev.segments.segment.InsightDtos.Revenue;
import dev.segments.segment.InsightDtos.RfmCell;
import dev.segments.segment.InsightDtos.RfmGrid;
import dev.segments.segment.InsightDtos.SegmentStanding;
import dev.segments.segment.InsightDtos.Standings;
import dev.segments.segment.InsightDtos.Rollups;
import dev.segments.segment.InsightDtos.ValueShare;
import dev.segments.segment.persistence.InsightRepository;
import dev.segments.segment.persistence.InsightRepository.PairCount;
import dev.segments.segment.persistence.InsightRepository.ProfileRow;
import dev.segments.segment.persistence.SegmentRow;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Segment insight (docs/insight.md): a segment's profile next to the whole base, the overlap of segments, and a
 * segment's effectiveness for the customers who entered it in a period. Each answer is one set-based statement;
 * this class checks the parameters, picks the member source and turns counts into shares and indexes. Reports call
 * these methods as they are.
 */
@ApplicationScoped
public class SegmentInsights {

    /** Fields a profile shows when none are asked for (those the catalog has and can profile). */
    public static final List<String> DEFAULT_PROFILE_FIELDS = List.of("region", "priceTier", "lifecycleStage", "tags",
            "rfm.segment", "activityStatus", "totalSpend", "purchaseCount");
    public static final int MAX_PROFILE_FIELDS = 20;
    public static final int DEFAULT_TOP = 10;
    public static final int MAX_TOP = 100;
    public static final int MAX_OVERLAP_KEYS = 30;
    /** The longest effectiveness period and window. */
    public static final int MAX_PERIOD_DAYS = 3660;

    private static final int SCALE = 4;

    private final SegmentService segments;
    private final InsightRepository repository;
    private final SegmentQueryService queries;

    private final ObjectMapper mapper;

    SegmentInsights(SegmentService segments, InsightRepository repository, SegmentQueryService queries,
                    ObjectMapper mapper) {
        this.mapper = mapper;
        this.segments = segments;
        this.repository = repository;
        this.queries = queries;
    }

    // ------------------------------------------------------------------ profile

    /**
     * The profile of saved segment {@code key}: its size against the base, the distribution of each field (null or
     * empty: {@link #DEFAULT_PROFILE_FIELDS}) with the {@code top} most held values (null: 10), and the rollups.
     * Reads the materialized membership when it is current, a static segment's members, else evaluates the rule now.
     */
    public Uni<Profile> profile(long tenantId, String key, List<String> fields, Integer top) {
        int limit = top == null ? DEFAULT_TOP : top;
        if (limit < 1 || limit > MAX_TOP) {
            throw ProblemException.validation("top", "out_of_range", "top must be between 1 and " + MAX_TOP);
        }
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return segments.rules(tenantId).chain(rules -> {
            SegmentRow row = rules.segments().get(key);
            if (row == null) {
                return Uni.createFrom().failure(SegmentService.notFound(key));
            }
            List<FieldDef> chosen = profileFields(rules, fields);
            return members(tenantId, row, rules, now).chain(source -> repository.profile(tenantId,
                            QueryShapes.profile(tenantId, source.members(), chosen, limit, rules.context(now)))
                    .map(rows -> profile(key, source.name(), now, chosen, rows)));
        });
    }

    private record Source(String name, Members members) {
    }

    /**
     * The member set to read: static members, the materialization when the reads of members would use it (not marked
     * for repair, computed for the current versions, time events caught up: {@link SegmentQueryService}), else the
     * rule evaluated now.
     */
    private Uni<Source> members(long tenantId, SegmentRow row, TenantRules rules, OffsetDateTime now) {
        if (row.isStatic()) {
            return Uni.createFrom().item(new Source("static", new Members.Listed(row.id())));
        }
        return queries.materializedUsable(tenantId, rules, row, now).map(usable -> usable
                ? new Source("materialized", new Members.Materialized(row.id(),
                        SegmentQueryService.readsClock(rules, row) ? rules.segment(row.key()) : null))
                : new Source("live", new Members.Evaluated(rules.segment(row.key()))));
    }

    private static List<FieldDef> profileFields(TenantRules rules, List<String> asked) {
        List<String> names = asked == null ? List.of() : asked.stream().flatMap(f -> Arrays.stream(f.split(",")))
                .map(String::strip).filter(f -> !f.isEmpty()).toList();
        boolean defaults = names.isEmpty();
        if (defaults) names = DEFAULT_PROFILE_FIELDS;
        if (names.size() > MAX_PROFILE_FIELDS) {
            throw ProblemException.validation("fields", "too_many", "at most " + MAX_PROFILE_FIELDS + " fields");
        }
        List<FieldDef> out = new ArrayList<>();
        Set<String> seen = new LinkedHashSet<>();
        for (String name : names) {
            FieldDef f = rules.catalog().customerField(name).orElse(null);
            if (defaults && (f == null || QueryShapes.profileKind(f).isEmpty())) continue;
            if (!seen.add(name)) {
                throw ProblemException.validation("fields", "duplicate", "field '" + name + "' is asked for twice");
            }
            if (f == null) {
                throw ProblemException.validation("fields", "unknown_field", "unknown field '" + name
                        + "'; GET /fields lists the customer fields");
            }
            if (!f.available()) {
                throw ProblemException.validation("fields", "field_not_available", "field '" + name + "' is not available yet");
            }
            if (QueryShapes.profileKind(f).isEmpty()) {
                throw ProblemException.validation("fields", "not_profilable", "field '" + name + "' is a " + f.type().json()
                        + "; a profile shows string, boolean, list and number fields");
            }
            out.add(f);
        }
        return out;
    }

    private static Profile profile(String key, String source, OffsetDateTime now, List<FieldDef> fields,
                                   List<ProfileRow> rows) {
        ProfileRow totals = rows.stream().filter(r -> r.section().equals("totals")).findFirst().orElseThrow();
        long size = totals.members(), base = totals.base();
        BigDecimal segSpend = totals.nums().get(0), baseSpend = totals.nums().get(1);
        BigDecimal segPurchases = totals.nums().get(2), basePurchases = totals.nums().get(3);
        Rollups rollups = new Rollups(
                new Revenue(plain(segSpend), plain(baseSpend), ratio(segSpend, baseSpend)),
                comparison(ratio(segSpend, BigDecimal.valueOf(size)), ratio(baseSpend, BigDecimal.valueOf(base))),
                comparison(ratio(segSpend, segPurchases), ratio(baseSpend, basePurchases)),
                comparison(ratio(segPurchases, BigDecimal.valueOf(size)), ratio(basePurchases, BigDecimal.valueOf(base))));
        Map<Integer, List<ProfileRow>> byField = new HashMap<>();
        for (ProfileRow r : rows) {
            if (r.field() != null) byField.computeIfAbsent(r.field(), i -> new ArrayList<>()).add(r);
        }
        List<FieldProfile> out = new ArrayList<>();
        for (int i = 0; i < fields.size(); i++) {
            FieldDef f = fields.get(i);
            List<ProfileRow> own = byField.getOrDefault(i, List.of());
            if (QueryShapes.profileKind(f).orElseThrow() == ProfileKind.CATEGORICAL) {
                List<ValueShare> values = own.stream().filter(r -> r.section().equals("value"))
                        .sorted(Comparator.comparing(r -> r.nums().get(0)))
                        .map(r -> share(r.value(), r.members(), r.base(), size, base)).toList();
                ValueShare other = own.stream().filter(r -> r.section().equals("other")).findFirst()
                        .map(r -> share(null, r.members(), r.base(), size, base)).orElse(null);
                ValueShare notSet = own.stream().filter(r -> r.section().equals("notset")).findFirst()
                        .map(r -> share(null, r.members(), r.base(), size, base))
                        .orElse(share(null, 0, 0L, size, base));
                out.add(new FieldProfile(f.name(), f.label(), f.type().json(), "categorical", values, other, notSet, null));
            } else {
                ProfileRow stats = own.stream().filter(r -> r.section().equals("stats")).findFirst().orElse(null);
                List<Bin> bins = own.stream().filter(r -> r.section().equals("bin"))
                        .sorted(Comparator.comparing(r -> r.nums().get(0)))
                        .map(r -> new Bin(plain(r.nums().get(0)), plain(r.nums().get(1)), r.members())).toList();
                long count = stats == null ? 0 : stats.members();
                Quantiles q = stats == null || count == 0 ? null : new Quantiles(round(stats.nums().get(0)),
                        round(stats.nums().get(1)), round(stats.nums().get(2)), round(stats.nums().get(3)),
                        round(stats.nums().get(4)), round(stats.nums().get(5)));
                BigDecimal mean = stats == null ? null : stats.nums().get(6);
                BigDecimal baseMean = stats == null ? null : stats.nums().get(7);
                out.add(new FieldProfile(f.name(), f.label(), f.type().json(), "numeric", null, null, null,
                        new NumericProfile(count, size - count, q, round(mean), round(baseMean), ratio(mean, baseMean), bins)));
            }
        }
        return new Profile(key, source, now, size, base, ratio(BigDecimal.valueOf(size), BigDecimal.valueOf(base)),
                rollups, out);
    }

    private static ValueShare share(String value, long count, Long baseCount, long size, long base) {
        long bc = baseCount == null ? 0 : baseCount;
        BigDecimal share = ratio(BigDecimal.valueOf(count), BigDecimal.valueOf(size));
        BigDecimal baseShare = ratio(BigDecimal.valueOf(bc), BigDecimal.valueOf(base));
        // share / baseShare from the exact counts: (count * base) / (size * baseCount)
        BigDecimal index = ratio(BigDecimal.valueOf(count).multiply(BigDecimal.valueOf(base)),
                BigDecimal.valueOf(size).multiply(BigDecimal.valueOf(bc)));
        return new ValueShare(value, count, share, bc, baseShare, index);
    }

    private static Comparison comparison(BigDecimal segment, BigDecimal base) {
        return new Comparison(segment, base, ratio(segment, base));
    }

    // ------------------------------------------------------------------ overlap

    /**
     * Sizes, pairwise intersections and Jaccard indexes of 2 to 30 saved segments, from the materialized membership
     * (static segments: their members) in one scan.
     */
    public Uni<Overlap> overlap(long tenantId, List<String> keys) {
        List<String> asked = keys == null ? List.of() : keys.stream().flatMap(k -> Arrays.stream(k.split(",")))
                .map(String::strip).filter(k -> !k.isEmpty()).toList();
        if (asked.size() < 2) {
            throw ProblemException.validation("keys", "too_few", "name at least 2 segments: keys=a,b");
        }
        if (asked.size() > MAX_OVERLAP_KEYS) {
            throw ProblemException.validation("keys", "too_many", "at most " + MAX_OVERLAP_KEYS + " segments");
        }
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < asked.size(); i++) {
            if (!seen.add(asked.get(i))) {
                throw ProblemException.validation("keys/" + i, "duplicate", "segment '" + asked.get(i) + "' is named twice");
            }
        }
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return segments.rules(tenantId).chain(rules -> {
            List<SegmentRow> rows = new ArrayList<>();
            for (int i = 0; i < asked.size(); i++) {
                SegmentRow row = rules.segments().get(asked.get(i));
                if (row == null) {
                    return Uni.createFrom().failure(ProblemException.validation("keys/" + i, "unknown_segment",
                            "unknown segment '" + asked.get(i) + "'"));
                }
                rows.add(row);
            }
            return queries.materializedNow(tenantId, rules, rows, now).chain(current -> repository
                    .overlap(tenantId, rows.stream().map(SegmentRow::id).toList())
                    .map(counts -> overlap(current.exactAt(), rows, current.usable(), counts)));
        });
    }

    private static Overlap overlap(OffsetDateTime now, List<SegmentRow> rows, Set<Long> materialized,
                                   List<PairCount> counts) {
        Map<String, Long> n = new HashMap<>();
        counts.forEach(c -> n.put(c.a() + ":" + c.b(), c.count()));
        List<OverlapSegment> segments = new ArrayList<>();
        for (SegmentRow r : rows) {
            boolean current = r.isStatic() || materialized.contains(r.id());
            segments.add(new OverlapSegment(r.key(), r.name(), r.kind().wire(), n.getOrDefault(r.id() + ":" + r.id(), 0L), current));
        }
        List<OverlapPair> pairs = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            for (int j = i + 1; j < rows.size(); j++) {
                long a = rows.get(i).id(), b = rows.get(j).id();
                long both = n.getOrDefault(Math.min(a, b) + ":" + Math.max(a, b), 0L);
                long sa = segments.get(i).size(), sb = segments.get(j).size();
                long union = sa + sb - both;
                pairs.add(new OverlapPair(rows.get(i).key(), rows.get(j).key(), both, union,
                        ratio(BigDecimal.valueOf(both), BigDecimal.valueOf(union)),
                        ratio(BigDecimal.valueOf(both), BigDecimal.valueOf(sa)),
                        ratio(BigDecimal.valueOf(both), BigDecimal.valueOf(sb))));
            }
        }
        return new Overlap(now, segments, pairs);
    }

    // ------------------------------------------------------------------ effectiveness

    /**
     * What happened to the customers who entered saved segment {@code key} in [from, to) (defaults: the 30 days
     * before now): conversion and revenue within {@code window} (default P30D) after their entry against a baseline of
     * non-members, how long the stays lasted and how they ended. Definitions: docs/insight.md.
     */
    public Uni<Effectiveness> effectiveness(long tenantId, String key, OffsetDateTime from, OffsetDateTime to,
                                            String window) {
        DateParams.requireInRange(from, "from");
        DateParams.requireInRange(to, "to");
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        OffsetDateTime end = (to == null ? now : to).withOffsetSameInstant(ZoneOffset.UTC);
        OffsetDateTime start = (from == null ? end.minusDays(30) : from).withOffsetSameInstant(ZoneOffset.UTC);
        if (!start.isBefore(end)) {
            throw ProblemException.validation("from", "invalid_range", "from must be before to");
        }
        if (Duration.between(start, end).toDays() > MAX_PERIOD_DAYS) {
            throw ProblemException.validation("from", "invalid_range", "at most " + MAX_PERIOD_DAYS + " days per request");
        }
        String w = window == null || window.isBlank() ? "P30D" : window.strip();
        Values.IsoDuration d = Values.duration(w).orElseThrow(() -> ProblemException.validation("window",
                "invalid_duration", "window must be an ISO-8601 duration such as P30D, P2W or PT12H"));
        OffsetDateTime reference = OffsetDateTime.of(2000, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
        long windowSeconds = Duration.between(d.before(reference), reference).getSeconds();
        if (windowSeconds <= 0 || windowSeconds > MAX_PERIOD_DAYS * 86_400L) {
            throw ProblemException.validation("window", "out_of_range", "window must be longer than 0 and at most "
                    + MAX_PERIOD_DAYS + " days");
        }
        InsightRepository.Window iv = new InsightRepository.Window(d.period().getYears(), d.period().getMonths(),
                d.period().getDays(), d.time().getSeconds());
        return segments.rules(tenantId).chain(rules -> {
            SegmentRow row = rules.segments().get(key);
            if (row == null) {
                return Uni.createFrom().failure(SegmentService.notFound(key));
            }
            return repository.effectiveness(tenantId, row.id(), start, end, iv, now).map(e -> {
                BigDecimal entered = BigDecimal.valueOf(e.entered());
                BigDecimal rate = ratio(BigDecimal.valueOf(e.converted()), entered);
                BigDecimal perMember = ratio(e.revenue(), entered);
                BigDecimal baseRate = ratio(BigDecimal.valueOf(e.baselineConverted()), BigDecimal.valueOf(e.baselineCustomers()));
                BigDecimal basePer = ratio(e.baselineRevenue(), BigDecimal.valueOf(e.baselineCustomers()));
                List<ExitCause> exits = new ArrayList<>();
                for (int i = 0; i < e.exitCauses().size(); i++) {
                    exits.add(new ExitCause(e.exitCauses().get(i), e.exitCounts().get(i)));
                }
                return new Effectiveness(key, start, end, w, now, e.entered(),
                        new Conversion(e.converted(), rate, plain(e.revenue()), e.purchases(), perMember, e.openWindows()),
                        new Baseline(e.baselineCustomers(), e.baselineFrom(), e.baselineTo(), e.baselineConverted(),
                                baseRate, plain(e.baselineRevenue()), e.baselinePurchases(), basePer,
                                ratio(rate, baseRate), ratio(perMember, basePer)),
                        new dev.segments.segment.InsightDtos.Tenure(e.stays(), e.completed(), e.stillMembers(),
                                iso(e.medianSeconds()), iso(e.meanSeconds()), days(e.medianSeconds()), days(e.meanSeconds())),
                        exits);
            });
        });
    }

    private static String iso(Double seconds) {
        if (seconds == null) return null;
        return Duration.ofMillis(Math.round(seconds * 1000)).toString();
    }

    private static BigDecimal days(Double seconds) {
        return seconds == null ? null : round(BigDecimal.valueOf(seconds).divide(BigDecimal.valueOf(86_400), 10, RoundingMode.HALF_EVEN));
    }

    // ------------------------------------------------------------------ reports

    /**
     * The RFM grid of saved segment {@code key} (recency by frequency, members against the base), over the same
     * member set as its profile; {@code computed} false when the tenant's RFM model has scored nobody.
     */
    public Uni<RfmGrid> rfmGrid(long tenantId, String key) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        return segments.rules(tenantId).chain(rules -> {
            SegmentRow row = rules.segments().get(key);
            if (row == null) {
                return Uni.createFrom().failure(SegmentService.notFound(key));
            }
            return members(tenantId, row, rules, now).chain(source -> repository.rfmGrid(tenantId,
                            QueryShapes.rfmGrid(tenantId, source.members(), rules.context(now)))
                    .map(rows -> rfmGrid(source.name(), rows)));
        });
    }

    private static RfmGrid rfmGrid(String source, List<InsightRepository.RfmCellRow> rows) {
        long scored = 0, notScored = 0, baseScored = 0;
        OffsetDateTime computedAt = null;
        Map<String, InsightRepository.RfmCellRow> byCell = new HashMap<>();
        for (InsightRepository.RfmCellRow r : rows) {
            if (r.recency() == null || r.frequency() == null) {
                notScored += r.members();
                continue;
            }
            scored += r.members();
            baseScored += r.base();
            if (r.computedAt() != null && (computedAt == null || r.computedAt().isAfter(computedAt))) {
                computedAt = r.computedAt();
            }
            byCell.put(r.recency() + ":" + r.frequency(), r);
        }
        if (baseScored == 0) {
            return new RfmGrid(source, false, null, 0, notScored, List.of());
        }
        List<RfmCell> cells = new ArrayList<>();
        for (int rec = 5; rec >= 1; rec--) {
            for (int freq = 1; freq <= 5; freq++) {
                InsightRepository.RfmCellRow r = byCell.get(rec + ":" + freq);
                long m = r == null ? 0 : r.members(), b = r == null ? 0 : r.base();
                cells.add(new RfmCell(rec, freq, m, ratio(BigDecimal.valueOf(m), BigDecimal.valueOf(scored)), b,
                        ratio(BigDecimal.valueOf(b), BigDecimal.valueOf(baseScored)),
                        ratio(BigDecimal.valueOf(m).multiply(BigDecimal.valueOf(baseScored)),
                                BigDecimal.valueOf(scored).multiply(BigDecimal.valueOf(b))),
                        r == null ? BigDecimal.ZERO : plain(r.monetary())));
            }
        }
        return new RfmGrid(source, true, computedAt, scored, notScored, cells);
    }

    /**
     * Every saved segment of the tenant, by key: name, tier, description, the rule in words, members now (the
     * materialized membership; static: members), at {@code days} days ago (the change feed) and their revenue share.
     */
    public Uni<Standings> standings(long tenantId, int days) {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        OffsetDateTime since = now.minusDays(days);
        return segments.rules(tenantId).chain(rules -> queries.materializedNow(tenantId, rules,
                List.copyOf(rules.segments().values()), now).chain(materialized ->
                repository.standings(tenantId, since).map(st -> {
                    Map<Long, SegmentRow> rows = new HashMap<>();
                    rules.segments().values().forEach(r -> rows.put(r.id(), r));
                    List<SegmentStanding> out = new ArrayList<>();
                    for (InsightRepository.StandingRow s : st.segments()) {
                        SegmentRow r = rows.get(s.segmentId());
                        if (r == null) continue; // created after the rules were read
                        boolean current = r.isStatic() || materialized.usable().contains(r.id());
                        Long then = r.createdAt().isAfter(since) ? null : s.sizeThen();
                        out.add(new SegmentStanding(r.key(), r.name(), r.kind().wire(), r.tier().wire(), r.description(),
                                ruleText(rules, r), s.size(), then,
                                then == null ? null : s.size() - then, plain(s.revenue()),
                                ratio(s.revenue(), st.baseRevenue()), current));
                    }
                    out.sort(Comparator.comparing(SegmentStanding::key));
                    return new Standings(materialized.exactAt(), since, st.baseSize(), plain(st.baseRevenue()), out);
                })));
    }

    /** A saved segment's rule in words (null for a static segment), as {@code GET /segments/{key}/rule?format=text}. */
    public String ruleText(TenantRules rules, SegmentRow row) {
        if (row.isStatic() || row.rule() == null) return null;
        try {
            return rules.text(mapper.readTree(row.rule()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored rule of segment " + row.key() + " is not JSON", e);
        }
    }

    // ------------------------------------------------------------------ numbers

    /** a / b rounded to 4 decimals; null when either is missing or b is 0. */
    static BigDecimal ratio(BigDecimal a, BigDecimal b) {
        if (a == null || b == null || b.signum() == 0) return null;
        return round(a.divide(b, 10, RoundingMode.HALF_EVEN));
    }

    /** Rounded to 4 decimals (half even), without trailing zeros: 15, 0.25, 1234.5678. */
    static BigDecimal round(BigDecimal x) {
        return x == null ? null : plain(x.setScale(SCALE, RoundingMode.HALF_EVEN));
    }

    /** Without trailing zeros, never in exponent form. */
    static BigDecimal plain(BigDecimal x) {
        if (x == null) return null;
        BigDecimal s = x.stripTrailingZeros();
        return s.scale() < 0 ? s.setScale(0) : s;
    }
}
