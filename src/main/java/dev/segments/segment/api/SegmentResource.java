package dev.segments.segment.api;

import dev.segments.common.db.ReplicaReads;
import dev.segments.segment.MembershipDtos;
import dev.segments.segment.SegmentDtos;
import dev.segments.common.config.ServiceConfig;
import dev.segments.common.error.ProblemException;
import dev.segments.common.error.ProblemType;
import dev.segments.common.http.ETags;
import dev.segments.common.pagination.PageRequest;
import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.segment.SegmentDtos.CountView;
import dev.segments.segment.SegmentDtos.ExplainRequest;
import dev.segments.segment.SegmentDtos.Explanation;
import dev.segments.segment.SegmentDtos.MemberPage;
import dev.segments.segment.SegmentDtos.MembersChange;
import dev.segments.segment.SegmentDtos.MembersChangeResult;
import dev.segments.segment.SegmentDtos.PreviewRequest;
import dev.segments.segment.SegmentDtos.PreviewView;
import dev.segments.segment.SegmentDtos.SegmentInput;
import dev.segments.segment.SegmentDtos.SegmentView;
import com.fasterxml.jackson.databind.JsonNode;
import dev.segments.rule.format.RuleFormat;
import dev.segments.rule.format.RuleFormats;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.segments.segment.MembershipDtos.ChangePage;
import dev.segments.segment.MembershipDtos.Freshness;
import dev.segments.segment.MembershipDtos.RefreshResult;
import dev.segments.segment.MembershipDtos.SizePoint;
import dev.segments.segment.service.MembershipQueries;
import dev.segments.segment.service.SegmentQueryService;
import dev.segments.segment.service.SegmentService;
import dev.segments.segment.service.TenantRules;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.enums.SchemaType;
import org.eclipse.microprofile.openapi.annotations.headers.Header;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponseSchema;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestMulti;

import java.net.URI;
import java.time.OffsetDateTime;
import java.util.List;

/** Segments: definitions, preview of unsaved rules, members, counts, CSV export, static members. */
@Path("/segments")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "Segments")
public class SegmentResource {

    private final SegmentService service;
    private final SegmentQueryService queries;
    private final MembershipQueries membership;
    private final ObjectMapper mapper;
    private final CurrentTenant tenant;
    private final ServiceConfig config;

