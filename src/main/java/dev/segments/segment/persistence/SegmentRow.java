package dev.segments.segment.persistence;

import java.time.OffsetDateTime;
import java.util.List;

/** A stored segment; {@code rule} is the JSON text as stored (null for static segments). */
public record SegmentRow(long id, String key, String name, String description, String kind, String rule, String tier,
                         List<String> tags, OffsetDateTime createdAt, OffsetDateTime updatedAt, long version) {

    public boolean isStatic() {
        return "static".equals(kind);
    }
}
