package dev.segments.segment.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.segments.common.error.ProblemException;
import dev.segments.common.pagination.Cursors;
import dev.segments.common.pagination.Page;
import dev.segments.common.pagination.PageRequest;
import dev.segments.customer.CustomerView;
import dev.segments.customer.persistence.CustomerRepository;
import dev.segments.rule.CompileContext;
import dev.segments.rule.RuleNode;
import dev.segments.rule.Value;
import dev.segments.rule.ValidatedRule;
import dev.segments.rule.format.RuleFormat;
import dev.segments.rule.sql.QueryShapes;
import dev.segments.rule.sql.SqlQuery;
import dev.segments.segment.SegmentDtos.CountView;
import dev.segments.segment.SegmentDtos.CustomerSegment;
import dev.segments.segment.SegmentDtos.ExplainedNode;
import dev.segments.segment.SegmentDtos.Explanation;
import dev.segments.segment.SegmentDtos.MemberPage;
import dev.segments.segment.SegmentDtos.PreviewView;
import dev.segments.common.config.ServiceConfig;
import dev.segments.rule.ResolvedSegment;
import dev.segments.rule.RuleDependencies;
import dev.segments.segment.persistence.MembershipRepository;
import dev.segments.segment.persistence.RuleQueryExecutor;
import dev.segments.segment.persistence.SegmentRow;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.sqlclient.data.Numeric;
import jakarta.enterprise.context.ApplicationScoped;

import dev.segments.common.csv.CsvCells;
import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Evaluating rules: counts, member pages, CSV export, previews of unsaved rules, ad-hoc search and the
 * segments of one customer. Every evaluation is one compiled, parameterized query.
 */
@ApplicationScoped
public class SegmentQueryService {

    /** Fields a member page may be narrowed to ({@code fields=}). */
    public static final Set<String> MEMBER_FIELDS = Set.of("id", "externalId", "name", "email", "phone", "phones",
            "gender", "birthDate", "country", "region", "city", "priceTier", "paymentTerms", "lifecycleStage",
            "source", "channel", "tags", "attributes", "contacts", "rollups", "createdAt", "updatedAt", "version");

    private static final int EXPORT_CHUNK = 5_000;
    private static final String CSV_HEADER = CsvCells.row("id", "externalId", "name", "email", "phone", "country",
            "region", "city", "priceTier", "paymentTerms", "lifecycleStage", "tags", "purchaseCount", "totalSpend",
            "lastPurchaseAt");

    /** {@link Read#source()}: read from the materialized membership of a dynamic segment. */
    public static final String MATERIALIZED = "materialized";
    /** {@link Read#source()}: a static segment's listed members. */
    public static final String STATIC = "static";
    /** {@link Read#source()}: the rule evaluated in the request. */
    public static final String LIVE = "live";

    /**
     * An answer and how current it is: {@code evaluatedAt}, the instant it is exact at (now, or asOf when evaluated
     * at asOf), and {@code source}, {@link #MATERIALIZED}, {@link #STATIC} or {@link #LIVE}.
     */
    public record Read<T>(T value, OffsetDateTime evaluatedAt, String source) {
    }

    private final SegmentService segments;
    private final RuleQueryExecutor executor;
    private final CustomerRepository customers;
    private final MembershipRepository membership;
    private final int readDueLimit;
    private final ObjectMapper mapper;

    SegmentQueryService(SegmentService segments, RuleQueryExecutor executor, CustomerRepository customers,
                        MembershipRepository membership, ServiceConfig config, ObjectMapper mapper) {
        this.segments = segments;
        this.executor = executor;
        this.customers = customers;
        this.membership = membership;
        this.readDueLimit = Math.min(config.membership().readDueLimit(), MembershipRepository.DUE_COUNT_CAP - 1);
        this.mapper = dev.segments.common.json.InputChecks.forStoredData(mapper);
    }

    public Uni<PreviewView> preview(long tenantId, JsonNode rule, RuleFormat format, OffsetDateTime asOf, int sampleSize,
                                    boolean explain) {
        if (sampleSize < 0 || sampleSize > 100) {
            throw ProblemException.validation("/sampleSize", "out_of_range", "sampleSize must be between 0 and 100");
        }
        OffsetDateTime now = now(asOf);
        return segments.rules(tenantId).chain(rules -> {
            ValidatedRule node = requireRule(rules, rule, format);
            String text = rules.text(node.node());
            CompileContext ctx = rules.context(now);
            SqlQuery count = QueryShapes.count(tenantId, node, ctx);
            long started = System.nanoTime();
            Uni<Long> counted = executor.run(tenantId, count).map(rs -> rs.iterator().next().getLong(0));
            Uni<List<CustomerView>> sample = sampleSize == 0 ? Uni.createFrom().item(List.of())
                    : executor.run(tenantId, membersQuery(tenantId, node, 0, sampleSize, ctx)).map(customers::toViews);
            return counted.chain(n -> sample.chain(s -> {
                long took = (System.nanoTime() - started) / 1_000_000;
                if (!explain) {
                    return Uni.createFrom().item(new PreviewView(n, text, s, now, took, null, null, null));
                }
                SqlQuery plan = QueryShapes.explain(count);
                return executor.run(tenantId, plan).map(rs -> new PreviewView(n, text, s, now, took, count.sql(),
                        count.params().stream().map(SegmentQueryService::printable).toList(),
                        parse(rs.iterator().next().getValue(0).toString())));
            }));
        });
    }

