package dev.segments.segment.api;

import dev.segments.segment.MembershipDtos;
import dev.segments.segment.SegmentDtos;
import dev.segments.common.graphql.GraphQLSupport;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.customer.api.CustomerGraphQL.CountSource;
import dev.segments.customer.api.CustomerGraphQL.CustomerConnection;
import dev.segments.customer.CustomerView;
import dev.segments.segment.SegmentDtos.MembersChange;
import dev.segments.segment.SegmentDtos.MembersChangeResult;
import dev.segments.segment.SegmentDtos.PreviewView;
import dev.segments.segment.SegmentDtos.SegmentInput;
import dev.segments.segment.SegmentDtos.SegmentView;
import dev.segments.rule.format.QueryBuilderFields;
import dev.segments.rule.format.RuleFormat;
import dev.segments.rule.format.RuleFormats;
import dev.segments.segment.MembershipDtos.Change;
import dev.segments.segment.MembershipDtos.ChangePage;
import dev.segments.segment.MembershipDtos.Freshness;
import dev.segments.segment.MembershipDtos.HistoricMemberPage;
import dev.segments.segment.MembershipDtos.RefreshResult;
import dev.segments.segment.MembershipDtos.SizePoint;
import dev.segments.segment.persistence.SegmentRow;
import dev.segments.segment.service.ChangeFeedFollower;
import dev.segments.segment.service.MembershipQueries;
import dev.segments.segment.service.SegmentQueryService;
import dev.segments.segment.service.SegmentService;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.json.JsonValue;
import org.eclipse.microprofile.graphql.DefaultValue;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.GraphQLApi;
import org.eclipse.microprofile.graphql.Input;
import org.eclipse.microprofile.graphql.Mutation;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Query;
import org.eclipse.microprofile.graphql.Source;
import io.smallrye.graphql.api.Subscription;
import org.eclipse.microprofile.graphql.Type;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * GraphQL: segments (list, one, members, count, freshness), previews of unsaved rules, the field catalog, a
 * customer's segments, and the segment mutations. Nested lists are resolved in batches: the members, counts and
 * customer segments of every parent in one response take one query each, not one per parent.
 */
@GraphQLApi
@dev.segments.common.graphql.GraphQLProblems
public class SegmentGraphQL {

    @Input("SegmentFilter")
    @Description("Narrows the segment list; every given criterion must hold")
    public record SegmentFilter(@Description("Only segments with this tag") String tag,
                                @Description("dynamic or static") String kind,
                                @Description("primary or secondary") String tier,
                                @Description("Case-insensitive substring of key or name") String search) {

        boolean matches(SegmentView s) {
            return (tag == null || s.tags().contains(tag)) && (kind == null || kind.equals(s.kind()))
                    && (tier == null || tier.equals(s.tier()))
                    && (search == null || contains(s.key(), search) || contains(s.name(), search));
        }

        private static boolean contains(String value, String part) {
            return value != null && value.toLowerCase(java.util.Locale.ROOT).contains(part.toLowerCase(java.util.Locale.ROOT));
        }
    }

    @Input("SegmentInput")
    public record SegmentGqlInput(@NonNull String key, @NonNull String name, String description,
                                  @Description("dynamic (default) or static") String kind,
                                  @Description("The rule (JSON) of a dynamic segment") JsonValue rule,
                                  @Description("The format of rule (default NATIVE); stored translated to NATIVE") RuleFormat ruleFormat,
                                  @Description("primary (default) or secondary") String tier, List<String> tags) {
    }

    @Input("SegmentUpdate")
    public record SegmentGqlUpdate(@NonNull String name, String description,
                                   @Description("The rule (JSON) of a dynamic segment") JsonValue rule,
                                   @Description("The format of rule (default NATIVE)") RuleFormat ruleFormat,
                                   String tier, List<String> tags) {
    }

    private final SegmentService service;
    private final SegmentQueryService queries;
    private final MembershipQueries membership;
    private final ChangeFeedFollower feed;
    private final CurrentTenant tenant;
    private final GraphQLSupport support;

