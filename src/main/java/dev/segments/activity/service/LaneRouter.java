package dev.segments.activity.service;

import com.google.common.hash.BloomFilter;
import com.google.common.hash.Funnels;
import dev.segments.common.concurrent.Lanes;

/**
 * Which of two lanes stores a line of a request's activity import ({@link ActivityImporter}): its customer's lane, by
 * the reference the line gives (its customerId if set, else its customerExternalId), unless its externalId went to the
 * other lane before. So a customer's lines go to one lane (concurrent chunks lock disjoint customers), and the lines
 * sharing an externalId are stored in line order, so the first one wins, as with one lane.
 *
 * <p>Each lane's filter holds the externalIds it was given: it never misses one it holds, and may claim one it does
 * not (about 0.5% at 5M ids per lane, 7 MiB each). If only the other lane's filter claims the id, the line goes there;
 * if both claim it, {@link Route#barrier()}: every pending chunk is stored first, so the earlier line is committed and
 * this one is a duplicate wherever it goes (rare: a false claim beside a true one). A false claim only sends a line to
 * the other lane than its customer's; that customer is then locked by both lanes, one after the other (each chunk
 * locks its customers in id order: never a deadlock).
 */
public final class LaneRouter {

    /** Where a line goes; with {@code barrier}, after every chunk pending in either lane is stored. */
    record Route(int lane, boolean barrier) {
    }

    private static final Route[] PLAIN = {new Route(0, false), new Route(1, false)};

    private final BloomFilter<CharSequence>[] ids;

    LaneRouter() {
        this(5_000_000, 0.005);
    }

    /** Filters sized for {@code expectedIds} per lane at {@code falseClaims} (tests use tiny ones). */
    @SuppressWarnings("unchecked")
    LaneRouter(int expectedIds, double falseClaims) {
        ids = new BloomFilter[] {BloomFilter.create(Funnels.unencodedCharsFunnel(), expectedIds, falseClaims),
                BloomFilter.create(Funnels.unencodedCharsFunnel(), expectedIds, falseClaims)};
    }

    /** The lane (0 or 1) of a customer, by the reference a line gives. */
    public static int customerLane(Long customerId, String customerExternalId) {
        return Lanes.of(customerId != null ? Long.hashCode(customerId) : customerExternalId.hashCode(), 2);
    }

    /** The route of the next line (in body order) and records its externalId in that lane's filter. */
    Route route(Long customerId, String customerExternalId, String externalId) {
        int own = customerLane(customerId, customerExternalId);
        if (externalId == null) {
            return PLAIN[own];
        }
        boolean mine = ids[own].mightContain(externalId);
        boolean other = ids[1 - own].mightContain(externalId);
        int lane = other && !mine ? 1 - own : own;
        ids[lane].put(externalId);
        return mine && other ? new Route(lane, true) : PLAIN[lane];
    }
}
