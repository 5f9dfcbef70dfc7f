package dev.segments.segment;

import java.util.Locale;

/**
 * A segment's tier: primary (default) or secondary, for the tenant's own ordering of segments.
 * On the wire (REST, GraphQL, the database) it is the lowercase {@link #wire()} string, as before; inside the
 * service it is this enum.
 */
public enum SegmentTier {
    PRIMARY("primary"),
    SECONDARY("secondary");

    private final String wire;

    SegmentTier(String wire) {
        this.wire = wire;
    }

    /** The value as clients send and read it, and as it is stored. */
    public String wire() {
        return wire;
    }

    /** The constant for a wire value; callers validate first ({@code @Pattern} on the input), so none is unknown. */
    public static SegmentTier of(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }
}