    SegmentGraphQL(SegmentService service, SegmentQueryService queries, MembershipQueries membership,
                   ChangeFeedFollower feed, CurrentTenant tenant, GraphQLSupport support) {
        this.service = service;
        this.membership = membership;
        this.feed = feed;
        this.queries = queries;
        this.tenant = tenant;
        this.support = support;
    }

    // ------------------------------------------------------------------ queries

    @Query("segments")
    @Description("The tenant's segments")
    public Uni<List<SegmentView>> segments(SegmentFilter filter) {
        return service.list(tenant.id(), null).map(all -> filter == null ? all
                : all.stream().filter(filter::matches).toList());
    }

    @Query("segment")
    @Description("One segment by key")
    public Uni<SegmentView> segment(@NonNull String key) {
        return service.get(tenant.id(), key);
    }

    @Query("previewSegment")
    @Description("Evaluates an unsaved rule: count, a sample of members, timing; with explain, the SQL and its plan")
    public Uni<PreviewView> previewSegment(@NonNull @Description("The rule (JSON)") JsonValue rule,
                                           @DefaultValue("NATIVE") @Description("The format of rule") RuleFormat format,
                                           @Description("Evaluate as of this time instead of now") OffsetDateTime asOf,
                                           @DefaultValue("10") @Description("Members to return as a sample (0-100)") int sampleSize,
                                           @DefaultValue("false") boolean explain) {
        return queries.preview(tenant.id(), support.tree(rule), format, asOf, sampleSize, explain);
    }

    @Query("fieldCatalog")
    @Description("Every field a rule may use, with its type, allowed operators and known values")
    public Uni<FieldCatalogView> fieldCatalog() {
        return service.rules(tenant.id()).map(rules -> FieldCatalogView.of(rules.catalog()));
    }

    @Query("queryBuilderFields")
    @Description("The customer fields in react-querybuilder's `fields` shape (JSON array; react-querybuilder's standard "
            + "operator names, see docs/rule-semantics.md), "
            + "with a $segment pseudo-field offering the tenant's segment keys")
    public Uni<JsonValue> queryBuilderFields() {
        return service.rules(tenant.id()).map(rules -> support.json(
                QueryBuilderFields.of(rules.catalog(), rules.segments().keySet())));
    }

    // ------------------------------------------------------------------ fields of Segment

    @Description("The rule (JSON) of a dynamic segment, in the native language or exported to another format; null for a static one")
    public Uni<JsonValue> rule(@Source SegmentView segment, @DefaultValue("NATIVE") RuleFormat format) {
        if (segment.rule() == null) return Uni.createFrom().nullItem();
        if (format == RuleFormat.NATIVE) return Uni.createFrom().item(support.json(segment.rule()));
        // the catalog tells the field types the export needs (JsonLogic builtins only where they are exact)
        return service.rules(tenant.id()).map(rules ->
                support.json(RuleFormats.fromNative(format, segment.rule(), rules.catalog())));
    }

    @Description("The rule in words, an English sentence (as GET /segments/{key}/rule?format=text); null for a static segment")
    public Uni<String> ruleText(@Source SegmentView segment) {
        if (segment.rule() == null) return Uni.createFrom().nullItem();
        return service.rules(tenant.id()).map(rules -> rules.text(segment.rule()));
    }

    @Query("ruleText")
    @Description("An unsaved rule in words, after checking it like any rule; nothing is evaluated")
    public Uni<String> unsavedRuleText(@NonNull @Description("The rule (JSON)") JsonValue rule,
                                       @DefaultValue("NATIVE") @Description("The format of rule") RuleFormat format) {
        return service.ruleText(tenant.id(), support.tree(rule), format);
    }

    @Description("A page of the segment's members in id order")
    public Uni<List<CustomerConnection>> members(@Source List<SegmentView> segments,
                                                 @Description("Page size") Integer first,
                                                 @Description("endCursor of the previous page") String after,
                                                 @Description("Evaluate as of this time instead of now") OffsetDateTime asOf) {
        List<String> keys = segments.stream().map(SegmentView::key).toList();
        return queries.memberPages(tenant.id(), keys, support.page(first, after), asOf).map(pages -> keys.stream()
                .map(k -> {
                    SegmentQueryService.Read<dev.segments.common.pagination.Page<CustomerView>> r = pages.get(k);
                    return CustomerConnection.of(r.value(), new CountSource(k, null, null, asOf), r.evaluatedAt(),
                            r.source());
                }).toList());
    }

