package dev.segments.rule;

import java.util.Objects;

/** What a segment key refers to: a rule evaluated on the fly, or a stored (static) member list. */
public sealed interface ResolvedSegment permits ResolvedSegment.Dynamic, ResolvedSegment.Static {

    /** A rule-based segment; its (parsed) rule is inlined into the referencing query, evaluated at the same now. */
    record Dynamic(RuleNode rule) implements ResolvedSegment {
        public Dynamic {
            Objects.requireNonNull(rule);
        }
    }

    /** A static segment: membership rows in segment_member(segment_id, customer_id). */
    record Static(long segmentId) implements ResolvedSegment {
    }
}
