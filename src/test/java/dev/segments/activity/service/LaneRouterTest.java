package dev.segments.activity.service;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The routing of a two-lane import on its own: with filters far too small (most claims false), every line repeating
 * an externalId must still be stored after that id's first line, either by the same lane (which stores in line order)
 * or after a barrier that came after the first line (which commits everything pending).
 */
class LaneRouterTest {

    @Test
    void aRepeatedExternalIdFollowsItsFirstLineOrWaitsForABarrier() {
        for (long seed = 1; seed <= 20; seed++) {
            Random random = new Random(seed);
            LaneRouter router = new LaneRouter(50, 0.3); // ~1,000 ids into filters sized for 50: many false claims
            Map<String, Integer> firstLane = new HashMap<>();
            Map<String, Integer> firstLine = new HashMap<>();
            int lastBarrier = -1;
            int barriers = 0, away = 0, repeats = 0;
            for (int line = 0; line < 2_000; line++) {
                long customer = random.nextInt(200);
                boolean byId = random.nextBoolean();
                String externalId = random.nextInt(10) == 0 ? null : "x-" + random.nextInt(1_000);
                LaneRouter.Route route = router.route(byId ? customer : null, byId ? null : "c-" + customer, externalId);
                assertTrue(route.lane() == 0 || route.lane() == 1);
                if (route.barrier()) {
                    barriers++;
                    lastBarrier = line;
                }
                int own = LaneRouter.customerLane(byId ? customer : null, byId ? null : "c-" + customer);
                if (externalId == null) {
                    assertEquals(own, route.lane(), "a line without externalId goes to its customer's lane");
                    continue;
                }
                if (route.lane() != own) {
                    away++;
                }
                Integer first = firstLine.putIfAbsent(externalId, line);
                if (first == null) {
                    firstLane.put(externalId, route.lane());
                    continue;
                }
                repeats++;
                boolean sameLane = firstLane.get(externalId) == route.lane();
                boolean committedBefore = lastBarrier > first;
                assertTrue(sameLane || committedBefore, "seed " + seed + ", line " + line + ": " + externalId
                        + " first at line " + first + " in lane " + firstLane.get(externalId) + ", now lane "
                        + route.lane() + " with the last barrier at " + lastBarrier);
            }
            assertTrue(repeats > 500 && barriers > 0 && away > 0,
                    "the seed exercises repeats, barriers and lines away from their customer's lane");
        }
    }

    @Test
    void withoutRepeatsEveryLineGoesToItsCustomersLane() {
        LaneRouter router = new LaneRouter();
        for (int i = 0; i < 10_000; i++) {
            LaneRouter.Route route = router.route((long) i, null, "p-" + i);
            assertEquals(LaneRouter.customerLane((long) i, null), route.lane());
            assertTrue(!route.barrier());
        }
    }
}
