package dev.segments.common.db;

import io.quarkus.reactive.pg.client.PgPoolCreator;
import io.vertx.pgclient.PgPool;
import io.vertx.sqlclient.Pool;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * Creates the reactive pool (Quarkus calls this instead of its default) to choose which statements the client
 * keeps prepared per connection. By default the Vert.x client caches statements up to 2048 characters, so short
 * statements are parsed and planned once per connection and compiled rules, which are longer, every time. Rules
 * evaluated for a few given customers (a customer's segments, membership updates after a write) are planned once
 * per connection too when their SQL starts with {@link #KEEP}: there, planning one statement over all of a tenant's
 * segments costs several times its execution, and the plan does not depend on the values (every probe is by
 * customer id; the callers set {@code plan_cache_mode = force_generic_plan}). Whole-tenant queries stay unnamed
 * and are planned with their values each time.
 */
@ApplicationScoped
public class PreparedStatements implements PgPoolCreator {

    /** Prefix of a statement to keep prepared whatever its length. */
    public static final String KEEP = "/* keep prepared */ ";

    static final int DEFAULT_SQL_LIMIT = 2048;

    /**
     * The {@code plan_cache_mode} a transaction sets for its rule statements: a generic plan for statements about
     * a few given customers (those start with {@link #KEEP}), PostgreSQL's default otherwise.
     */
    public static String planCacheMode(boolean fewCustomers) {
        return fewCustomers ? "force_generic_plan" : "auto";
    }

    @Override
    public Pool create(Input input) {
        input.pgConnectOptionsList().forEach(options -> options.setPreparedStatementCacheSqlFilter(
                sql -> sql.length() < DEFAULT_SQL_LIMIT || sql.startsWith(KEEP)));
        return PgPool.pool(input.vertx(), input.pgConnectOptionsList(), input.poolOptions());
    }
}