    @Description("How many members the segment has (without asOf read from the materialized membership when it is "
            + "current; countDetails says how current)")
    public Uni<List<Long>> count(@Source List<SegmentView> segments,
                                 @Description("Evaluate as of this time instead of now") OffsetDateTime asOf) {
        List<String> keys = segments.stream().map(SegmentView::key).toList();
        return queries.counts(tenant.id(), keys, asOf).map(counts -> keys.stream().map(counts::get).toList());
    }

    @Description("How many members the segment has, the instant that count is exact at and where it came from "
            + "(materialized, static or live), as GET /segments/{key}/count answers")
    public Uni<List<SegmentDtos.CountView>> countDetails(@Source List<SegmentView> segments,
                                                         @Description("Evaluate as of this time instead of now") OffsetDateTime asOf) {
        List<String> keys = segments.stream().map(SegmentView::key).toList();
        long started = System.nanoTime();
        return queries.countsRead(tenant.id(), keys, asOf).map(counts -> keys.stream().map(k -> {
            SegmentQueryService.Read<Long> r = counts.get(k);
            return r == null ? null : new SegmentDtos.CountView(k, r.value(), r.evaluatedAt(),
                    (System.nanoTime() - started) / 1_000_000, r.source());
        }).toList());
    }

    @Description("How current the materialized membership is")
    public Uni<List<Freshness>> freshness(@Source List<SegmentView> segments) {
        long tenantId = tenant.id();
        return service.rules(tenantId).chain(r -> {
            List<SegmentRow> rows = segments.stream().map(s -> r.segments().get(s.key())).filter(java.util.Objects::nonNull).toList();
            return membership.freshness(tenantId, rows).map(f -> segments.stream().map(s -> f.get(s.key())).toList());
        });
    }

    @Description("The segment's entries and exits in order, after a cursor (endCursor of a previous page)")
    public Uni<ChangePage> changes(@Source SegmentView segment, Integer first, String after) {
        return membership.changes(tenant.id(), segment.key(), support.page(first, after));
    }

    @Description("The segment's size at the end of each UTC day (default: the last 30 days)")
    public Uni<List<SizePoint>> history(@Source SegmentView segment, OffsetDateTime from, OffsetDateTime to) {
        return membership.history(tenant.id(), segment.key(), from, to);
    }

    @Description("Who was a member at a past time, from the change feed")
    public Uni<HistoricMemberPage> membersAt(@Source SegmentView segment, @NonNull OffsetDateTime at, Integer first,
                                             String after) {
        return membership.membersAt(tenant.id(), segment.key(), at, support.page(first, after));
    }

    @Query("changes")
    @Description("Every segment's entries and exits in commit order, resumable from a cursor")
    public Uni<ChangePage> tenantChanges(Integer first, String after) {
        return membership.changes(tenant.id(), null, support.page(first, after));
    }

    @Mutation("refreshSegment")
    @Description("Evaluates a dynamic segment in full now; entries and exits go to the change feed (cause refresh)")
    public Uni<RefreshResult> refreshSegment(@NonNull String key) {
        return membership.refresh(tenant.id(), key);
    }

    @Mutation("refreshSegments")
    @Description("Evaluates all dynamic segments in full now in one shared pass over the activity; entries and exits"
            + " go to the change feed (cause refresh). One result per dynamic segment.")
    public Uni<List<RefreshResult>> refreshSegments() {
        return membership.refreshAll(tenant.id());
    }

    @Subscription("membershipChanges")
    @Description("The segment's entries and exits as they are recorded, from after (a feed cursor) or from now")
    public Multi<Change> membershipChanges(@NonNull String segment, String after) {
        var connection = tenant.connection();
        return feed.follow(new ChangeFeedFollower.Subscriber(tenant.id(), tenant.optionalKeyId(), connection,
                () -> connection.close()), segment, after);
    }

