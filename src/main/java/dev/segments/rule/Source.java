package dev.segments.rule;

/**
 * What a write touches: the kinds of data a rule can depend on. Every field and stream of the {@link FieldCatalog}
 * names the sources whose writes change it, so that membership is re-evaluated after exactly those writes.
 */
public enum Source {
    /** The customer profile (customer fields and attributes). */
    PROFILE,
    PURCHASES,
    INTERACTIONS,
    EVENTS,
    /** Explicit members of static segments. */
    STATIC_MEMBERS,
    /**
     * A run of an analytics model (RFM, activity status: {@code POST /analytics/{model}/recompute} or its schedule)
     * that changed customers' stored values; membership follows with cause {@code analytics}.
     */
    ANALYTICS
}