    /**
     * A segment's member count. Without asOf a saved segment is read from the materialization when it is current
     * (see {@link #countReads}); with asOf (past or future) the rule is evaluated at that time, as always.
     */
    public Uni<CountView> count(long tenantId, String key, OffsetDateTime asOf) {
        OffsetDateTime now = now(asOf);
        long started = System.nanoTime();
        return segments.rules(tenantId).chain(rules -> {
            ValidatedRule node = segmentNode(rules, key);
            if (asOf == null) {
                return countReads(tenantId, rules, List.of(key), present()).map(m -> {
                    Read<Long> r = m.get(key);
                    return new CountView(key, r.value(), r.evaluatedAt(), (System.nanoTime() - started) / 1_000_000,
                            r.source());
                });
            }
            return executor.run(tenantId, QueryShapes.count(tenantId, node, rules.context(now))).map(rs -> new CountView(key,
                    rs.iterator().next().getLong(0), now, (System.nanoTime() - started) / 1_000_000, LIVE));
        });
    }

    /** A keyset page of a segment's members (or of a rule's matches when key is null). */
    public Uni<MemberPage> members(long tenantId, String key, JsonNode rule, RuleFormat format, PageRequest page,
                                   OffsetDateTime asOf, List<String> fields) {
        List<String> selected = checkFields(fields);
        if (key != null && asOf == null) {
            return segments.rules(tenantId).chain(rules -> {
                segmentNode(rules, key);
                return pageReads(tenantId, rules, List.of(key), page, present());
            }).map(m -> {
                Read<Page<CustomerView>> r = m.get(key);
                return new MemberPage(r.value().items().stream().map(c -> project(c, selected)).toList(),
                        r.value().nextCursor(), r.evaluatedAt(), r.source());
            });
        }
        OffsetDateTime now = now(asOf);
        return memberViews(tenantId, key, rule, format, page, now).map(members -> new MemberPage(
                members.items().stream().map(c -> project(c, selected)).toList(), members.nextCursor(), now, LIVE));
    }

    /** How many customers match an unsaved rule. */
    public Uni<Long> countRule(long tenantId, JsonNode rule, RuleFormat format, OffsetDateTime asOf) {
        OffsetDateTime now = now(asOf);
        return segments.rules(tenantId).chain(rules -> executor.run(tenantId,
                        QueryShapes.count(tenantId, requireRule(rules, rule, format), rules.context(now)))
                .map(rs -> rs.iterator().next().getLong(0)));
    }

    /** A keyset page of a segment's members (or of a rule's matches when key is null), as full views. */
    public Uni<Page<CustomerView>> memberViews(long tenantId, String key, JsonNode rule, RuleFormat format,
                                               PageRequest page, OffsetDateTime asOf) {
        OffsetDateTime now = now(asOf);
        return segments.rules(tenantId).chain(rules -> {
            ValidatedRule node = key != null ? segmentNode(rules, key) : requireRule(rules, rule, format);
            return executor.run(tenantId, membersQuery(tenantId, node, page.afterId(), page.limit() + 1, rules.context(now)))
                    .map(rs -> Page.fromOverfetch(customers.toViews(rs), page.limit(), c -> Cursors.encodeId(c.id())));
        });
    }

    /**
     * One keyset page of members for each of several segments, with how current each is: without asOf from the
     * materialization where it is current ({@link #pageReads}), else evaluated in one query (a {@code union all} of
     * each segment's page). Unknown keys get an empty page.
     */
    public Uni<Map<String, Read<Page<CustomerView>>>> memberPages(long tenantId, List<String> keys, PageRequest page,
                                                                 OffsetDateTime asOf) {
        OffsetDateTime now = now(asOf);
        return segments.rules(tenantId).chain(rules -> {
            List<String> known = keys.stream().distinct().filter(rules.segments()::containsKey).toList();
            Uni<Map<String, Read<Page<CustomerView>>>> read = known.isEmpty() ? Uni.createFrom().item(Map.of())
                    : asOf == null ? pageReads(tenantId, rules, known, page, present())
                    : livePages(tenantId, rules, known, page, now).map(p -> live(p, now));
            return read.map(found -> {
                Map<String, Read<Page<CustomerView>>> pages = new LinkedHashMap<>();
                keys.forEach(k -> pages.put(k, found.getOrDefault(k, new Read<>(new Page<>(List.of(), null), now, LIVE))));
                return pages;
            });
        });
    }

