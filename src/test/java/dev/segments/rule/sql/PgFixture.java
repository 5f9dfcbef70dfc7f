package dev.segments.rule.sql;

import dev.segments.rule.*;

import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Embedded PostgreSQL with the schema applied (migrations but V2; V12, V13 and V21 for the analytics values), plus a
 * Vert.x pool to run compiled queries.
 */
final class PgFixture implements AutoCloseable {
    /** The select list the tests read pages with (production passes CustomerRepository.VIEW_COLUMNS). */
    static final String COLUMNS = "c.id, c.external_id";

    final EmbeddedPostgres pg;
    final Vertx vertx;
    final Pool pool;

    PgFixture() throws Exception {
        pg = EmbeddedPostgres.builder().start();
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            for (Path migration : migrations()) s.execute(Files.readString(migration));
            s.execute(analyticsMigration());
            s.execute(Files.readString(Path.of("src/main/resources/db/migration/V13__analytics_models.sql")));
            s.execute(Files.readString(Path.of("src/main/resources/db/migration/V21__customer_score.sql")));
            s.execute("create table segment_member(segment_id bigint not null, customer_id bigint not null, "
                    + "tenant_id bigint not null, "
                    + "primary key(segment_id, customer_id))");
        }
        vertx = Vertx.vertx();
        PgConnectOptions opts = new PgConnectOptions().setHost("localhost").setPort(pg.getPort())
                .setDatabase("postgres").setUser("postgres").setPassword("postgres");
        pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(4)).connectingTo(opts).using(vertx).build();
    }

    /**
     * The Flyway migrations that shape customers and activity (the tables and indexes rules read), in order.
     * Segment tables (V2) and live membership (V4) are left out: the rule tests seed static segment members
     * without segment rows, so the fixture creates its own segment_member table instead.
     */
    static List<Path> migrations() {
        Path dir = Path.of("src/main/resources/db/migration");
        return List.of(dir.resolve("V1__init.sql"), dir.resolve("V3__rule_indexes.sql"));
    }

    /** V12's analytics columns and function, without its last part (the change feed's causes, a V4 table). */
    static String analyticsMigration() throws java.io.IOException {
        String v12 = Files.readString(Path.of("src/main/resources/db/migration/V12__analytics.sql"));
        int feed = v12.indexOf("-- live membership:");
        if (feed < 0) throw new IllegalStateException("V12 changed: update PgFixture.analyticsMigration");
        return v12.substring(0, feed);
    }

    /** Runs plain SQL over JDBC (seeding). */
    void exec(String sql) throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /**
     * THE parameter conversion the production executor must also apply. With Vert.x 4.5 every compiled param type
     * (String, Long, Boolean, BigDecimal, LocalDate, OffsetDateTime, String[]) is accepted as is and round-trips
     * exactly (see VertxParamsPgTest), so this is Tuple.wrap of a copy; keep it as the one place to convert.
     */
    static Tuple toTuple(List<Object> params) {
        List<Object> out = new ArrayList<>(params.size());
        for (Object p : params) {
            out.add(p); // no conversion needed with Vert.x 4.5 (BigDecimal stays exact)
        }
        return Tuple.wrap(out);
    }

    RowSet<Row> run(SqlQuery q) throws Exception {
        return pool.preparedQuery(q.sql()).execute(toTuple(q.params()))
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** The rule validated against the context's catalog and segments (the compiler takes nothing else). */
    static ValidatedRule valid(RuleNode rule, CompileContext ctx) {
        return new RuleValidator(ctx.catalog(), ctx.resolver()).check(rule);
    }

    /**
     * Of the given customers, those the rule holds for, from the statement production runs for a few customers
     * (a customer's segments, membership updates after a write): {@link QueryShapes#segmentsOf}.
     */
    Set<Long> holdsFor(long tenant, ValidatedRule rule, Collection<Long> customerIds, CompileContext ctx) throws Exception {
        Set<Long> out = new HashSet<>();
        for (Row r : run(QueryShapes.segmentsOf(tenant, List.of(new QueryShapes.Keyed("r", rule)), customerIds, ctx))) {
            if (List.of(r.getArrayOfStrings(1)).contains("r")) out.add(r.getLong(0));
        }
        return out;
    }

    /**
     * The members of each rule when all of them are evaluated together in one statement with shared passes
     * ({@link QueryShapes#sharedMembers}), by the rule's index.
     */
    java.util.List<Set<Long>> sharedMembers(long tenant, java.util.List<ValidatedRule> rules, CompileContext ctx) throws Exception {
        java.util.List<Set<Long>> out = new java.util.ArrayList<>();
        rules.forEach(r -> out.add(new HashSet<>()));
        for (Row r : run(QueryShapes.sharedMembers(tenant, rules,
                java.util.stream.LongStream.range(0, rules.size()).boxed().toList(), ctx))) {
            out.get(r.getLong(0).intValue()).add(r.getLong(1));
        }
        return out;
    }

    /**
     * The lead scores a scoring statement ({@link QueryShapes#leadScores}) writes, read back by customer id in its
     * transaction, which is then rolled back: the fixture's data stays as it is.
     */
    java.util.Map<Long, BigDecimal> scores(long tenant, SqlQuery q) throws Exception {
        io.vertx.sqlclient.SqlConnection conn = pool.getConnection().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        try {
            io.vertx.sqlclient.Transaction tx = conn.begin().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            conn.preparedQuery(q.sql()).execute(toTuple(q.params())).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            RowSet<Row> rows = conn.preparedQuery("select c.id, cs.lead_score from customer c"
                    + " left join customer_score cs on cs.customer_id = c.id where c.tenant_id = $1").execute(Tuple.of(tenant))
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            java.util.Map<Long, BigDecimal> out = new java.util.HashMap<>();
            for (Row r : rows) out.put(r.getLong(0), r.getBigDecimal(1));
            tx.rollback().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
            return out;
        } finally {
            conn.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws Exception {
        pool.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        pg.close();
    }
}
