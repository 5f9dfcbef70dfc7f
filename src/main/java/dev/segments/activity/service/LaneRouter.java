package dev.segments.activity.service;

import com.google.common.hash.BloomFilter;
import com.google.common.hash.Funnels;
import dev.segments.common.concurrent.Lanes;

/**
 * Where a line of a request's activity import goes ({@link ActivityImporter}): to its customer's lane (by the
 * reference the line gives: its customerId if set, else its customerExternalId), so the two chunks in flight lock
 * disjoint customers, or, when its externalId may have been given to the other lane since the last barrier, to the
 * <em>deferred</em> lines, stored after a barrier (every lane's pending chunk stored and committed). So the lines
 * sharing an externalId are stored in line order and the first one wins, as with one lane, and a line never goes to
 * the other lane than its customer's (which would make the two lanes lock the same customer and wait on each other).
 *
 * <p>Each lane's filter holds the externalIds it was given since the last barrier, and one more the deferred lines'.
 * A filter never misses an id it holds; it may claim one it does not (0.1% at capacity), which only defers a line.
 * A line goes to its own lane unless another filter claims its id: then it is deferred. After a barrier every line
 * before it is committed, so a later line repeating any of their ids is a duplicate wherever it goes, and the filters
 * start empty: they never fill past their capacity ({@link #full()} asks for a barrier first).
 */
public final class LaneRouter {

    /** The route of a deferred line. */
    static final int DEFERRED = -1;

    private final int capacity;
    private final double falseClaims;
    private BloomFilter<CharSequence>[] ids;
    private BloomFilter<CharSequence> deferred;
    private int given;

    LaneRouter() {
        this(1_000_000, 0.001);
    }

    /** Filters for {@code capacity} ids each at {@code falseClaims} (tests use tiny ones). */
    LaneRouter(int capacity, double falseClaims) {
        this.capacity = capacity;
        this.falseClaims = falseClaims;
    }

    /** The lane (0 or 1) of a customer, by the reference a line gives. */
    public static int customerLane(Long customerId, String customerExternalId) {
        return Lanes.of(customerId != null ? Long.hashCode(customerId) : customerExternalId.hashCode(), 2);
    }

    /** The lane of the next line (in body order), or {@link #DEFERRED}; records its externalId. */
    @SuppressWarnings("unchecked")
    int route(Long customerId, String customerExternalId, String externalId) {
        int own = customerLane(customerId, customerExternalId);
        if (externalId == null) {
            return own;
        }
        if (ids == null) {
            ids = new BloomFilter[] {filter(), filter()};
            deferred = filter();
        }
        given++;
        if (deferred.mightContain(externalId) || ids[1 - own].mightContain(externalId)) {
            deferred.put(externalId);
            return DEFERRED;
        }
        ids[own].put(externalId);
        return own;
    }

    /** Whether the filters hold as many ids as they were sized for: store everything (a barrier), then {@link #reset}. */
    boolean full() {
        return given >= capacity;
    }

    /**
     * After a barrier: every line routed so far is committed, so no id needs remembering (the next id makes new
     * filters: the reset after the body's last line allocates nothing).
     */
    void reset() {
        ids = null;
        deferred = null;
        given = 0;
    }

    private BloomFilter<CharSequence> filter() {
        return BloomFilter.create(Funnels.unencodedCharsFunnel(), capacity, falseClaims);
    }
}