    /** {@link #memberPages} evaluated at {@code now}: one statement for the rules of these (known) segments. */
    private Uni<Map<String, Page<CustomerView>>> livePages(long tenantId, TenantRules rules, List<String> known,
                                                           PageRequest page, OffsetDateTime now) {
        SqlQuery query = QueryShapes.pages(tenantId, known.stream().map(rules::segment).toList(),
                page.afterId(), page.limit() + 1, CustomerRepository.VIEW_COLUMNS, rules.context(now));
        return executor.run(tenantId, query).map(rs -> {
            Map<Integer, List<CustomerView>> rows = new HashMap<>();
            int indexColumn = rs.columnsNames().indexOf("segment_index");
            CustomerRepository.ViewColumns at = rs.size() == 0 ? null
                    : CustomerRepository.ViewColumns.of(rs.columnsNames());
            for (Row row : rs) {
                rows.computeIfAbsent(row.getLong(indexColumn).intValue(), i -> new ArrayList<>()).add(customers.toView(row, at));
            }
            Map<String, Page<CustomerView>> pages = new LinkedHashMap<>();
            for (int i = 0; i < known.size(); i++) {
                pages.put(known.get(i), Page.fromOverfetch(rows.getOrDefault(i, List.of()), page.limit(),
                        c -> Cursors.encodeId(c.id())));
            }
            return pages;
        });
    }

    /** Member counts of several segments (unknown keys left out): {@link #countReads} without asOf, else evaluated. */
    public Uni<Map<String, Long>> counts(long tenantId, Collection<String> keys, OffsetDateTime asOf) {
        return countsRead(tenantId, keys, asOf).map(m -> {
            Map<String, Long> counts = new LinkedHashMap<>();
            m.forEach((k, r) -> counts.put(k, r.value()));
            return counts;
        });
    }

    /** {@link #counts} with how current each count is. */
    public Uni<Map<String, Read<Long>>> countsRead(long tenantId, Collection<String> keys, OffsetDateTime asOf) {
        OffsetDateTime now = now(asOf);
        return segments.rules(tenantId).chain(rules -> {
            List<String> known = keys.stream().distinct().filter(rules.segments()::containsKey).toList();
            if (known.isEmpty()) {
                return Uni.createFrom().item(Map.<String, Read<Long>>of());
            }
            return asOf == null ? countReads(tenantId, rules, known, present())
                    : liveCounts(tenantId, rules, known, now).map(c -> live(c, now));
        });
    }

    /** Member counts of these (known) segments evaluated at {@code now}, in one scan of the tenant's customers. */
    private Uni<Map<String, Long>> liveCounts(long tenantId, TenantRules rules, List<String> known, OffsetDateTime now) {
        SqlQuery query = QueryShapes.countEach(tenantId, known.stream().map(rules::segment).toList(),
                rules.context(now));
        return executor.run(tenantId, query).map(rs -> {
            Row row = rs.iterator().next();
            Map<String, Long> counts = new LinkedHashMap<>();
            for (int i = 0; i < known.size(); i++) {
                counts.put(known.get(i), row.getLong(i));
            }
            return counts;
        });
    }

    // ------------------------------------------------------------------ reads from the materialization

    /**
     * The counts of saved segments (unknown keys left out) as the reads without asOf compute them, at clock
     * {@code now}: a clock at or after the tenant's last write, up to which time alone changes membership only for
     * the customers whose due instant passes, which the read evaluates. The endpoints read at the present; tests
     * move the clock, as with {@link MembershipService#tick(OffsetDateTime)}.
     */
    public Uni<Map<String, Read<Long>>> savedCounts(long tenantId, Collection<String> keys, OffsetDateTime now) {
        return segments.rules(tenantId).chain(rules -> countReads(tenantId, rules,
                keys.stream().distinct().filter(rules.segments()::containsKey).toList(), now));
    }

    /** {@link #savedCounts} for a keyset page of each saved segment's members. */
    public Uni<Map<String, Read<Page<CustomerView>>>> savedPages(long tenantId, Collection<String> keys,
                                                                 PageRequest page, OffsetDateTime now) {
        return segments.rules(tenantId).chain(rules -> pageReads(tenantId, rules,
                keys.stream().distinct().filter(rules.segments()::containsKey).toList(), page, now));
    }

    private static OffsetDateTime present() {
        return OffsetDateTime.now(ZoneOffset.UTC);
    }

    /**
     * Counts of saved segments (known keys) now: a dynamic segment's maintained {@code member_count} when its
     * materialization can answer ({@link #usable}), corrected for the due customers when its rule reads the clock
     * ({@link #due}), a static segment's listed members, else the rule evaluated now (the others together, in one
     * scan). The check, the counts and the due customers come from one snapshot.
     */
    private Uni<Map<String, Read<Long>>> countReads(long tenantId, TenantRules rules, List<String> known,
                                                    OffsetDateTime now) {
        List<SegmentRow> rows = known.stream().map(rules.segments()::get).toList();
        Uni<Map<String, Read<Long>>> stored = membership.snapshot(conn -> membership.counts(conn, tenantId, now,
                checked(rules, rows), ids(rows, false), ids(rows, true)).chain(read -> {
            List<SegmentRow> usable = rows.stream().filter(r -> usable(rules, r, read.check())).toList();
            List<SegmentRow> corrected = usable.stream().filter(r -> corrected(rules, r, read.check())).toList();
            return due(conn, tenantId, rules, corrected, null, null, now).map(due -> {
                Map<String, Read<Long>> out = new LinkedHashMap<>();
                for (SegmentRow row : usable) {
                    long n = read.counts().getOrDefault(row.id(), 0L);
                    if (corrected.contains(row)) {
                        for (MembershipRepository.DueCustomer c : due.customers()) {
                            if (c.dueFor(row.id())) {
                                n += (c.holds().contains(row.key()) ? 1 : 0) - (c.stored().contains(row.id()) ? 1 : 0);
                            }
                        }
                    }
                    out.put(row.key(), new Read<>(n, now, row.isStatic() ? STATIC : MATERIALIZED));
                }
                return out;
            });
        }));
        return stored.chain(out -> {
            List<String> stale = known.stream().filter(k -> !out.containsKey(k)).toList();
            if (stale.isEmpty()) {
                return Uni.createFrom().item(out);
            }
            return liveCounts(tenantId, rules, stale, now).map(c -> {
                c.forEach((k, n) -> out.put(k, new Read<>(n, now, LIVE)));
                return inOrder(known, out);
            });
        });
    }

