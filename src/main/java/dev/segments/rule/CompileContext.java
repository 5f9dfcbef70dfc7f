package dev.segments.rule;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * Everything a compilation needs besides the rule.
 *
 * @param now      evaluation time (the optional asOf); normalized to UTC
 * @param catalog  the tenant's fields
 * @param resolver the tenant's segments, for segment references
 */
public record CompileContext(OffsetDateTime now, FieldCatalog catalog, SegmentResolver resolver) {
    public CompileContext {
        Objects.requireNonNull(now);
        Objects.requireNonNull(catalog);
        now = now.withOffsetSameInstant(ZoneOffset.UTC);
        if (resolver == null) resolver = SegmentResolver.NONE;
    }
}
