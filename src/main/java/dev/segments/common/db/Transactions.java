package dev.segments.common.db;

import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;

import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A transaction begun and set by one simple query ({@code begin ...; set local ...}) sent together with the work's
 * first statement (the connection pipelines them, in order), then committed, or rolled back when the work fails:
 * one round trip besides the work's own (the commit), where {@code Pool.withTransaction} takes two more (its
 * {@code BEGIN} before the first statement, and the settings as a statement of their own). The connection goes back
 * to the pool only after the commit or the rollback, whatever becomes of the caller (the pool runs the work to its
 * end). A failed {@code set local} aborts the transaction it began, so the work's statements fail with it.
 */
public final class Transactions {

    /** What a setting's name may be: it is written into the query unquoted. */
    private static final Pattern SETTING_NAME = Pattern.compile("[a-z_]+");

    private Transactions() {
    }

    /** Runs {@code work} in a transaction begun by {@code begin}, a simple query without parameters ({@link #begin}). */
    public static <T> Uni<T> run(Pool pool, String begin, Function<SqlConnection, Uni<T>> work) {
        // deferred: a work that throws while it builds its statements fails the Uni, and the connection is given back
        return pool.withConnection(conn -> Uni.combine().all().unis(conn.query(begin).execute(),
                        Uni.createFrom().deferred(() -> work.apply(conn)))
                .with((begun, out) -> out)
                .onItemOrFailure().call((out, failure) -> conn.query(failure == null ? "commit" : "rollback").execute()));
    }

    /**
     * The begin query for {@link #run}: {@code begin} (or another opening, such as {@code begin isolation level
     * repeatable read, read only}) followed by a {@code set local} for each name and value pair whose value is not
     * null. Values are quoted as literals; names are the caller's constants.
     */
    public static String begin(String opening, String... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("settings come in name and value pairs");
        }
        StringBuilder sql = new StringBuilder(opening);
        for (int i = 0; i < namesAndValues.length; i += 2) {
            String name = namesAndValues[i];
            String value = namesAndValues[i + 1];
            if (!SETTING_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("not a setting name: " + name);
            }
            if (value != null) {
                sql.append("; set local ").append(name).append(" = '").append(value.replace("'", "''")).append('\'');
            }
        }
        return sql.toString();
    }

    /**
     * A read-write transaction whose statements about {@code customers} given customers use the plan
     * {@link PreparedStatements#planCacheMode(int)} chooses: one generic plan per connection for a few (a single write),
     * planned with their ids for many.
     */
    public static <T> Uni<T> aboutCustomers(Pool pool, int customers, Function<SqlConnection, Uni<T>> work) {
        return run(pool, begin("begin", "plan_cache_mode", PreparedStatements.planCacheMode(customers)), work);
    }
}
