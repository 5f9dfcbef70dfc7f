package dev.segments.analytics;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/**
 * A tenant's activity-status model (docs/analytics.md): {@code new} when created within newWithin, else
 * {@code active} when the basis time is within activeWithin, else {@code passive} within passiveWithin, else
 * {@code dormant}. The SQL function {@code analytics_activity_status} (V12) applies it, with these member names.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
@Schema(name = "ActivityConfig", description = "The activity-status model of the tenant; every member is optional (a missing one takes its default)")
@Type("ActivityConfig")
public record ActivityConfig(
        @Schema(enumeration = {"lastSeenAt", "lastPurchaseAt"}, defaultValue = "lastSeenAt",
                description = "The time activity is measured by: lastSeenAt (any purchase, interaction or event) or lastPurchaseAt")
        String basis,
        @Schema(defaultValue = "P30D", description = "new: createdAt at or after now minus this ISO-8601 duration") String newWithin,
        @Schema(defaultValue = "P90D", description = "active: the basis time at or after now minus this") String activeWithin,
        @Schema(defaultValue = "P365D", description = "passive: the basis time at or after now minus this (not shorter than activeWithin); dormant otherwise")
        String passiveWithin,
        @Schema(defaultValue = "PT1H", nullable = true,
                description = "How often the scheduler recomputes every customer's status as time passes (ISO-8601 duration, at least PT1M); null: only on demand")
        String recomputeEvery) {

    public static final ActivityConfig DEFAULT = new ActivityConfig("lastSeenAt", "P30D", "P90D", "P365D", "PT1H");
}
