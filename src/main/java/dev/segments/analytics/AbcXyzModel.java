package dev.segments.analytics;

import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.math.BigDecimal;
import java.util.List;

/**
 * The ABC/XYZ model of a tenant: its configuration (every default filled in), version (the ETag), freshness and
 * the report from the stored classes.
 */
@Schema(name = "AbcXyzModel")
@Type("AbcXyzModel")
public record AbcXyzModel(
        @NonNull AbcXyzConfig config,
        @Schema(description = "The configuration's version (the ETag); 0 while never saved") long version,
        @NonNull Freshness freshness,
        @NonNull Report report) {

    public static final List<String> ABC = List.of("A", "B", "C");
    public static final List<String> XYZ = List.of("X", "Y", "Z");

    /**
     * The nine cells (AX, AY, ..., CZ, in that order) over the customers with both classes, with their share of
     * those customers' revenue; and each class alone over the customers that have it.
     */
    @Schema(name = "AbcXyzReport")
    @Type("AbcXyzReport")
    public record Report(
            @Schema(description = "Customers with both classes (abcXyz set)") long customers,
            @Schema(description = "Their counted revenue in the ABC window") @NonNull BigDecimal revenue,
            @Description("The nine cells AX .. CZ") @NonNull List<@NonNull Cell> cells,
            @Description("A, B and C over the customers with an ABC class") @NonNull List<@NonNull ClassShare> abc,
            @Description("X, Y and Z over the customers with an XYZ class") @NonNull List<@NonNull ClassShare> xyz) {
    }

    @Schema(name = "AbcXyzCell")
    @Type("AbcXyzCell")
    public record Cell(@Schema(enumeration = {"A", "B", "C"}) @NonNull String abcClass,
                       @Schema(enumeration = {"X", "Y", "Z"}) @NonNull String xyzClass,
                       @Schema(description = "The two letters, as the field abcXyz", examples = "AX") @NonNull String cell,
                       long customers,
                       @Schema(description = "Their counted revenue in the ABC window") @NonNull BigDecimal revenue,
                       @Schema(description = "Their share of the revenue of all cells (0..1, 4 decimals)") @NonNull BigDecimal revenueShare) {
    }

    @Schema(name = "AnalyticsClassShare")
    @Type("AnalyticsClassShare")
    public record ClassShare(@NonNull String value, long customers, @NonNull BigDecimal revenue,
                             @Schema(description = "Share of the revenue of the customers with a class of this kind (0..1, 4 decimals)")
                             @NonNull BigDecimal revenueShare) {
    }
}
