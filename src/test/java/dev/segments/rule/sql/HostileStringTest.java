package dev.segments.rule.sql;

import dev.segments.rule.*;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Client strings never reach SQL text: values, LIKE patterns, attribute and property keys, segment keys. */
class HostileStringTest {

    static Stream<String> hostile() {
        return Stream.of("'; drop table customer; --", "x' or '1'='1", "100%_\\", "\"quoted\" $1 $$", "a;--b/*c*/",
                "Ünïcødé ☃ 𝄞 ‮rtl", "back\\slash'", "E'\\x27'", "$$ || pg_sleep(10) || $$", "') or true --");
    }

    static final ObjectMapper M = new ObjectMapper();

    static String rule(String field, String op, Object value) {
        ObjectNode n = M.createObjectNode().put("field", field).put("op", op);
        if (value instanceof String s) n.put("value", s);
        else if (value instanceof List<?> l) {
            var a = n.putArray("value");
            l.forEach(x -> a.add((String) x));
        }
        return n.toString();
    }

    @ParameterizedTest
    @MethodSource("hostile")
    void neverInSql(String evil) throws Exception {
        String attrKey = "k" + Math.abs(evil.hashCode());
        FieldCatalog cat = FieldCatalog.of(List.of(new AttributeDef("customer", attrKey, "string")));
        String segWrap = "{\"segment\":" + M.writeValueAsString(evil) + "}";
        String prop = "{\"aggregate\":\"count\",\"of\":\"events\",\"where\":" + rule("properties." + evil, "eq", evil)
                + ",\"op\":\"gte\",\"value\":1}";
        List<String> rules = List.of(
                rule("name", "eq", evil), rule("name", "contains", evil), rule("name", "startsWith", evil),
                rule("name", "notContains", evil), rule("name", "in", List.of(evil, "x")),
                rule("tags", "hasAny", List.of(evil)), rule("attributes." + attrKey, "endsWith", evil), prop, segWrap);
        CompileContext ctx = new CompileContext(OffsetDateTime.parse("2025-01-01T00:00:00Z"), cat,
                k -> Optional.of(new ResolvedSegment.Static(1)));
        String needle = evil.length() > 3 ? evil.substring(0, Math.min(evil.length(), 8)) : evil;
        for (String r : rules) {
            SqlQuery q = QueryShapes.count(1, PgFixture.valid(new RuleParser().parse(r), ctx), ctx);
            assertFalse(q.sql().contains(evil), () -> "SQL contains hostile value: " + q.sql());
            assertFalse(q.sql().contains(needle), () -> "SQL contains part of hostile value: " + q.sql());
            assertTrue(q.params().size() >= 2);
        }
    }
}