    /**
     * Keyset pages of saved segments (known keys) now: index range scans of the materialized (dynamic) or listed
     * (static) members joined to the customer, with the check in the same snapshot; for a rule that reads the clock
     * the due customers are left out of the scan and those of them the rule holds for now merged in ({@link #due}).
     * Segments whose materialization cannot answer are evaluated now instead (together, in one statement).
     */
    private Uni<Map<String, Read<Page<CustomerView>>>> pageReads(long tenantId, TenantRules rules, List<String> known,
                                                                 PageRequest page, OffsetDateTime now) {
        List<SegmentRow> rows = known.stream().map(rules.segments()::get).toList();
        List<Boolean> withoutDue = rows.stream().map(r -> !r.isStatic() && readsClock(rules, r)).toList();
        int overfetch = page.limit() + 1;
        Uni<Map<String, Read<Page<CustomerView>>>> stored = membership.snapshot(conn -> membership.pages(conn, tenantId,
                now, checked(rules, rows), rows.stream().map(SegmentRow::id).toList(), withoutDue, page.afterId(),
                overfetch, CustomerRepository.VIEW_COLUMNS).chain(read -> {
            List<SegmentRow> corrected = rows.stream()
                    .filter(r -> usable(rules, r, read.check()) && corrected(rules, r, read.check())).toList();
            // a due customer after a full page's last row cannot be on the page: only the ids up to it are evaluated
            long upTo = Long.MIN_VALUE;
            for (SegmentRow r : corrected) {
                List<Row> fromStore = read.pages().getOrDefault(rows.indexOf(r), List.of());
                upTo = Math.max(upTo, fromStore.size() < overfetch ? Long.MAX_VALUE
                        : fromStore.get(overfetch - 1).getLong("id"));
            }
            return due(conn, tenantId, rules, corrected, CustomerRepository.VIEW_COLUMNS,
                    new QueryShapes.IdRange(page.afterId(), upTo), now).map(due -> {
                Map<String, Read<Page<CustomerView>>> out = new LinkedHashMap<>();
                CustomerRepository.ViewColumns at = read.pages().isEmpty() ? null
                        : CustomerRepository.ViewColumns.of(read.columns());
                CustomerRepository.ViewColumns atDue = due.customers().isEmpty() ? null
                        : CustomerRepository.ViewColumns.of(due.columns());
                for (int i = 0; i < rows.size(); i++) {
                    SegmentRow row = rows.get(i);
                    if (!usable(rules, row, read.check())) {
                        continue;
                    }
                    List<CustomerView> items = new ArrayList<>(read.pages().getOrDefault(i, List.of()).stream()
                            .map(r -> customers.toView(r, at)).toList());
                    if (corrected.contains(row)) {
                        due.customers().stream().filter(c -> c.customerId() > page.afterId() && c.dueFor(row.id())
                                && c.holds().contains(row.key())).forEach(c -> items.add(customers.toView(c.row(), atDue)));
                        items.sort(java.util.Comparator.comparingLong(CustomerView::id));
                    }
                    List<CustomerView> first = items.size() > overfetch ? items.subList(0, overfetch) : items;
                    out.put(row.key(), new Read<>(Page.fromOverfetch(first, page.limit(), c -> Cursors.encodeId(c.id())),
                            now, row.isStatic() ? STATIC : MATERIALIZED));
                }
                return out;
            });
        }));
        return stored.chain(out -> {
            List<String> stale = known.stream().filter(k -> !out.containsKey(k)).toList();
            if (stale.isEmpty()) {
                return Uni.createFrom().item(out);
            }
            return livePages(tenantId, rules, stale, page, now).map(p -> {
                p.forEach((k, v) -> out.put(k, new Read<>(v, now, LIVE)));
                return inOrder(known, out);
            });
        });
    }

