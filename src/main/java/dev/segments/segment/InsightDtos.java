package dev.segments.segment;

import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.List;

/**
 * Segment insight: what a segment looks like (profile), how segments overlap, and whether a segment works
 * (effectiveness). Definitions: docs/insight.md. Ratios are rounded to 4 decimals; a ratio over nothing is null.
 */
public final class InsightDtos {

    private InsightDtos() {
    }

    // ------------------------------------------------------------------ profile

    @Schema(name = "SegmentProfile", description = "A segment next to the tenant's whole base")
    @Type("SegmentProfile")
    public record Profile(
            @NonNull String segment,
            @Schema(enumeration = {"materialized", "static", "live"}, description = "Whose members were read: the "
                    + "materialized membership (current for the segment's rule), a static segment's members, or the rule "
                    + "evaluated now (when the materialization is not current)")
            @Description("materialized, static or live (the rule evaluated now because the materialization was not current)")
            @NonNull String source,
            @NonNull OffsetDateTime evaluatedAt,
            @Schema(description = "Members") long size,
            @Schema(description = "The tenant's customers") long baseSize,
            @Schema(description = "size / baseSize") BigDecimal share,
            @NonNull Rollups rollups,
            @Schema(description = "One entry per field asked for, in that order") @NonNull List<@NonNull FieldProfile> fields) {
    }

    @Schema(name = "ProfileRollups", description = "The customer rollups of the members next to the whole base")
    @Type("ProfileRollups")
    public record Rollups(
            @Schema(description = "Sum of totalSpend") @NonNull Revenue revenue,
            @Schema(description = "Sum of totalSpend per customer") @NonNull Comparison revenuePerCustomer,
            @Schema(description = "Sum of totalSpend / sum of purchaseCount") @NonNull Comparison averageOrderValue,
            @Schema(description = "Sum of purchaseCount per customer") @NonNull Comparison purchaseFrequency) {
    }

    @Schema(name = "ProfileRevenue")
    @Type("ProfileRevenue")
    public record Revenue(@NonNull BigDecimal segment, @NonNull BigDecimal base,
                          @Schema(description = "segment / base") BigDecimal share) {
    }

    @Schema(name = "ProfileComparison", description = "A figure for the members and for the whole base")
    @Type("ProfileComparison")
    public record Comparison(BigDecimal segment, BigDecimal base,
                             @Schema(description = "segment / base (1: like the base)") BigDecimal index) {
    }

    @Schema(name = "FieldProfile", description = "The distribution of one field among the members; categorical "
            + "fields have values/other/notSet, numeric ones numeric")
    @Type("FieldProfile")
    public record FieldProfile(
            @NonNull String field, @NonNull String label,
            @Schema(description = "The field's type (string, number, integer, boolean, stringList)") @NonNull String type,
            @Schema(enumeration = {"categorical", "numeric"}) @NonNull String kind,
            @Schema(description = "The values held by most members (at most top), most first") List<@NonNull ValueShare> values,
            @Schema(description = "Every other value, summed") ValueShare other,
            @Schema(description = "Customers without a value") ValueShare notSet,
            NumericProfile numeric) {
    }

    @Schema(name = "ValueShare", description = "Customers holding a value (for a list field, a customer counts once per "
            + "value, so shares may add up to more than 1)")
    @Type("ValueShare")
    public record ValueShare(
            String value,
            @Schema(description = "Members holding it") long count,
            @Schema(description = "count / size") BigDecimal share,
            @Schema(description = "Customers of the base holding it") long baseCount,
            @Schema(description = "baseCount / baseSize") BigDecimal baseShare,
            @Schema(description = "share / baseShare") BigDecimal index) {
    }

    @Schema(name = "NumericProfile")
    @Type("NumericProfile")
    public record NumericProfile(
            @Schema(description = "Members with a value") long count,
            @Schema(description = "Members without one") long notSet,
            @Schema(description = "Of the members' values (continuous, linear interpolation)") Quantiles quantiles,
            @Schema(description = "Members' mean") BigDecimal mean,
            @Schema(description = "The base's mean") BigDecimal baseMean,
            @Schema(description = "mean / baseMean") BigDecimal index,
            @Schema(description = "The members' values in equal bins [from, to), or one bin [min, max] when all are equal")
            @NonNull List<@NonNull Bin> histogram) {
    }

