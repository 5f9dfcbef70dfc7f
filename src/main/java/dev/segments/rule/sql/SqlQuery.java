package dev.segments.rule.sql;

import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A compiled query: SQL text with {@code $1..$n} placeholders (PostgreSQL / Vert.x style) and its parameters in
 * order. Parameters are String, Long, Boolean, BigDecimal, LocalDate, OffsetDateTime (UTC) or String[] (text[]).
 */
public record SqlQuery(String sql, List<Object> params) {
    public SqlQuery {
        Objects.requireNonNull(sql);
        params = Collections.unmodifiableList(new java.util.ArrayList<>(params)); // may hold arrays, copied by builder
    }
}
