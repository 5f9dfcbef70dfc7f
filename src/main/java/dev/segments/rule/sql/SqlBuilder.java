package dev.segments.rule.sql;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders SQL text and binds parameters in one pass. SQL text must come from constants in this package; every
 * value goes through {@link #param} or {@link #bind}, which push it and append a typed {@code $n::type}
 * placeholder in the same call. A bound value may be referenced several times with {@link #ref}. Package-private:
 * only the compile stage writes SQL around a predicate ({@link QueryShapes}).
 */
final class SqlBuilder {

    /** PostgreSQL types of placeholders, each with the Java type it accepts. */
    public enum PgType {
        TEXT("text", String.class), NUMERIC("numeric", BigDecimal.class), BIGINT("bigint", Long.class),
        BOOLEAN("boolean", Boolean.class), DATE("date", LocalDate.class),
        TIMESTAMPTZ("timestamptz", OffsetDateTime.class), TEXT_ARRAY("text[]", String[].class);

        private final String sql;
        private final Class<?> javaType;

        PgType(String sql, Class<?> javaType) {
            this.sql = sql;
            this.javaType = javaType;
        }

        public String sql() { return sql; }

        public Class<?> javaType() { return javaType; }
    }

    /** A parameter bound in this builder; append it with {@link #ref(Bound)}. */
    public static final class Bound {
        private final SqlBuilder owner;
        private final int index;
        private final PgType type;

        private Bound(SqlBuilder owner, int index, PgType type) {
            this.owner = owner;
            this.index = index;
            this.type = type;
        }

        /** 1-based placeholder number. */
        public int index() { return index; }
    }

    private final StringBuilder sql = new StringBuilder(256);
    private final List<Object> params = new ArrayList<>();

    /** Appends constant SQL text (never a client value). */
    public SqlBuilder sql(String constant) {
        sql.append(constant);
        return this;
    }

    /** Binds a value and appends its placeholder {@code $n::type}. */
    public SqlBuilder param(Object value, PgType type) {
        return ref(bind(value, type));
    }

    /** Binds a value without appending it. */
    public Bound bind(Object value, PgType type) {
        if (value == null) throw new IllegalArgumentException("null parameter");
        if (!type.javaType.isInstance(value)) {
            throw new IllegalArgumentException(type + " parameter needs " + type.javaType.getSimpleName()
                    + ", got " + value.getClass().getSimpleName());
        }
        Object v = value;
        if (v instanceof OffsetDateTime t) v = t.withOffsetSameInstant(ZoneOffset.UTC);
        if (v instanceof String[] a) {
            for (String s : a) if (s == null) throw new IllegalArgumentException("null array element");
            v = a.clone();
        }
        params.add(v);
        return new Bound(this, params.size(), type);
    }

    /** Appends the placeholder of an already bound value. */
    public SqlBuilder ref(Bound b) {
        sql.append(placeholder(b));
        return this;
    }

    /** The placeholder {@code $n::type} of an already bound value, for SQL text built outside this builder. */
    public String placeholder(Bound b) {
        if (b.owner != this) throw new IllegalArgumentException("parameter bound in another builder");
        return "$" + b.index + "::" + b.type.sql;
    }

    public int paramCount() { return params.size(); }

    public SqlQuery build() {
        return new SqlQuery(sql.toString(), params);
    }

    @Override
    public String toString() { return sql.toString(); }
}
