package dev.segments.segment.persistence;

import dev.segments.segment.SegmentKind;
import dev.segments.segment.SegmentTier;

import java.time.OffsetDateTime;
import java.util.List;

/** A stored segment; {@code rule} is the JSON text as stored (null for static segments). */
public record SegmentRow(long id, String key, String name, String description, SegmentKind kind, String rule,
                         SegmentTier tier,
                         List<String> tags, OffsetDateTime createdAt, OffsetDateTime updatedAt, long version) {

    public boolean isStatic() {
        return kind == SegmentKind.STATIC;
    }
}
