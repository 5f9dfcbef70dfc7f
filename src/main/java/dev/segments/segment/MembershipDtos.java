package dev.segments.segment;

import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.Id;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;

/** Live membership: freshness, the change feed, refresh results and history. */
public final class MembershipDtos {

    private MembershipDtos() {
    }

    @Schema(name = "SegmentFreshness", description = "How current a segment's materialized membership is")
    @Type("SegmentFreshness")
    public record Freshness(
            @Schema(description = "Members and counts are served live (evaluated at query time); the materialized membership feeds changes, webhooks and history")
            @Description("Members and counts are evaluated at query time; the materialized membership feeds changes, webhooks and history")
            boolean live,
            @Schema(description = "When the materialized membership was last evaluated in full; absent for static segments and before the first evaluation")
            @Description("When the materialized membership was last evaluated in full")
            OffsetDateTime lastEvaluatedAt,
            @Schema(description = "How long that evaluation took, in milliseconds") Long evaluationMs,
            @Schema(description = "Members in the materialized membership (kept current on every write)")
            @Description("Members in the materialized membership (kept current on every write)") Long memberCount,
            @Schema(description = "For rules with relative time windows: how often time alone triggers a refresh (ISO-8601 duration)")
            @Description("For rules with relative time windows: how often time alone triggers a refresh (ISO-8601 duration)")
            String driftInterval,
            @Schema(description = "When the next time-driven refresh is due") OffsetDateTime nextRefreshAt) {
    }

    @Schema(name = "MembershipChange", description = "A customer entered or exited a segment")
    @Type("MembershipChange")
    public record Change(
            @Schema(description = "Position in the tenant's feed; increases in commit order") @NonNull String cursor,
            @NonNull String segment,
            @Id long customerId,
            String customerExternalId,
            @Schema(enumeration = {"entered", "exited"}) @NonNull String kind,
            @Schema(enumeration = {"data_write", "time_drift", "rule_edit", "static_edit", "refresh", "analytics"})
            @Description("data_write, time_drift, rule_edit, static_edit, refresh or analytics") @NonNull String cause,
            @NonNull OffsetDateTime at,
            @Schema(description = "Why: JSON pointers into the segment's rule (as it was then) of the nodes that made this "
                    + "change, for changes caused by a data write, an analytics run, a static edit or time: the conditions, "
                    + "aggregates and segment references that decide the result after the change and read what changed "
                    + "(the written data, or the clock), or every deciding one when none does. Absent for rule edits, "
                    + "refreshes, a static segment's own edits and exits of deleted customers (docs/rule-semantics.md)",
                    examples = "[\"/and/1\"]")
            @Description("JSON pointers into the segment's rule of the nodes that made this change (data writes, analytics, "
                    + "static edits and time; null otherwise): the deciding leaves that read what changed, see docs/rule-semantics.md")
            List<@NonNull String> flippedNodes) {
    }

    @Schema(name = "ChangePage", description = "Changes in feed order. Resume from nextCursor: it is present even on the last page")
    @Type("ChangePage")
    public record ChangePage(@NonNull List<@NonNull Change> items,
                             @Schema(description = "Pass as `after` to continue; stays put while no new changes exist")
                             @Description("Pass as after to continue; stays put while no new changes exist") String nextCursor,
                             @Schema(description = "Whether more changes were available than returned") boolean hasMore) {
    }

    @Schema(name = "RefreshResult")
    @Type("RefreshResult")
    public record RefreshResult(@NonNull String segment, long entered, long exited, @NonNull Freshness freshness) {
    }

    @Schema(name = "SizePoint", description = "The segment's size at the end of a UTC day")
    @Type("SizePoint")
    public record SizePoint(@NonNull LocalDate date, long size) {
    }

    /** A member at a past time; the customer may have been deleted since. GraphQL only (REST answers a MemberPage). */
    @Type("HistoricMember")
    public record HistoricMember(@Id long id, String externalId) {
    }

    /** GraphQL only: REST's {@code members?at=} answers a MemberPage whose items hold id and externalId. */
    @Type("HistoricMemberPage")
    public record HistoricMemberPage(@NonNull List<@NonNull HistoricMember> items, String nextCursor) {
    }
}