    /**
     * The tenant's due customers, in the snapshot, with which of these segments' rules hold for them now and which
     * segments' materialization holds them ({@link QueryShapes#dueMembership}): those due for one of the segments
     * (the others' stored membership is their membership now), of the ids in {@code ids} only (null: all); none when
     * no segment is given.
     */
    private Uni<MembershipRepository.DueRead> due(io.vertx.mutiny.sqlclient.SqlConnection conn, long tenantId,
                                                  TenantRules rules, List<SegmentRow> segments, String columns,
                                                  QueryShapes.IdRange ids, OffsetDateTime now) {
        if (segments.isEmpty()) {
            return Uni.createFrom().item(new MembershipRepository.DueRead(List.of(), List.of()));
        }
        return membership.due(conn, QueryShapes.dueMembership(tenantId, segments.stream()
                .map(s -> new QueryShapes.Keyed(s.key(), rules.segment(s.key()))).toList(), columns, ids,
                segments.stream().map(SegmentRow::id).toList(), rules.context(now)));
    }

    /**
     * Whether saved dynamic segment {@code row}'s materialization can answer a read now
     * ({@link #usable(TenantRules, SegmentRow, MembershipRepository.ReadCheck)}): the check of the reads, for
     * readers of the member set such as insight's profile and reports, which read it through
     * {@link QueryShapes.Members.Materialized} (corrected for the due customers there).
     */
    Uni<Boolean> materializedUsable(long tenantId, TenantRules rules, SegmentRow row, OffsetDateTime now) {
        return membership.snapshot(conn -> membership.check(conn, tenantId, now, checked(rules, List.of(row))))
                .map(check -> usable(rules, row, check));
    }

    /**
     * Of these saved segments, the dynamic ones whose materialization the reads would use now, and the instant the
     * materialization as it stands (not corrected for the due customers) is exact at: the tenant's watermark when one
     * of them reads the clock, else now. For readers of the stored membership itself (overlap, standings).
     */
    Uni<Stored> materializedNow(long tenantId, TenantRules rules, List<SegmentRow> rows, OffsetDateTime now) {
        List<SegmentRow> dynamic = rows.stream().filter(r -> !r.isStatic()).toList();
        if (dynamic.isEmpty()) return Uni.createFrom().item(new Stored(Set.of(), now));
        return membership.snapshot(conn -> membership.check(conn, tenantId, now, checked(rules, dynamic))).map(check -> {
            Set<Long> out = new LinkedHashSet<>();
            dynamic.forEach(r -> {
                if (usable(rules, r, check)) out.add(r.id());
            });
            return new Stored(out, dynamic.stream().anyMatch(r -> readsClock(rules, r)) ? check.watermark() : now);
        });
    }

    /** {@link #materializedNow}: the usable dynamic segments and the instant their stored membership is exact at. */
    record Stored(Set<Long> usable, OffsetDateTime exactAt) {
    }

    /**
     * Whether a saved segment's stored membership can answer a read exactly at now: a static segment always; a
     * dynamic one unless the tenant is marked for repair, the materialization of the segment or of a segment it
     * references was not computed for its current version, or its rule reads the clock and more than
     * {@code segments.membership.read-due-limit} customers are due. A customer whose due instant is after now is
     * a member exactly when it is stored as one (its truths cannot have changed since it was evaluated); the due ones
     * are evaluated by the read ({@link #corrected}). A rule that does not read the clock is exact whatever is due.
     */
    private boolean usable(TenantRules rules, SegmentRow row, MembershipRepository.ReadCheck check) {
        if (row.isStatic()) {
            return true;
        }
        if (check.repair() || !check.current().containsAll(ids(rules, dependencies(rules, row.key())))) {
            return false;
        }
        return check.dueCount() <= readDueLimit || !readsClock(rules, row);
    }

    /** Whether a read of this dynamic segment evaluates the due customers: some are due and its rule reads the clock. */
    private static boolean corrected(TenantRules rules, SegmentRow row, MembershipRepository.ReadCheck check) {
        return !row.isStatic() && check.dueCount() > 0 && readsClock(rules, row);
    }

    static boolean readsClock(TenantRules rules, SegmentRow row) {
        return RuleDependencies.of(rules.segment(row.key()), rules.resolver()).timeDependent();
    }

    /** The dynamic segments whose materialization a read of these segments needs current: them and their refs. */
    private static Set<Long> checked(TenantRules rules, List<SegmentRow> rows) {
        Set<Long> ids = new LinkedHashSet<>();
        rows.stream().filter(r -> !r.isStatic()).forEach(r -> ids.addAll(ids(rules, dependencies(rules, r.key()))));
        return ids;
    }

    private static List<Long> ids(List<SegmentRow> rows, boolean listed) {
        return rows.stream().filter(r -> r.isStatic() == listed).map(SegmentRow::id).toList();
    }

    private static Set<Long> ids(TenantRules rules, Set<String> keys) {
        Set<Long> ids = new LinkedHashSet<>();
        keys.forEach(k -> ids.add(rules.segments().get(k).id()));
        return ids;
    }

    /** The dynamic segment {@code key} and every dynamic segment its rule refers to, directly or through others. */
    static Set<String> dependencies(TenantRules rules, String key) {
        Set<String> seen = new LinkedHashSet<>();
        collect(rules, key, seen);
        return seen;
    }