    @Description("With explain: the parameters of the SQL (JSON)")
    public JsonValue params(@Source PreviewView preview) {
        return support.json(preview.params());
    }

    @Description("With explain: PostgreSQL's plan (EXPLAIN, JSON format)")
    public JsonValue plan(@Source PreviewView preview) {
        return support.json(preview.plan());
    }

    @Description("The segments this customer is a member of now (read from the materialized membership when it is "
            + "current, else evaluated), or evaluated at asOf")
    public Uni<List<List<SegmentView>>> segments(@Source List<CustomerView> customers, OffsetDateTime asOf) {
        long tenantId = tenant.id();
        List<Long> ids = customers.stream().map(CustomerView::id).toList();
        return service.list(tenantId, null).chain(all -> {
            Map<String, SegmentView> byKey = all.stream().collect(Collectors.toMap(SegmentView::key, Function.identity()));
            return queries.segmentsOf(tenantId, ids, asOf).map(of -> ids.stream()
                    .map(id -> of.getOrDefault(id, List.of()).stream().map(s -> byKey.get(s.key())).toList())
                    .toList());
        });
    }

    // ------------------------------------------------------------------ mutations

    @Mutation("createSegment")
    public Uni<SegmentView> createSegment(@NonNull SegmentGqlInput input) {
        return service.create(tenant.id(), new SegmentInput(input.key(), input.name(), input.description(),
                input.kind(), support.tree(input.rule()), param(input.ruleFormat()), input.tier(), input.tags()));
    }

    @Mutation("updateSegment")
    @Description("Replaces name, description, rule, tier and tags; with version, fails when the segment changed since")
    public Uni<SegmentView> updateSegment(@NonNull String key, @NonNull SegmentGqlUpdate input, Long version) {
        return service.replace(tenant.id(), key, new SegmentInput(key, input.name(), input.description(), null,
                support.tree(input.rule()), param(input.ruleFormat()), input.tier(), input.tags()), version);
    }

    private static String param(RuleFormat format) {
        return format == null ? null : format.param();
    }

    @Mutation("deleteSegment")
    @Description("Deletes a segment no other segment refers to; with version, only if unchanged since")
    public Uni<Boolean> deleteSegment(@NonNull String key, Long version) {
        return service.delete(tenant.id(), key, version).map(v -> true);
    }

    @Mutation("addSegmentMembers")
    @Description("Adds customers (by id or externalId) to a static segment")
    public Uni<MembersChangeResult> addSegmentMembers(@NonNull String key,
            @Description("Customer ids (the id field of Customer)") List<String> customerIds,
                                                      List<String> externalIds) {
        return service.changeMembers(tenant.id(), key, new MembersChange(ids(customerIds), externalIds), true);
    }

    @Mutation("removeSegmentMembers")
    @Description("Removes customers (by id or externalId) from a static segment")
    public Uni<MembersChangeResult> removeSegmentMembers(@NonNull String key,
            @Description("Customer ids (the id field of Customer)") List<String> customerIds,
                                                         List<String> externalIds) {
        return service.changeMembers(tenant.id(), key, new MembersChange(ids(customerIds), externalIds), false);
    }

    /**
     * Customer ids as numbers. The argument is {@code [String]}, not {@code [ID]}: SmallRye GraphQL 2.17 rejects
     * every value of an {@code @Id}-annotated list argument ("not a valid Unknown Scalar Type [java.util.List]").
     */
    private static List<Long> ids(List<String> ids) {
        if (ids == null) {
            return null;
        }
        List<Long> numbers = new java.util.ArrayList<>(ids.size());
        for (int i = 0; i < ids.size(); i++) {
            try {
                numbers.add(Long.parseLong(ids.get(i)));
            } catch (NumberFormatException e) {
                throw dev.segments.common.error.ProblemException.validation("customerIds/" + i, "invalid_value",
                        "'" + ids.get(i) + "' is not a customer id");
            }
        }
        return numbers;
    }
}
