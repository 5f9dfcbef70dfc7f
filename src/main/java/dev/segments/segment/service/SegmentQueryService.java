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

    private final SegmentService segments;
    private final RuleQueryExecutor executor;
    private final CustomerRepository customers;
    private final ObjectMapper mapper;

    SegmentQueryService(SegmentService segments, RuleQueryExecutor executor, CustomerRepository customers,
                        ObjectMapper mapper) {
        this.segments = segments;
        this.executor = executor;
        this.customers = customers;
        this.mapper = mapper;
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

    public Uni<CountView> count(long tenantId, String key, OffsetDateTime asOf) {
        OffsetDateTime now = now(asOf);
        return segments.rules(tenantId).chain(rules -> {
            ValidatedRule node = segmentNode(rules, key);
            long started = System.nanoTime();
            return executor.run(tenantId, QueryShapes.count(tenantId, node, rules.context(now))).map(rs -> new CountView(key,
                    rs.iterator().next().getLong(0), now, (System.nanoTime() - started) / 1_000_000));
        });
    }

    /** A keyset page of a segment's members (or of a rule's matches when key is null). */
    public Uni<MemberPage> members(long tenantId, String key, JsonNode rule, RuleFormat format, PageRequest page,
                                   OffsetDateTime asOf, List<String> fields) {
        List<String> selected = checkFields(fields);
        return memberViews(tenantId, key, rule, format, page, asOf).map(members -> new MemberPage(
                members.items().stream().map(c -> project(c, selected)).toList(), members.nextCursor()));
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
     * One keyset page of members for each of several segments, in one query: a {@code union all} of each
     * segment's page, tagged with the segment's position. Unknown keys get an empty page.
     */
    public Uni<Map<String, Page<CustomerView>>> memberPages(long tenantId, List<String> keys, PageRequest page,
                                                           OffsetDateTime asOf) {
        OffsetDateTime now = now(asOf);
        return segments.rules(tenantId).chain(rules -> {
            List<String> known = keys.stream().distinct().filter(rules.segments()::containsKey).toList();
            Map<String, Page<CustomerView>> pages = new LinkedHashMap<>();
            keys.forEach(k -> pages.put(k, new Page<>(List.of(), null)));
            if (known.isEmpty()) {
                return Uni.createFrom().item(pages);
            }
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
                for (int i = 0; i < known.size(); i++) {
                    pages.put(known.get(i), Page.fromOverfetch(rows.getOrDefault(i, List.of()), page.limit(),
                            c -> Cursors.encodeId(c.id())));
                }
                return pages;
            });
        });
    }

    /** Member counts of several segments in one scan of the tenant's customers. Unknown keys are left out. */
    public Uni<Map<String, Long>> counts(long tenantId, Collection<String> keys, OffsetDateTime asOf) {
        OffsetDateTime now = now(asOf);
        return segments.rules(tenantId).chain(rules -> {
            List<String> known = keys.stream().distinct().filter(rules.segments()::containsKey).toList();
            if (known.isEmpty()) {
                return Uni.createFrom().item(Map.<String, Long>of());
            }
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
        });
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

    /** The tenant's segments that contain this customer, evaluated in one query. */
    public Uni<List<CustomerSegment>> segmentsOf(long tenantId, long customerId, OffsetDateTime asOf) {
        return customers.findById(tenantId, customerId).chain(found -> {
            if (found.isEmpty()) {
                return Uni.createFrom().failure(ProblemException.notFound("Customer " + customerId));
            }
            return segmentsOf(tenantId, List.of(customerId), asOf).map(m -> m.getOrDefault(customerId, List.of()));
        });
    }

    /**
     * The segments of each of several customers, every segment of the tenant evaluated for all of them in one
     * query. Customers that are not the tenant's are left out.
     */
    public Uni<Map<Long, List<CustomerSegment>>> segmentsOf(long tenantId, Collection<Long> customerIds,
                                                            OffsetDateTime asOf) {
        OffsetDateTime now = now(asOf);
        return segments.rules(tenantId).chain(rules -> {
            List<SegmentRow> all = new ArrayList<>(rules.segments().values());
            Map<Long, List<CustomerSegment>> result = new LinkedHashMap<>();
            if (customerIds.isEmpty()) {
                return Uni.createFrom().item(result);
            }
            SqlQuery query = QueryShapes.segmentsOf(tenantId,
                    all.stream().map(s -> new QueryShapes.Keyed(s.key(), rules.segment(s.key()))).toList(), customerIds,
                    rules.context(now));
            return executor.runForCustomers(tenantId, query).map(rs -> {
                for (Row row : rs) {
                    String[] keys = row.getArrayOfStrings(1);
                    List<String> member = keys == null ? List.of() : Arrays.asList(keys);
                    result.put(row.getLong(0), all.stream().filter(s -> member.contains(s.key()))
                            .map(s -> new CustomerSegment(s.key(), s.name(), s.kind().wire(), s.tier().wire())).toList());
                }
                return result;
            });
        });
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

    private JsonNode project(CustomerView c, List<String> fields) {
        ObjectNode full = mapper.valueToTree(c);
        if (fields != null) {
            full.retain(fields);
        }
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
