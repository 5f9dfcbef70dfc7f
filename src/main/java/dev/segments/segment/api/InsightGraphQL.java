package dev.segments.segment.api;

import dev.segments.common.tenancy.CurrentTenant;
import dev.segments.segment.InsightDtos.Effectiveness;
import dev.segments.segment.InsightDtos.Overlap;
import dev.segments.segment.InsightDtos.Profile;
import dev.segments.segment.SegmentDtos.SegmentView;
import dev.segments.segment.service.SegmentInsights;
import io.smallrye.mutiny.Uni;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.GraphQLApi;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Query;
import org.eclipse.microprofile.graphql.Source;

import java.time.OffsetDateTime;
import java.util.List;

/** GraphQL twins of {@link InsightResource}: Segment.profile, Segment.effectiveness and segmentOverlap. */
@GraphQLApi
@dev.segments.common.graphql.GraphQLProblems
public class InsightGraphQL {

    private final SegmentInsights insights;
    private final CurrentTenant tenant;

    InsightGraphQL(SegmentInsights insights, CurrentTenant tenant) {
        this.insights = insights;
        this.tenant = tenant;
    }

    @Description("What the segment looks like next to the whole base (docs/insight.md)")
    public Uni<Profile> profile(@Source SegmentView segment,
                                @Description("Customer fields (default: region, priceTier, lifecycleStage, tags, rfm.segment, "
                                        + "activityStatus, totalSpend, purchaseCount)") List<@NonNull String> fields,
                                @Description("Values listed per categorical field (1-100, default 10)") Integer top) {
        return insights.profile(tenant.id(), segment.key(), fields, top);
    }

    @Description("What happened to the customers who entered the segment in [from, to) (default: the last 30 days)")
    public Uni<Effectiveness> effectiveness(@Source SegmentView segment, OffsetDateTime from, OffsetDateTime to,
                                            @Description("ISO-8601 duration after each entry that counts (default P30D)") String window) {
        return insights.effectiveness(tenant.id(), segment.key(), from, to, window);
    }

    @Query("segmentOverlap")
    @Description("Sizes, pairwise intersections and Jaccard indexes of 2 to 30 segments, from the materialized membership")
    public Uni<Overlap> segmentOverlap(@NonNull List<@NonNull String> keys) {
        return insights.overlap(tenant.id(), keys);
    }
}
