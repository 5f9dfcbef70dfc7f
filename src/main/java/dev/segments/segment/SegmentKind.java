package dev.segments.segment;

import java.util.Locale;

/**
 * How a segment gets its members: dynamic (the customers matching its rule) or static (added and removed explicitly).
 * On the wire (REST, GraphQL, the database) it is the lowercase {@link #wire()} string, as before; inside the
 * service it is this enum.
 */
public enum SegmentKind {
    DYNAMIC("dynamic"),
    STATIC("static");

    private final String wire;

    SegmentKind(String wire) {
        this.wire = wire;
    }

    /** The value as clients send and read it, and as it is stored. */
    public String wire() {
        return wire;
    }

    /** The constant for a wire value; callers validate first ({@code @Pattern} on the input), so none is unknown. */
    public static SegmentKind of(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }
}