    private static void collect(TenantRules rules, String key, Set<String> seen) {
        SegmentRow row = rules.segments().get(key);
        if (row == null || row.isStatic() || !seen.add(key)) {
            return;
        }
        if (rules.resolver().resolve(key).orElse(null) instanceof ResolvedSegment.Dynamic d) {
            refs(d.rule(), ref -> collect(rules, ref, seen));
        }
    }

    private static void refs(RuleNode n, java.util.function.Consumer<String> sink) {
        switch (n) {
            case RuleNode.Group g -> g.children().forEach(c -> refs(c, sink));
            case RuleNode.Not not -> refs(not.child(), sink);
            case RuleNode.SegmentRef s -> sink.accept(s.key());
            case RuleNode.Condition c -> {
            }
            case RuleNode.Aggregate a -> {
            }
        }
    }

    private static <T> Map<String, Read<T>> live(Map<String, T> values, OffsetDateTime now) {
        Map<String, Read<T>> out = new LinkedHashMap<>();
        values.forEach((k, v) -> out.put(k, new Read<>(v, now, LIVE)));
        return out;
    }

    private static <T> Map<String, T> inOrder(List<String> keys, Map<String, T> values) {
        Map<String, T> out = new LinkedHashMap<>();
        keys.forEach(k -> {
            if (values.containsKey(k)) out.put(k, values.get(k));
        });
        return out;
    }

    /** All members as CSV, fetched in keyset chunks so memory stays flat for millions of rows. */
    public Multi<String> exportCsv(long tenantId, String key, OffsetDateTime asOf) {
        OffsetDateTime now = now(asOf);
        return segments.rules(tenantId).toMulti().flatMap(rules -> {
            ValidatedRule node = segmentNode(rules, key);
            CompileContext ctx = rules.context(now);
            AtomicLong after = new AtomicLong(0);
            Multi<String> chunks = Multi.createBy().repeating()
                    .uni(() -> executor.run(tenantId, membersQuery(tenantId, node, after.get(), EXPORT_CHUNK, ctx))
                            .map(customers::toViews))
                    .whilst(rows -> rows.size() == EXPORT_CHUNK)
                    .filter(rows -> !rows.isEmpty())
                    .map(rows -> {
                        after.set(rows.get(rows.size() - 1).id());
                        StringBuilder sb = new StringBuilder(rows.size() * 120);
                        rows.forEach(c -> csvLine(sb, c));
                        return sb.toString();
                    });
            return Multi.createBy().concatenating().streams(Multi.createFrom().item(CSV_HEADER), chunks);
        });
    }

    /** The tenant's segments that contain this customer (see {@link #segmentsOf(long, Collection, OffsetDateTime)}). */
    public Uni<List<CustomerSegment>> segmentsOf(long tenantId, long customerId, OffsetDateTime asOf) {
        return segmentsOf(tenantId, List.of(customerId), asOf).map(m -> {
            List<CustomerSegment> of = m.get(customerId);
            if (of == null) {
                throw ProblemException.notFound("Customer " + customerId);
            }
            return of;
        });
    }

    /**
     * The segments of each of several customers; customers that are not the tenant's are left out. Without asOf read
     * from the materialization ({@code segment_membership} by customer, and the static members) in one snapshot;
     * evaluated now instead (every segment for those customers in one query) for the customers that are due (their
     * time events not yet processed), and for all of them while the tenant is marked for repair or a dynamic
     * segment's materialization is not of its current version. With asOf: evaluated at asOf.
     */
    public Uni<Map<Long, List<CustomerSegment>>> segmentsOf(long tenantId, Collection<Long> customerIds,
                                                            OffsetDateTime asOf) {
        OffsetDateTime now = now(asOf);
        return segments.rules(tenantId).chain(rules -> {
            if (customerIds.isEmpty()) {
                return Uni.createFrom().item(new LinkedHashMap<Long, List<CustomerSegment>>());
            }
            if (asOf != null) {
                return liveSegmentsOf(tenantId, rules, customerIds, now);
            }
            List<SegmentRow> all = new ArrayList<>(rules.segments().values());
            Set<Long> dynamic = new LinkedHashSet<>(ids(all, false));
            return membership.snapshot(conn -> membership.segmentsOf(conn, tenantId, now, dynamic, customerIds))
                    .chain(read -> {
                if (read.check().repair() || !read.check().current().containsAll(dynamic)) {
                    return liveSegmentsOf(tenantId, rules, customerIds, now);
                }
                Map<Long, List<CustomerSegment>> result = new LinkedHashMap<>();
                read.segments().forEach((id, of) -> result.put(id, all.stream().filter(s -> of.contains(s.id()))
                        .map(SegmentQueryService::customerSegment).toList()));
                if (read.due().isEmpty()) {
                    return Uni.createFrom().item(result);
                }
                return liveSegmentsOf(tenantId, rules, read.due(), now).map(live -> {
                    result.putAll(live);
                    return result;
                });
            });
        });
    }

