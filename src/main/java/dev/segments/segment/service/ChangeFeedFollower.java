package dev.segments.segment.service;

import dev.segments.common.pagination.Cursors;
import dev.segments.segment.api.MembershipDtos.Change;
import dev.segments.segment.persistence.MembershipRepository;
import dev.segments.segment.persistence.SegmentRepository;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Follows a segment's change feed for a live subscriber (the GraphQL subscription): polls the feed after the
 * subscriber's cursor every {@link #INTERVAL}. Reading the database (not an in-process event) means every
 * instance of the service sees every change, in feed order, and a subscriber can resume from a cursor.
 */
@ApplicationScoped
public class ChangeFeedFollower {

    static final Duration INTERVAL = Duration.ofMillis(500);
    private static final int BATCH = 500;

    private final MembershipRepository repository;
    private final SegmentRepository segments;

    ChangeFeedFollower(MembershipRepository repository, SegmentRepository segments) {
        this.repository = repository;
        this.segments = segments;
    }

    /** The segment's changes after {@code after} (a feed cursor), or after the current end of the feed. */
    public Multi<Change> follow(long tenantId, String key, String after) {
        Uni<long[]> start = segments.find(tenantId, key)
                .map(r -> r.orElseThrow(() -> SegmentService.notFound(key)))
                .chain(s -> after != null ? Uni.createFrom().item(new long[]{s.id(), Cursors.decodeId(after)})
                        : repository.lastChangeId(tenantId).map(last -> new long[]{s.id(), last}));
        return start.toMulti().flatMap(ids -> {
            AtomicLong cursor = new AtomicLong(ids[1]);
            return Multi.createFrom().ticks().every(INTERVAL)
                    .onOverflow().drop()
                    .onItem().transformToUniAndConcatenate(tick -> repository.changes(tenantId, ids[0], cursor.get(), BATCH))
                    .onItem().transformToIterable(rows -> rows)
                    .map(c -> {
                        cursor.set(c.id());
                        return new Change(Cursors.encodeId(c.id()), c.segmentKey(), c.customerId(),
                                c.customerExternalId(), c.kind(), c.cause(), c.at());
                    });
        });
    }
}