    SegmentResource(SegmentService service, SegmentQueryService queries, MembershipQueries membership,
                    CurrentTenant tenant, ServiceConfig config, ObjectMapper mapper) {
        this.service = service;
        this.membership = membership;
        this.mapper = mapper;
        this.queries = queries;
        this.tenant = tenant;
        this.config = config;
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Create a segment")
    @APIResponse(responseCode = "201", description = "Created",
            headers = {@Header(name = "ETag", ref = "ETag"), @Header(name = "Location", ref = "Location")},
            content = @Content(schema = @Schema(implementation = SegmentView.class)))
    @APIResponse(responseCode = "409", ref = "Conflict")
    @APIResponse(responseCode = "422", ref = "InvalidRule")
    public Uni<Response> create(SegmentInput input) {
        return service.create(tenant.id(), require(input)).map(s -> Response.created(URI.create("/segments/" + s.key()))
                .tag(ETags.value(s.version())).entity(s).build());
    }

    @GET
    @Operation(summary = "List segments")
    public Uni<List<SegmentView>> list(@Parameter(description = "Only segments with this tag") @QueryParam("tag") String tag) {
        return service.list(tenant.id(), tag);
    }

    @GET
    @Path("/{key}")
    @Operation(summary = "Get a segment")
    @APIResponse(responseCode = "200", description = "The segment", headers = @Header(name = "ETag", ref = "ETag"),
            content = @Content(schema = @Schema(implementation = SegmentView.class)))
    @APIResponse(responseCode = "404", ref = "NotFound")
    public Uni<Response> get(@PathParam("key") String key) {
        return service.get(tenant.id(), key).map(s -> Response.ok(s).tag(ETags.value(s.version())).build());
    }

    @PUT
    @Path("/{key}")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Replace a segment's name, description, rule, tier and tags",
            description = "Send If-Match with the ETag from GET to get 412 instead of overwriting a concurrent change.")
    @APIResponse(responseCode = "200", description = "Replaced",
            headers = {@Header(name = "ETag", ref = "ETag")},
            content = @Content(schema = @Schema(implementation = SegmentView.class)))
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "412", ref = "PreconditionFailed")
    @APIResponse(responseCode = "422", ref = "InvalidRule")
    public Uni<Response> replace(@PathParam("key") String key, @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch,
                                 SegmentInput input) {
        return service.replace(tenant.id(), key, require(input), ETags.expectedVersion(ifMatch))
                .map(s -> Response.ok(s).tag(ETags.value(s.version())).build());
    }

    @DELETE
    @Path("/{key}")
    @Operation(summary = "Delete a segment (refused while another segment refers to it)")
    @APIResponse(responseCode = "204", description = "Deleted")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "409", ref = "Conflict")
    @APIResponse(responseCode = "412", ref = "PreconditionFailed")
    public Uni<Response> delete(@PathParam("key") String key, @HeaderParam(HttpHeaders.IF_MATCH) String ifMatch) {
        return service.delete(tenant.id(), key, ETags.expectedVersion(ifMatch)).map(v -> Response.noContent().build());
    }

    @GET
    @Path("/{key}/rule")
    @Produces({MediaType.APPLICATION_JSON, MediaType.TEXT_PLAIN})
    @Operation(summary = "A segment's rule: native, exported as a react-querybuilder query or JsonLogic, or in words",
            description = "format=text answers the rule as an English sentence (text/plain), the others JSON. Without "
                    + "format, a client that accepts JSON gets the native rule and one that accepts only text/plain the "
                    + "sentence; a format whose media type the Accept header refuses is 406.")
    @APIResponse(responseCode = "200", description = "The rule in the format asked for",
            content = {@Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(ref = "#/components/schemas/RuleDocument")),
                    @Content(mediaType = MediaType.TEXT_PLAIN, schema = @Schema(type = SchemaType.STRING,
                            examples = "bought in the last 90 days and spent more than 1,000 in the last 365 days"))})
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "406", ref = "NotAcceptable")
    @APIResponse(responseCode = "409", ref = "Conflict")
    @APIResponse(responseCode = "422", ref = "ValidationFailed")
    public Uni<Response> rule(@PathParam("key") String key,
                              @Parameter(description = "The format to export in", schema = @Schema(enumeration = {"native", "querybuilder", "jsonlogic", "text"})) @QueryParam("format") String format,
                              @Context HttpHeaders headers) {
        boolean text = format == null ? !accepts(headers, MediaType.APPLICATION_JSON_TYPE)
                && accepts(headers, MediaType.TEXT_PLAIN_TYPE) : "text".equalsIgnoreCase(format.strip());
        RuleFormat f = text ? null : exportFormat(format);
        MediaType produced = text ? MediaType.TEXT_PLAIN_TYPE : MediaType.APPLICATION_JSON_TYPE;
        if (!accepts(headers, produced)) {
            throw new ProblemException(ProblemType.NOT_ACCEPTABLE, (text ? "format=text" : "format=" + f.param())
                    + " is answered as " + produced + ", which the Accept header does not allow");
        }
        if (text) {
            return service.ruleText(tenant.id(), key)
                    .map(sentence -> Response.ok(sentence, MediaType.TEXT_PLAIN + ";charset=UTF-8").build());
        }
        return service.get(tenant.id(), key).flatMap(s -> {
            if (s.rule() == null) {
                throw new ProblemException(ProblemType.CONFLICT, "Segment '" + key + "' is static: it has no rule");
            }
            if (f == RuleFormat.NATIVE) return Uni.createFrom().item(RuleFormats.fromNative(f, s.rule()));
            // the catalog tells the field types the export needs (JsonLogic builtins only where they are exact)
            return service.rules(tenant.id()).map(rules -> RuleFormats.fromNative(f, s.rule(), rules.catalog()));
        }).map(rule -> Response.ok(rule, MediaType.APPLICATION_JSON_TYPE).build());
    }

    private static RuleFormat exportFormat(String format) {
        try {
            return RuleFormat.fromParam(format);
        } catch (IllegalArgumentException e) {
            throw ProblemException.validation("format", "invalid_value", "unknown rule format '" + format
                    + "'; expected one of native, querybuilder, jsonlogic, text");
        }
    }

    private static boolean accepts(HttpHeaders headers, MediaType type) {
        return headers.getAcceptableMediaTypes().stream().anyMatch(a -> a.isCompatible(type));
    }

    @POST
    @ReplicaReads
    @Path("/preview")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Evaluate an unsaved rule: count, a sample of members, timing, and optionally SQL and plan")
    @APIResponseSchema(value = PreviewView.class, responseCode = "200", responseDescription = "The evaluation")
    @APIResponse(responseCode = "422", ref = "InvalidRule")
    @APIResponse(responseCode = "503", ref = "QueryTimeout")
    public Uni<PreviewView> preview(@Parameter(description = "Include the generated SQL and its plan") @QueryParam("explain") boolean explain,
                                    PreviewRequest request) {
        PreviewRequest r = request == null ? new PreviewRequest(null, null, null, null) : request;
        return queries.preview(tenant.id(), r.rule(), TenantRules.format(r.ruleFormat(), "/ruleFormat"), r.asOf(),
                r.sampleSize() == null ? 10 : r.sampleSize(), explain);
    }

    @POST
    @ReplicaReads
    @Path("/preview/explain")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Why a customer is or is not matched by an unsaved rule: every node's truth, the values it used and the deciding nodes",
            description = "The explanation GET /segments/{key}/explain/{customerId} gives for a saved segment, for the rule in "
                    + "the body (any format; pointers point into its native translation, returned as rule). Computed by one SQL "
                    + "statement the compiler builds. (Not the preview's explain=true, which returns the SQL and its plan.)")
    @APIResponseSchema(value = Explanation.class, responseCode = "200", responseDescription = "The explanation")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "422", ref = "InvalidRule")
    @APIResponse(responseCode = "503", ref = "QueryTimeout")
    public Uni<Explanation> explainRule(ExplainRequest request) {
        ExplainRequest r = request == null ? new ExplainRequest(null, null, null, null) : request;
        return queries.explainRule(tenant.id(), r.rule(), TenantRules.format(r.ruleFormat(), "/ruleFormat"),
                r.customerId(), r.asOf());
    }

    @GET
    @Path("/{key}/explain/{customerId}")
    @Operation(summary = "Why a customer is or is not a member: the rule tree with each node's truth, the values it used and the deciding nodes",
            description = "Every node of the segment's rule with its truth for the customer at asOf (two-valued: never "
                    + "unknown), what it used (a condition's field value, an aggregate's result and the rows it counted, a "
                    + "ref's value, a referenced segment's truth) and, for and, or and not, the children that decided it; "
                    + "decidedBy lists the leaves that decided the result. Nodes are named by JSON pointers into the rule, "
                    + "as validation errors point. One SQL statement, built by the rule compiler: the result always equals "
                    + "membership. A static segment is explained as one node, its membership. 404 for an unknown segment "
                    + "or a customer that is not the tenant's.")
    @APIResponseSchema(value = Explanation.class, responseCode = "200", responseDescription = "The explanation")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "422", ref = "InvalidRule")
    @APIResponse(responseCode = "503", ref = "QueryTimeout")
    public Uni<Explanation> explain(@PathParam("key") String key, @PathParam("customerId") long customerId,
                                    @Parameter(description = "Evaluate as of this time (ISO-8601)") @QueryParam("asOf") OffsetDateTime asOf) {
        return queries.explain(tenant.id(), key, customerId, asOf);
    }

    @GET
    @Path("/{key}/count")
    @Operation(summary = "Count a segment's members",
            description = "Without asOf, a saved segment's count is read from its materialized membership (source "
                    + "materialized; static: its members), exact at now (evaluatedAt): the customers whose time "
                    + "events are not yet processed are evaluated by the read. While more of them are due than "
                    + "segments.membership.read-due-limit, or the tenant's membership is being repaired, the rule is "
                    + "evaluated now (source live). With asOf the rule is evaluated at that time.")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "503", ref = "QueryTimeout")
    @APIResponseSchema(value = CountView.class, responseCode = "200", responseDescription = "The count")
    public Uni<CountView> count(@PathParam("key") String key,
                                @Parameter(description = "Evaluate as of this time (ISO-8601)") @QueryParam("asOf") OffsetDateTime asOf) {
        return queries.count(tenant.id(), key, asOf);
    }

    @GET
    @Path("/{key}/members")
    @Operation(summary = "A segment's members in id order, keyset-paginated",
            description = "The cursor is the last id of the page, so paging never repeats or skips a customer that "
                    + "stays a member while data changes. Without asOf a saved segment's page is read from its "
                    + "materialized membership (source materialized, static for a static segment) or, when that is "
                    + "not current, evaluated now (source live), as for count; with asOf evaluated at that time.")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "503", ref = "QueryTimeout")
    @APIResponseSchema(value = MemberPage.class, responseCode = "200", responseDescription = "A page of members")
    public Uni<MemberPage> members(@PathParam("key") String key,
                                   @Parameter(description = "Page size (default 50, at most 1000)") @QueryParam("limit") Integer limit,
                                   @Parameter(description = "The nextCursor of the previous page") @QueryParam("after") String after,
                                   @Parameter(description = "Comma-separated customer fields to return (default: all)") @QueryParam("fields") List<String> fields,
                                   @Parameter(description = "Evaluate as of this time (ISO-8601)") @QueryParam("asOf") OffsetDateTime asOf,
                                   @Parameter(description = "History: who was a member at this past time, from the change feed "
                                           + "(items hold id and externalId only; the customer may have been deleted since)")
                                   @QueryParam("at") OffsetDateTime at) {
        PageRequest page = PageRequest.of(limit, after, config.limits());
        if (at != null) {
            if (asOf != null || (fields != null && !fields.isEmpty())) {
                throw ProblemException.validation("at", "invalid_combination", "at cannot be combined with asOf or fields");
            }
            return membership.membersAt(tenant.id(), key, at, page).map(p -> new MemberPage(
                    p.items().stream().map(m -> (JsonNode) mapper.createObjectNode().put("id", m.id())
                            .put("externalId", m.externalId())).toList(), p.nextCursor(), at, "history"));
        }
        return queries.members(tenant.id(), key, null, null, page, asOf, fields);
    }

    @GET
    @Path("/{key}/freshness")
    @Operation(summary = "How current the segment's materialized membership is")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponseSchema(value = Freshness.class, responseCode = "200", responseDescription = "The freshness")
    public Uni<Freshness> freshness(@PathParam("key") String key) {
        return membership.freshness(tenant.id(), key);
    }

    @POST
    @Path("/{key}/refresh")
    @Operation(summary = "Evaluate a dynamic segment in full now; entries and exits go to the change feed (cause refresh)")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "409", ref = "Conflict")
    @APIResponseSchema(value = RefreshResult.class, responseCode = "200", responseDescription = "Refreshed")
    public Uni<RefreshResult> refresh(@PathParam("key") String key) {
        return membership.refresh(tenant.id(), key);
    }

    @POST
    @Path("/refresh")
    @Operation(summary = "Evaluate all dynamic segments in full now, in one shared pass over the activity;"
            + " entries and exits go to the change feed (cause refresh)",
            description = "One result per dynamic segment, every segment after the segments it references. Cheaper"
                    + " than refreshing them one by one: each stream is scanned once for all their aggregates.")
    @APIResponse(responseCode = "503", ref = "QueryTimeout")
    @APIResponse(responseCode = "200", description = "Refreshed",
            content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = RefreshResult.class)))
    public Uni<List<RefreshResult>> refreshAll() {
        return membership.refreshAll(tenant.id());
    }

    @GET
    @Path("/{key}/changes")
    @Operation(summary = "The segment's entries and exits in order, resumable from a cursor without gaps or duplicates")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponseSchema(value = ChangePage.class, responseCode = "200", responseDescription = "A page of changes")
    public Uni<ChangePage> changes(@PathParam("key") String key,
                                   @Parameter(description = "Page size (default 50, at most 1000)") @QueryParam("limit") Integer limit,
                                   @Parameter(description = "The nextCursor of the previous page; omit to start at the beginning") @QueryParam("after") String after) {
        return membership.changes(tenant.id(), key, PageRequest.of(limit, after, config.limits()));
    }

    @GET
    @Path("/{key}/history")
    @Operation(summary = "The segment's size at the end of each UTC day, from the change feed")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "200", description = "One point per day, oldest first",
            content = @Content(schema = @Schema(type = SchemaType.ARRAY, implementation = SizePoint.class)))
    public Uni<List<SizePoint>> history(@PathParam("key") String key,
                                        @Parameter(description = "First day (default: 29 days before to)") @QueryParam("from") OffsetDateTime from,
                                        @Parameter(description = "Last day (default: now)") @QueryParam("to") OffsetDateTime to) {
        return membership.history(tenant.id(), key, from, to);
    }

    @GET
    @Path("/{key}/members.csv")
    @Produces("text/csv")
    @Operation(summary = "Export all members as CSV, streamed")
    @APIResponse(responseCode = "200", description = "CSV with a header row",
            headers = @Header(name = "Content-Disposition", description = "attachment; filename=\"<key>.csv\"",
                    schema = @Schema(type = SchemaType.STRING)),
            content = @Content(mediaType = "text/csv", schema = @Schema(type = SchemaType.STRING)))
    @APIResponse(responseCode = "404", ref = "NotFound")
    public RestMulti<String> export(@PathParam("key") String key, @QueryParam("asOf") OffsetDateTime asOf) {
        return RestMulti.fromMultiData(queries.exportCsv(tenant.id(), key, asOf))
                .header("Content-Disposition", "attachment; filename=\"" + key + ".csv\"").build();
    }

    @POST
    @Path("/{key}/members")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Add customers to a static segment")
    @APIResponseSchema(value = MembersChangeResult.class, responseCode = "200", responseDescription = "Added")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "409", ref = "Conflict")
    public Uni<MembersChangeResult> addMembers(@PathParam("key") String key, MembersChange change) {
        return service.changeMembers(tenant.id(), key, change, true);
    }

    @POST
    @Path("/{key}/members/remove")
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Remove customers from a static segment")
    @APIResponseSchema(value = MembersChangeResult.class, responseCode = "200", responseDescription = "Removed")
    @APIResponse(responseCode = "404", ref = "NotFound")
    @APIResponse(responseCode = "409", ref = "Conflict")
    public Uni<MembersChangeResult> removeMembers(@PathParam("key") String key, MembersChange change) {
        return service.changeMembers(tenant.id(), key, change, false);
    }

    private static SegmentInput require(SegmentInput input) {
        if (input == null) {
            throw new ProblemException(ProblemType.MALFORMED_REQUEST, "The body must be a segment JSON object");
        }
        return input;
    }
}
