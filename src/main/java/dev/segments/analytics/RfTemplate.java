package dev.segments.analytics;

import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** The outcome of installing the RF template: one segment per named RFM segment, created or already there. */
@Schema(name = "RfTemplate")
@Type("RfTemplate")
public record RfTemplate(
        @Schema(description = "Segments created now") int created,
        @Schema(description = "Segments whose key existed (left as they are)") int existing,
        @NonNull List<@NonNull Item> segments) {

    @Schema(name = "RfTemplateSegment")
    @Type("RfTemplateSegment")
    public record Item(@Schema(description = "The segment key, rf- and the RFM segment name", examples = "rf-champions") @NonNull String key,
                       @Schema(description = "The RFM segment (rfm.segment value) whose grid cells the rule covers") @NonNull String rfmSegment,
                       @Schema(enumeration = {"created", "exists"}) @NonNull String status) {
    }
}
