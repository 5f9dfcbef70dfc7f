package dev.segments.rule.format;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RuleFormatTest {

    @Test
    void fromParam() {
        assertEquals(RuleFormat.NATIVE, RuleFormat.fromParam(null));
        assertEquals(RuleFormat.NATIVE, RuleFormat.fromParam(" "));
        assertEquals(RuleFormat.NATIVE, RuleFormat.fromParam("native"));
        assertEquals(RuleFormat.NATIVE, RuleFormat.fromParam("NATIVE"));
        for (String s : new String[]{"querybuilder", "query-builder", "react-querybuilder", "QueryBuilder", "rqb", "QUERY_BUILDER"}) {
            assertEquals(RuleFormat.QUERY_BUILDER, RuleFormat.fromParam(s), s);
        }
        for (String s : new String[]{"jsonlogic", "json-logic", "JsonLogic", "JSON_LOGIC", " jsonlogic "}) {
            assertEquals(RuleFormat.JSON_LOGIC, RuleFormat.fromParam(s), s);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RuleFormat.fromParam("sql"));
        assertTrue(e.getMessage().contains("native, querybuilder, jsonlogic"), e.getMessage());
    }

    @Test
    void paramRoundTrips() {
        for (RuleFormat f : RuleFormat.values()) assertEquals(f, RuleFormat.fromParam(f.param()));
    }
}
