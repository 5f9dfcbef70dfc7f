package dev.segments.segment.api;

import dev.segments.common.graphql.GraphQLSupport;
import dev.segments.common.pagination.PageRequest;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.customer.api.CustomerGraphQL.CountSource;
import dev.segments.customer.api.CustomerGraphQL.CustomerConnection;
import dev.segments.customer.service.CustomerService;
import dev.segments.rule.format.RuleFormat;
import dev.segments.segment.service.SegmentQueryService;
import io.smallrye.mutiny.Uni;
import jakarta.json.JsonValue;
import org.eclipse.microprofile.graphql.DefaultValue;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.GraphQLApi;
import org.eclipse.microprofile.graphql.Query;
import org.eclipse.microprofile.graphql.Source;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * GraphQL: the customer list with an ad-hoc rule (the GraphQL side of {@link CustomerSearchResource}) and the
 * {@code totalCount} of every {@code CustomerConnection}, whether a rule search, a segment's members or the plain
 * list. They live with segments because evaluating a rule is the segment feature's (features depend one way,
 * {@code segment -> customer}); the types they return ({@code CustomerConnection}, {@code Customer}) are the
 * customer feature's ({@code customer.api.CustomerGraphQL}).
 */
@GraphQLApi
@dev.segments.common.graphql.GraphQLProblems
public class CustomerSearchGraphQL {

    /** Map key standing for "no asOf" (ConcurrentHashMap takes no null keys). */
    private static final OffsetDateTime NOW = OffsetDateTime.MIN;

    private final CustomerService customers;
    private final SegmentQueryService queries;
    private final CurrentTenant tenant;
    private final GraphQLSupport support;

    CustomerSearchGraphQL(CustomerService customers, SegmentQueryService queries, CurrentTenant tenant,
                          GraphQLSupport support) {
        this.customers = customers;
        this.queries = queries;
        this.tenant = tenant;
        this.support = support;
    }

    @Query("customers")
    @Description("Customers in id order; with a rule, only those matching it (the same rule language as segments)")
    public Uni<CustomerConnection> customers(
            @Description("A rule (JSON) to filter by; omit for every customer") JsonValue rule,
            @Description("The format of rule") @DefaultValue("NATIVE") RuleFormat format,
            @Description("Evaluate the rule as of this time instead of now") OffsetDateTime asOf,
            @Description("Page size (default 50, at most the configured maximum)") Integer first,
            @Description("endCursor of the previous page") String after) {
        PageRequest page = support.page(first, after);
        long tenantId = tenant.id();
        if (rule == null) {
            return customers.list(tenantId, page).map(p -> CustomerConnection.of(p, new CountSource(null, null, null, null)));
        }
        OffsetDateTime evaluatedAt = asOf != null ? asOf.withOffsetSameInstant(java.time.ZoneOffset.UTC)
                : OffsetDateTime.now(java.time.ZoneOffset.UTC);
        return queries.memberViews(tenantId, null, support.tree(rule), format, page, evaluatedAt)
                .map(p -> CustomerConnection.of(p, new CountSource(null, rule, format, asOf), evaluatedAt,
                        SegmentQueryService.LIVE));
    }

    @Description("How many customers the whole list has (counted only when asked for; the counts of every segment "
            + "connection in a response take one query)")
    public Uni<List<Long>> totalCount(@Source List<CustomerConnection> connections) {
        long tenantId = tenant.id();
        Map<OffsetDateTime, List<String>> segmentKeys = new HashMap<>();
        for (CustomerConnection c : connections) {
            CountSource s = c.countSource();
            if (s.segmentKey() != null) {
                segmentKeys.computeIfAbsent(s.asOf(), t -> new ArrayList<>()).add(s.segmentKey());
            }
        }
        Map<OffsetDateTime, Map<String, Long>> segmentCounts = new ConcurrentHashMap<>();
        List<Uni<Void>> work = new ArrayList<>();
        segmentKeys.forEach((asOf, keys) -> work.add(queries.counts(tenantId, keys, asOf)
                .invoke(counts -> segmentCounts.put(asOf == null ? NOW : asOf, counts)).replaceWithVoid()));
        Long[] others = new Long[connections.size()];
        for (int i = 0; i < connections.size(); i++) {
            CountSource s = connections.get(i).countSource();
            int index = i;
            if (s.segmentKey() == null) {
                Uni<Long> count = s.rule() != null
                        ? queries.countRule(tenantId, support.tree(s.rule()), s.format(), s.asOf())
                        : customers.countAll(tenantId);
                work.add(count.invoke(n -> others[index] = n).replaceWithVoid());
            }
        }
        Uni<Void> all = work.isEmpty() ? Uni.createFrom().voidItem() : Uni.join().all(work).andFailFast().replaceWithVoid();
        return all.map(v -> {
            List<Long> totals = new ArrayList<>(connections.size());
            for (int i = 0; i < connections.size(); i++) {
                CountSource s = connections.get(i).countSource();
                totals.add(s.segmentKey() == null ? others[i]
                        : segmentCounts.get(s.asOf() == null ? NOW : s.asOf()).get(s.segmentKey()));
            }
            return totals;
        });
    }
}
