package dev.segments.analytics;

import dev.segments.rule.FieldCatalog;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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

    /**
     * The RF template: each segment's rule, read back as the grid cells it holds for, is exactly that name's cells
     * (so its members are those of rfm.segment = name); keys are rf- and the name in kebab case.
     */
    @Test
    void everyTemplateRuleCoversExactlyItsCells() {
        for (String name : RfmSegments.NAMES) {
            Map<String, Object> rule = RfmSegments.templateRule(name);
            for (int r = 1; r <= 5; r++) {
                for (int f = 1; f <= 5; f++) {
                    assertEquals(RfmSegments.of(r, f).equals(name), holds(rule, r, f), name + " R" + r + " F" + f);
                }
            }
        }
        assertEquals("rf-cannot-lose-them", RfmSegments.templateKey("cannotLoseThem"));
        assertEquals(Map.of("and", List.of(Map.of("field", "rfm.recency", "op", "eq", "value", 5),
                Map.of("field", "rfm.frequency", "op", "in", "value", List.of(4, 5)))), RfmSegments.templateRule("champions"));
        assertEquals("Can't lose them", RfmSegments.label("cannotLoseThem"));
    }

    /** The rule language's and / or / eq / in over the two fields, enough to read a template rule. */
    @SuppressWarnings("unchecked")
    static boolean holds(Map<String, Object> rule, int r, int f) {
        if (rule.containsKey("and")) {
            return ((List<Map<String, Object>>) rule.get("and")).stream().allMatch(c -> holds(c, r, f));
        }
        if (rule.containsKey("or")) {
            return ((List<Map<String, Object>>) rule.get("or")).stream().anyMatch(c -> holds(c, r, f));
        }
        int v = rule.get("field").equals("rfm.recency") ? r : f;
        return switch ((String) rule.get("op")) {
            case "eq" -> rule.get("value").equals(v);
            case "in" -> ((List<Integer>) rule.get("value")).contains(v);
            default -> throw new IllegalStateException("unexpected operator " + rule.get("op"));
        };
    }
}