    /** Every segment of the tenant evaluated at {@code now} for these customers, in one query. */
    private Uni<Map<Long, List<CustomerSegment>>> liveSegmentsOf(long tenantId, TenantRules rules,
                                                                 Collection<Long> customerIds, OffsetDateTime now) {
        List<SegmentRow> all = new ArrayList<>(rules.segments().values());
        Map<Long, List<CustomerSegment>> result = new LinkedHashMap<>();
        SqlQuery query = QueryShapes.segmentsOf(tenantId,
                all.stream().map(s -> new QueryShapes.Keyed(s.key(), rules.segment(s.key()))).toList(), customerIds,
                rules.context(now));
        return executor.runForCustomers(tenantId, query).map(rs -> {
            for (Row row : rs) {
                String[] keys = row.getArrayOfStrings(1);
                List<String> member = keys == null ? List.of() : Arrays.asList(keys);
                result.put(row.getLong(0), all.stream().filter(s -> member.contains(s.key()))
                        .map(SegmentQueryService::customerSegment).toList());
            }
            return result;
        });
    }

    private static CustomerSegment customerSegment(SegmentRow s) {
        return new CustomerSegment(s.key(), s.name(), s.kind().wire(), s.tier().wire());
    }

    // ------------------------------------------------------------------ explain

    /**
     * Why a customer is or is not a member of a segment at {@code asOf}: the segment's rule with every node's truth
     * for the customer, the values it used and the nodes that decided, from one statement
     * ({@link QueryShapes#explainSegment}). 404 for an unknown segment or a customer that is not the tenant's.
     */
    public Uni<Explanation> explain(long tenantId, String key, long customerId, OffsetDateTime asOf) {
        OffsetDateTime now = now(asOf);
        return segments.rules(tenantId).chain(rules -> {
            ValidatedRule segment = segmentNode(rules, key);
            SegmentRow row = rules.segments().get(key);
            return explanation(tenantId, QueryShapes.explainSegment(tenantId, segment, customerId, rules.context(now)),
                    key, row.isStatic() ? null : parse(row.rule()), customerId, now);
        });
    }

    /** {@link #explain} for an unsaved rule (any format; pointers into its native translation). */
    public Uni<Explanation> explainRule(long tenantId, JsonNode rule, RuleFormat format, Long customerId,
                                        OffsetDateTime asOf) {
        OffsetDateTime now = now(asOf);
        return segments.rules(tenantId).chain(rules -> {
            if (rule == null || rule.isNull()) {
                throw ProblemException.validation("/rule", "required", "a rule is required");
            }
            TenantRules.Checked checked = rules.check(rule, format, null);
            if (customerId == null) {
                throw ProblemException.validation("/customerId", "required", "a customerId is required");
            }
            return explanation(tenantId, QueryShapes.explainCustomer(tenantId, checked.validated(), customerId,
                    rules.context(now)), null, checked.rule(), customerId, now);
        });
    }

    private Uni<Explanation> explanation(long tenantId, QueryShapes.Explained explained, String key, JsonNode rule,
                                         long customerId, OffsetDateTime now) {
        long started = System.nanoTime();
        return executor.run(tenantId, explained.query()).map(rs -> {
            if (rs.size() == 0) {
                throw ProblemException.notFound("Customer " + customerId);
            }
            Row row = rs.iterator().next();
            ExplainedNode root = explainedNode(explained.root(), null, row);
            List<String> decided = new ArrayList<>();
            decidingLeaves(root, decided);
            return new Explanation(key, row.getLong("customer_id"), row.getString("customer_external_id"),
                    Boolean.TRUE.equals(root.truth()), now, decided, rule, root,
                    (System.nanoTime() - started) / 1_000_000);
        });
    }

    /**
     * A node as the statement's row has it. Only structure is derived here: a group is decided by the children
     * whose truth equals its own (the false children of a false and, every child of a true and; the true children
     * of a true or, every child of a false or), a not by its child.
     */
    private ExplainedNode explainedNode(QueryShapes.NodeColumns c, String parent, Row row) {
        RuleNode n = c.node();
        Boolean truth = c.truth() == null ? null : row.getBoolean(c.truth());
        List<ExplainedNode> children = c.children().stream().map(ch -> explainedNode(ch, n.pointer(), row)).toList();
        List<String> decidedBy = truth == null ? null : switch (n) {
            case RuleNode.Group g -> children.stream().filter(ch -> truth.equals(ch.truth())).map(ExplainedNode::pointer)
                    .toList();
            case RuleNode.Not not -> List.of(children.get(0).pointer());
            case RuleNode.Condition cond -> null;
            case RuleNode.Aggregate a -> null;
            case RuleNode.SegmentRef s -> null;
        };
        JsonNode value = c.value() == null ? null : json(row.getValue(c.value()));
        JsonNode refValue = c.refValue() == null ? null : json(row.getValue(c.refValue()));
        Long rows = c.rows() == null ? null : row.getLong(c.rows());
        return switch (n) {
            case RuleNode.Group g -> new ExplainedNode(n.pointer(), parent,
                    g.combinator() == RuleNode.Combinator.AND ? "and" : "or", truth, decidedBy, null, null, null, null,
                    null, null, null, null, rows, children);
            case RuleNode.Not not -> new ExplainedNode(n.pointer(), parent, "not", truth, decidedBy, null, null, null,
                    null, null, null, null, null, rows, children);
            case RuleNode.Condition cond -> new ExplainedNode(n.pointer(), parent, "condition", truth, null,
                    cond.field(), cond.op().json(), ref(cond.value()), null, null, null, value, refValue, rows, children);
            case RuleNode.Aggregate a -> new ExplainedNode(n.pointer(), parent, "aggregate", truth, null, a.field(),
                    a.op().json(), ref(a.value()), a.fn().json(), a.stream(), null, value, refValue, rows, children);
            case RuleNode.SegmentRef ref -> new ExplainedNode(n.pointer(), parent, "segment", truth, null, null, null,
                    null, null, null, ref.key(), null, null, null, children);
        };
    }

