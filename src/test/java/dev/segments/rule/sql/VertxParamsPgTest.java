package dev.segments.rule.sql;

import dev.segments.rule.*;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Every parameter type the compiler emits round-trips exactly through the Vert.x PG client. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class VertxParamsPgTest {
    PgFixture db;

    @BeforeAll
    void up() throws Exception { db = new PgFixture(); }

    @AfterAll
    void down() throws Exception { db.close(); }

    @Test
    void roundTrip() throws Exception {
        SqlBuilder b = new SqlBuilder();
        b.sql("select ").param(new BigDecimal("12345678901234567890.12345678901234567891"), SqlBuilder.PgType.NUMERIC)
                .sql("::text as n, ").param(new BigDecimal("0.1"), SqlBuilder.PgType.NUMERIC).sql(" + ")
                .param(new BigDecimal("0.2"), SqlBuilder.PgType.NUMERIC).sql(" = 0.3 as exact, ")
                .param(42L, SqlBuilder.PgType.BIGINT).sql("::text as l, ")
                .param(true, SqlBuilder.PgType.BOOLEAN).sql("::text as b, ")
                .param(LocalDate.parse("2024-02-29"), SqlBuilder.PgType.DATE).sql("::text as d, ")
                .param(OffsetDateTime.parse("2024-02-29T23:30:00.123456+02:00"), SqlBuilder.PgType.TIMESTAMPTZ)
                .sql(" = timestamptz '2024-02-29 21:30:00.123456+00' as t, ")
                .param(new String[]{"a", "b'c", "{x}"}, SqlBuilder.PgType.TEXT_ARRAY).sql("::text as a, ")
                .param("it's \\ 'x'", SqlBuilder.PgType.TEXT).sql(" as s");
        var row = db.run(b.build()).iterator().next();
        assertEquals("12345678901234567890.12345678901234567891", row.getString("n"));
        assertEquals(true, row.getBoolean("exact"));
        assertEquals("42", row.getString("l"));
        assertEquals("true", row.getString("b"));
        assertEquals("2024-02-29", row.getString("d"));
        assertEquals(true, row.getBoolean("t"));
        assertEquals("{a,b'c,\"{x}\"}", row.getString("a"));
        assertEquals("it's \\ 'x'", row.getString("s"));
        assertEquals(List.of(), List.of());
    }
}