    @Schema(name = "Quantiles")
    @Type("Quantiles")
    public record Quantiles(BigDecimal p0, BigDecimal p25, BigDecimal p50, BigDecimal p75, BigDecimal p90, BigDecimal p100) {
    }

    @Schema(name = "HistogramBin")
    @Type("HistogramBin")
    public record Bin(@NonNull BigDecimal from, @NonNull BigDecimal to, long count) {
    }

    // ------------------------------------------------------------------ overlap

    @Schema(name = "SegmentOverlap", description = "Intersections of segments' materialized memberships")
    @Type("SegmentOverlap")
    public record Overlap(@Schema(description = "The instant the stored memberships are exact at: now, or for "
                                  + "segments whose rules read the clock the tenant's time-event watermark (the time "
                                  + "events of the last seconds may not be processed yet)")
                          @Description("The instant the stored memberships are exact at (the time-event watermark "
                                  + "when a rule reads the clock)") @NonNull OffsetDateTime evaluatedAt,
                          @NonNull List<@NonNull OverlapSegment> segments,
                          @Schema(description = "Every pair, in the order the keys were given")
                          @NonNull List<@NonNull OverlapPair> pairs) {
    }

    @Schema(name = "OverlapSegment")
    @Type("OverlapSegment")
    public record OverlapSegment(
            @NonNull String key, @NonNull String name, @NonNull String kind, long size,
            @Schema(description = "False when a dynamic segment's materialized membership is not current (a refresh is "
                    + "due, or it was computed for an older version of the rule)")
            @Description("False when a dynamic segment's materialized membership is not current") boolean current) {
    }

    @Schema(name = "OverlapPair")
    @Type("OverlapPair")
    public record OverlapPair(
            @NonNull String a, @NonNull String b,
            @Schema(description = "Members of both") long intersection,
            @Schema(description = "Members of either") long union,
            @Schema(description = "intersection / union (null when both are empty)") BigDecimal jaccard,
            @Schema(description = "intersection / size of a") BigDecimal shareOfA,
            @Schema(description = "intersection / size of b") BigDecimal shareOfB) {
    }

    // ------------------------------------------------------------------ effectiveness

    @Schema(name = "SegmentEffectiveness", description = "What happened to the customers who entered the segment in [from, to)")
    @Type("SegmentEffectiveness")
    public record Effectiveness(
            @NonNull String segment, @NonNull OffsetDateTime from, @NonNull OffsetDateTime to,
            @Schema(description = "ISO-8601 duration after each entry that counts") @NonNull String window,
            @NonNull OffsetDateTime evaluatedAt,
            @Schema(description = "Customers (still existing) with an entry in [from, to), at their first one") long entered,
            @NonNull Conversion conversion,
            @NonNull Baseline baseline,
            @NonNull Tenure tenure,
            @Schema(description = "How the stays begun in [from, to) ended, by cause of the exit, most first")
            @NonNull List<@NonNull ExitCause> exits) {
    }

    @Schema(name = "Conversion", description = "Purchases of the entered customers within window after their entry")
    @Type("Conversion")
    public record Conversion(
            @Schema(description = "Entered customers with a purchase in [entry, entry + window)") long converted,
            @Schema(description = "converted / entered") BigDecimal rate,
            @NonNull BigDecimal revenue,
            long purchases,
            @Schema(description = "revenue / entered") BigDecimal revenuePerMember,
            @Schema(description = "Entered customers whose window has not ended yet (their figures may still grow)")
            long openWindows) {
    }

    @Schema(name = "Baseline", description = "Customers who were not members at any time in [from, to) and existed at the "
            + "window's start, over one window of the same length starting at the entered customers' median entry")
    @Type("Baseline")
    public record Baseline(
            long customers, @NonNull OffsetDateTime windowFrom, @NonNull OffsetDateTime windowTo,
            long converted,
            @Schema(description = "converted / customers") BigDecimal rate,
            @NonNull BigDecimal revenue,
            long purchases,
            @Schema(description = "revenue / customers") BigDecimal revenuePerCustomer,
            @Schema(description = "conversion rate / baseline rate") BigDecimal conversionLift,
            @Schema(description = "revenue per member / revenue per baseline customer") BigDecimal revenueLift) {
    }