    private static String ref(Value value) {
        return value instanceof Value.Ref r ? r.field() : null;
    }

    /** The leaves reached from the root through deciding children (an aggregate's where is not descended into). */
    private static void decidingLeaves(ExplainedNode node, List<String> out) {
        if (node.decidedBy() == null) {
            out.add(node.pointer());
            return;
        }
        for (ExplainedNode child : node.children()) {
            if (node.decidedBy().contains(child.pointer())) {
                decidingLeaves(child, out);
            }
        }
    }

    /** A column value as JSON: SQL NULL is JSON null (missing); dates and times as the API writes them. */
    private JsonNode json(Object v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (v) {
            case null -> f.nullNode();
            case Numeric n -> f.numberNode(n.bigDecimalValue());
            case java.math.BigDecimal d -> f.numberNode(d);
            case Long l -> f.numberNode(l);
            case Integer i -> f.numberNode(i);
            case Short sh -> f.numberNode(sh);
            case Double d -> f.numberNode(d);
            case Boolean bool -> f.booleanNode(bool);
            case String str -> f.textNode(str);
            case String[] a -> {
                var array = f.arrayNode();
                for (String x : a) array.add(x);
                yield array;
            }
            case JsonObject o -> parse(o.encode());
            case JsonArray a -> parse(a.encode());
            default -> mapper.valueToTree(v); // LocalDate, OffsetDateTime
        };
    }

    private static SqlQuery membersQuery(long tenantId, ValidatedRule node, long afterId, int limit, CompileContext ctx) {
        return QueryShapes.page(tenantId, node, afterId, limit, CustomerRepository.VIEW_COLUMNS, ctx);
    }

    private static ValidatedRule segmentNode(TenantRules rules, String key) {
        if (!rules.segments().containsKey(key)) {
            throw SegmentService.notFound(key);
        }
        return rules.segment(key);
    }

    private static ValidatedRule requireRule(TenantRules rules, JsonNode rule, RuleFormat format) {
        if (rule == null || rule.isNull()) {
            throw ProblemException.validation("/rule", "required", "a rule is required");
        }
        return rules.check(rule, format, null).validated();
    }

    private static List<String> checkFields(List<String> fields) {
        if (fields == null || fields.isEmpty()) {
            return null;
        }
        List<String> selected = fields.stream().flatMap(f -> Arrays.stream(f.split(","))).map(String::trim)
                .filter(f -> !f.isEmpty()).toList();
        for (String f : selected) {
            if (!MEMBER_FIELDS.contains(f)) {
                throw ProblemException.validation("fields", "unknown_field", "unknown field '" + f + "'; choose from "
                        + String.join(", ", MEMBER_FIELDS.stream().sorted().toList()));
            }
        }
        return selected;
    }

    /**
     * A member as answered: the view itself without {@code fields} (serialized once, as the customer endpoints do),
     * else a tree of the view holding only those fields. Converting every member to a tree first cost a members page
     * two serializations of its 50 customers.
     */
    private Object project(CustomerView c, List<String> fields) {
        if (fields == null) {
            return c;
        }
        ObjectNode full = mapper.valueToTree(c);
        full.retain(fields);
        return full;
    }

    /** One member as a CSV record; every cell goes through {@link CsvCells#cell} (formula neutralisation, quoting). */
    private static void csvLine(StringBuilder sb, CustomerView c) {
        CsvCells.row(sb, Long.toString(c.id()), c.externalId(), c.name(), c.email(), c.phone(), c.country(), c.region(),
                c.city(), c.priceTier(), c.paymentTerms(), c.lifecycleStage(), String.join("|", c.tags()),
                Long.toString(c.rollups().purchaseCount()), c.rollups().totalSpend().toPlainString(),
                c.rollups().lastPurchaseAt() == null ? null : c.rollups().lastPurchaseAt().toString());
    }

    private static Object printable(Object param) {
        return param instanceof String[] a ? Arrays.asList(a) : param instanceof OffsetDateTime t ? t.toString() : param;
    }

    private JsonNode parse(String json) {
        try {
            return mapper.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static OffsetDateTime now(OffsetDateTime asOf) {
        dev.segments.common.http.DateParams.requireInRange(asOf, "asOf"); // GraphQL arguments too
        return (asOf == null ? OffsetDateTime.now() : asOf).withOffsetSameInstant(ZoneOffset.UTC);
    }
}
