package dev.segments.analytics;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.Ignore;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;
import java.util.List;

/**
 * A tenant's lead-scoring model (docs/analytics.md): a customer's score is the sum of the points of the rules it
 * meets, each decayed by the age of the activity that earned it where the rule has a half-life.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@Schema(name = "LeadScoringConfig", description = "The lead-scoring model of the tenant; every member is optional (a missing one takes its default)")
@Type("LeadScoringConfig")
public record LeadScoringConfig(
        @Schema(description = "The scoring rules (at most 100); none: no customer has a lead score")
        @NonNull List<@NonNull ScoringRule> rules,
        @Schema(description = "The temperature thresholds") Temperature temperature,
        @Schema(description = "How often the scheduler rescores every customer (time moves windows and decay; ISO-8601 duration, at least PT1M); null: only on demand",
                defaultValue = "PT1H", nullable = true)
        @Description("How often the scheduler rescores every customer (ISO-8601 duration); null: only on demand") String recomputeEvery) {

    public static final LeadScoringConfig DEFAULT = new LeadScoringConfig(List.of(),
            new Temperature(new BigDecimal("50"), new BigDecimal("20")), "PT1H");

    /**
     * @param name   a label (reports, the customer's breakdown)
     * @param rule   the rule (native language) a customer must meet to earn the points
     * @param points what the rule is worth, positive or negative
     * @param decay  null: the points count in full; else they halve with every half-life of the age of the rule's
     *               latest matching activity
     */
    @Schema(name = "ScoringRule")
    @Type("ScoringRule")
    public record ScoringRule(
            @Schema(description = "A label (optional, at most 200 characters)", nullable = true) String name,
            @Schema(ref = "#/components/schemas/Rule") @Ignore JsonNode rule,
            @Schema(description = "Points for meeting the rule, positive or negative (at most 1e9 either way)")
            @NonNull BigDecimal points,
            @Schema(description = "Absent or null: the points count in full") Decay decay) {
    }

    /**
     * @param halfLife an ISO-8601 duration of days, hours, minutes or seconds (weeks count as 7 days)
     */
    @Schema(name = "ScoringDecay")
    @Type("ScoringDecay")
    public record Decay(
            @Schema(description = "The points halve with every half-life of the age of the latest activity the rule's aggregates select (ISO-8601 days or time, e.g. P14D)",
                    examples = "P14D")
            @NonNull String halfLife) {
    }

    /** hot at a score of at least {@code hot}, warm at least {@code warm}, cold below. */
    @Schema(name = "LeadTemperatureThresholds")
    @Type("LeadTemperatureThresholds")
    public record Temperature(
            @Schema(description = "hot: a score at least this (default 50); greater than warm", defaultValue = "50") @NonNull BigDecimal hot,
            @Schema(description = "warm: a score at least this (default 20); cold below", defaultValue = "20") @NonNull BigDecimal warm) {
    }
}
