package dev.segments.analytics;

import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** The activity-status model of a tenant: configuration, version (the ETag), freshness and customers per status. */
@Schema(name = "ActivityModel")
@Type("ActivityModel")
public record ActivityModel(
        @NonNull ActivityConfig config,
        @Schema(description = "The configuration's version (the ETag); 0 while never saved") long version,
        @NonNull Freshness freshness,
        @Schema(description = "Customers per status (new, active, passive, dormant), as stored now")
        @NonNull List<@NonNull StatusCount> statuses) {

    @Schema(name = "ActivityStatusCount")
    @Type("ActivityStatusCount")
    public record StatusCount(@Schema(enumeration = {"new", "active", "passive", "dormant"}) @NonNull String status,
                              long customers) {
    }

    public static final List<String> STATUSES = List.of("new", "active", "passive", "dormant");
}
