package dev.segments.segment.api;

import dev.segments.rule.FieldCatalog;
import dev.segments.rule.FieldDef;
import dev.segments.rule.Operator;
import dev.segments.rule.RuleNode;
import org.eclipse.microprofile.graphql.Description;
import org.eclipse.microprofile.graphql.NonNull;
import org.eclipse.microprofile.graphql.Type;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Every field a rule may use, with its type, the operators allowed on it and its known values, so that a UI can
 * build its field, operator and value pickers from it. Built-in fields plus the tenant's declared attributes.
 */
@Schema(name = "FieldCatalog")
@Type("FieldCatalog")
public record FieldCatalogView(
        @Description("Customer fields (conditions at the top level of a rule)") @NonNull List<@NonNull FieldInfo> customer,
        @Description("Activity streams usable in aggregates, with the fields of their where clauses") @NonNull List<@NonNull StreamInfo> streams,
        @Description("Aggregate functions: count (no field), sum, avg, min, max") @NonNull List<@NonNull String> aggregateFunctions) {

    @Schema(name = "FieldInfo")
    @Type("FieldInfo")
    public record FieldInfo(
            @NonNull String name,
            @Schema(description = "How the field is named in words (rules in words, reports)", examples = "last purchase")
            @Description("How the field is named in words (rules in words, reports)") @NonNull String label,
            @Schema(description = "string, number, integer, boolean, date, timestamp or stringList; absent for event properties, which take the type of the compared value")
            @Description("string, number, integer, boolean, date, timestamp or stringList; null for event properties (typed by the compared value)")
            String type,
            @NonNull String description,
            @Description("Operators allowed on this field") @NonNull List<@NonNull String> operators,
            @Description("Known values, where the field has a fixed or usual set") @NonNull List<@NonNull String> values,
            @Description("False for fields that exist in the language but are not computed yet (analytics fields)") boolean available) {

        static FieldInfo of(FieldDef f) {
            return new FieldInfo(f.name(), f.label(), f.type() == null ? null : f.type().json(), f.description(),
                    f.operators().stream().sorted(Comparator.comparing(Operator::ordinal)).map(Operator::json).toList(),
                    f.values(), f.available());
        }
    }

    @Schema(name = "StreamInfo")
    @Type("StreamInfo")
    public record StreamInfo(@NonNull String name, @NonNull String description, @NonNull List<@NonNull FieldInfo> fields,
                             @Schema(description = "Prefix of free-form fields typed by the compared value, e.g. properties. for events")
                             @Description("Prefix of free-form fields typed by the compared value, e.g. \"properties.\" for events")
                             String freeFormPrefix) {
    }

    public static FieldCatalogView of(FieldCatalog catalog) {
        return new FieldCatalogView(
                catalog.customerFields().stream().map(FieldInfo::of).toList(),
                catalog.streams().stream().map(s -> new StreamInfo(s.name(), s.description(),
                        s.fieldList().stream().map(FieldInfo::of).toList(),
                        s.propertiesColumn() == null ? null : "properties.")).toList(),
                Arrays.stream(RuleNode.AggregateFn.values()).map(RuleNode.AggregateFn::json).toList());
    }
}