    @Schema(name = "Tenure", description = "How long the stays begun in [from, to) lasted")
    @Type("Tenure")
    public record Tenure(
            @Schema(description = "Stays begun in [from, to) (a customer who entered twice has two)") long stays,
            @Schema(description = "Of them, ended by an exit") long completed,
            @Schema(description = "Of them, still going on") long stillMembers,
            @Schema(description = "Median length of the completed stays (ISO-8601 duration)") String median,
            @Schema(description = "Mean length of the completed stays (ISO-8601 duration)") String mean,
            @Schema(description = "The median in days") BigDecimal medianDays,
            @Schema(description = "The mean in days") BigDecimal meanDays) {
    }

    @Schema(name = "ExitCause")
    @Type("ExitCause")
    public record ExitCause(
            @Schema(enumeration = {"data_write", "time_drift", "rule_edit", "static_edit", "refresh", "analytics"})
            @NonNull String cause, long count) {
    }

    // ------------------------------------------------------------------ reports

    @Schema(name = "RfmGrid", description = "The segment's members by the RFM model's recency and frequency scores, next "
            + "to the base; computed false (and no cells) when the tenant's RFM model has scored nobody")
    @Type("RfmGrid")
    public record RfmGrid(
            @Schema(enumeration = {"materialized", "static", "live"}) @NonNull String source,
            @Schema(description = "Whether the RFM model has scored any customer of the tenant") boolean computed,
            @Schema(description = "The latest scoring time") OffsetDateTime computedAt,
            @Schema(description = "Members with scores") long scored,
            @Schema(description = "Members without scores (no purchase in the model's window)") long notScored,
            @Schema(description = "Recency 5..1 by frequency 1..5, all 25 cells (empty ones too) when computed")
            @NonNull List<@NonNull RfmCell> cells) {
    }

    @Schema(name = "RfmCell")
    @Type("RfmCell")
    public record RfmCell(
            int recency, int frequency,
            @Schema(description = "Members in the cell") long members,
            @Schema(description = "members / scored members") BigDecimal share,
            @Schema(description = "Customers of the base in the cell") long base,
            @Schema(description = "base / scored customers of the base") BigDecimal baseShare,
            @Schema(description = "share / baseShare") BigDecimal index,
            @Schema(description = "The members' revenue counted by the model (rfm_monetary_value)") @NonNull BigDecimal monetary) {
    }

    @Schema(name = "SegmentStandings", description = "Every segment of the tenant: size now, 30 days ago, revenue share")
    @Type("SegmentStandings")
    public record Standings(@Schema(description = "The instant the sizes are exact at: now, or when a segment's "
                                    + "rule reads the clock the tenant's time-event watermark")
                            @Description("The instant the sizes are exact at (the time-event watermark when a rule "
                                    + "reads the clock)") @NonNull OffsetDateTime evaluatedAt,
                            @Schema(description = "The past instant sizeThen is read at") @NonNull OffsetDateTime since,
                            @Schema(description = "The tenant's customers") long baseSize,
                            @Schema(description = "Sum of totalSpend over the base") @NonNull BigDecimal baseRevenue,
                            @NonNull List<@NonNull SegmentStanding> segments) {
    }

    @Schema(name = "SegmentStanding")
    @Type("SegmentStanding")
    public record SegmentStanding(
            @NonNull String key, @NonNull String name, @NonNull String kind, @NonNull String tier, String description,
            @Schema(description = "The rule in words (null for a static segment)") String rule,
            @Schema(description = "Members now (materialized membership; static: members)") long size,
            @Schema(description = "Members at since, from the change feed (null when the segment was created later)") Long sizeThen,
            @Schema(description = "size - sizeThen") Long change,
            @Schema(description = "Sum of the members' totalSpend") @NonNull BigDecimal revenue,
            @Schema(description = "revenue / the base's revenue") BigDecimal revenueShare,
            @Schema(description = "False when a dynamic segment's materialized membership is not current") boolean current) {
    }
}
