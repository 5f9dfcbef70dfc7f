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

    /**
     * Up to this many given customers, a statement about them reuses one generic plan (see {@link #planCacheMode(int)}).
     */
    public static final int FEW_CUSTOMERS = 100;

    /**
     * The {@code plan_cache_mode} for statements about {@code customers} given customers (ids in an array
     * parameter): a few reuse one generic plan; more (a bulk import's chunk, thousands of ids) are planned with their
     * ids every time. A generic plan cannot see the array: it assumes about ten ids, and for ten thousand that plan
     * (nested loops that rescan an aggregate once per customer, a linear search of the array per row) is quadratic;
     * a custom plan knows the count and hashes a constant array. {@code auto} is not enough: after five executions
     * PostgreSQL compares the generic plan's cost, estimated for ten ids, with the custom plans' and keeps it.
     */
    public static String planCacheMode(int customers) {
        return customers <= FEW_CUSTOMERS ? "force_generic_plan" : "force_custom_plan";
    }

    /**
     * The {@code random_page_cost} for a transaction about {@code customers} given customers: above
     * {@link #FEW_CUSTOMERS} (an import chunk's tens of thousands, an analytics run's chunks) {@value #MANY_CUSTOMERS_RANDOM_PAGE_COST},
     * else null (the server's). With PostgreSQL's default of 4, a chunk's join of its 36,000 customers with a
     * 1M-customer table was planned as a sequential scan and hash of the whole table (0.5-0.8 s, four times per
     * chunk) instead of 36,000 primary-key probes (under 0.1 s): while a chunk runs, the rows it reads are in cache,
     * where a random read costs about what a sequential one does (docs/imports.md, "What limits the rate").
     */
    public static String randomPageCost(int customers) {
        return customers > FEW_CUSTOMERS ? MANY_CUSTOMERS_RANDOM_PAGE_COST : null;
    }

    /** {@link #randomPageCost(int)} for many customers (the common advice for data in cache or on SSDs). */
    public static final String MANY_CUSTOMERS_RANDOM_PAGE_COST = "1.1";

    @Override
    public Pool create(Input input) {
        input.pgConnectOptionsList().forEach(options -> options.setPreparedStatementCacheSqlFilter(
                sql -> sql.length() < DEFAULT_SQL_LIMIT || sql.startsWith(KEEP)));
        return PgPool.pool(input.vertx(), input.pgConnectOptionsList(), input.poolOptions());
    }
}
