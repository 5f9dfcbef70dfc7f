package dev.segments.activity.service;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The routing of a two-lane import on its own, driven by the importer's protocol (a barrier when the deferred lines
 * make a chunk or the router is full, then {@code reset}). With filters far too small (many false claims), every line
 * repeating an externalId must be stored after the id's first line: by the same lane (which stores in line order), or
 * deferred (stored after the barrier, in line order), or after a barrier that followed the first line (which commits
 * everything before it). And a line never goes to another lane than its customer's.
 */
class LaneRouterTest {

    /** Where a line was put: a lane or the deferred lines, and between which barriers. */
    private record Placed(int route, int epoch) {
    }

    @Test
    void aRepeatedExternalIdIsStoredAfterItsFirstLine() {
        for (long seed = 1; seed <= 20; seed++) {
            Random random = new Random(seed);
            LaneRouter router = new LaneRouter(300, 0.05); // small filters: false claims and barriers for capacity
            Map<String, Placed> first = new HashMap<>();
            int epoch = 0, deferred = 0, repeats = 0, deferredTotal = 0;
            for (int line = 0; line < 3_000; line++) {
                long customer = random.nextInt(200);
                boolean byId = random.nextBoolean();
                String externalId = random.nextInt(10) == 0 ? null : "x-" + random.nextInt(400);
                Long id = byId ? customer : null;
                String ext = byId ? null : "c-" + customer;
                int route = router.route(id, ext, externalId);
                if (route == LaneRouter.DEFERRED) {
                    deferred++;
                    deferredTotal++;
                } else {
                    assertEquals(LaneRouter.customerLane(id, ext), route, "a line goes to its customer's lane");
                }
                if (externalId != null) {
                    Placed earlier = first.get(externalId);
                    if (earlier == null || earlier.epoch() < epoch) {
                        first.put(externalId, new Placed(route, epoch));
                    } else {
                        repeats++;
                        boolean ordered = route == LaneRouter.DEFERRED || route == earlier.route();
                        assertTrue(ordered, "seed " + seed + ", line " + line + ": " + externalId + " first "
                                + earlier + ", now route " + route + " in epoch " + epoch);
                    }
                }
                if (deferred >= 50 || router.full()) { // the importer's barrier: everything before it committed
                    router.reset();
                    epoch++;
                    deferred = 0;
                }
            }
            assertTrue(repeats > 300 && deferredTotal > 0 && epoch > 2,
                    "the seed exercises repeats, deferrals and barriers");
        }
    }

    @Test
    void withoutRepeatsALineIsDeferredOnlyByARareFalseClaim() {
        LaneRouter router = new LaneRouter();
        int deferred = 0;
        for (int i = 0; i < 200_000; i++) {
            int route = router.route((long) i, null, "p-" + i);
            if (route == LaneRouter.DEFERRED) {
                deferred++;
            } else {
                assertEquals(LaneRouter.customerLane((long) i, null), route);
            }
        }
        assertTrue(deferred < 200, deferred + " of 200,000 unique ids deferred (0.1% false claims at capacity)");
    }
}
