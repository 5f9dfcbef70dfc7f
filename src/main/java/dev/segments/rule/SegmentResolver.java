package dev.segments.rule;

import java.util.Optional;

/** Looks up another segment of the same tenant by key (supplied by the service layer). */
@FunctionalInterface
public interface SegmentResolver {
    Optional<ResolvedSegment> resolve(String key);

    /** A resolver that knows no segments. */
    SegmentResolver NONE = key -> Optional.empty();
}
