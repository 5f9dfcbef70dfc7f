package dev.segments.analytics;

import dev.segments.rule.FieldCatalog;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The score-to-name table of docs/analytics.md, cell by cell, and its agreement with the field catalog. */
class RfmSegmentsTest {

    /** The grid as docs/analytics.md prints it: rows R = 5..1, columns F = 1..5. */
    static final String[][] GRID = {
            {"newCustomers", "potentialLoyalists", "potentialLoyalists", "champions", "champions"},
            {"promising", "potentialLoyalists", "potentialLoyalists", "loyal", "loyal"},
            {"aboutToSleep", "aboutToSleep", "needAttention", "loyal", "loyal"},
            {"hibernating", "hibernating", "atRisk", "atRisk", "cannotLoseThem"},
            {"lost", "hibernating", "atRisk", "atRisk", "cannotLoseThem"}};

    @Test
    void everyCellHasTheDocumentedName() {
        for (int r = 5; r >= 1; r--) {
            for (int f = 1; f <= 5; f++) {
                assertEquals(GRID[5 - r][f - 1], RfmSegments.of(r, f), "R" + r + " F" + f);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> RfmSegments.of(0, 3));
        assertThrows(IllegalArgumentException.class, () -> RfmSegments.of(3, 6));
    }

    @Test
    void theNamesAreTheCatalogValuesAndEachNamesACell() {
        Set<String> used = new LinkedHashSet<>();
        for (int r = 1; r <= 5; r++) for (int f = 1; f <= 5; f++) used.add(RfmSegments.of(r, f));
        assertEquals(Set.copyOf(RfmSegments.NAMES), used);
        assertEquals(11, RfmSegments.NAMES.size());
        assertEquals(RfmSegments.NAMES, FieldCatalog.of(List.of()).requireCustomerField("rfm.segment").values());
    }
}
