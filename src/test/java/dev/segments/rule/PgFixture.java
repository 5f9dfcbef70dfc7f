package dev.segments.rule;

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
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Embedded PostgreSQL with the schema applied (migrations but V2), plus a Vert.x pool to run compiled queries. */
final class PgFixture implements AutoCloseable {
    final EmbeddedPostgres pg;
    final Vertx vertx;
    final Pool pool;

    PgFixture() throws Exception {
        pg = EmbeddedPostgres.builder().start();
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            for (Path migration : migrations()) s.execute(Files.readString(migration));
            s.execute("create table segment_member(segment_id bigint not null, customer_id bigint not null, "
                    + "primary key(segment_id, customer_id))");
        }
        vertx = Vertx.vertx();
        PgConnectOptions opts = new PgConnectOptions().setHost("localhost").setPort(pg.getPort())
                .setDatabase("postgres").setUser("postgres").setPassword("postgres");
        pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(4)).connectingTo(opts).using(vertx).build();
    }

    /**
     * The Flyway migrations in version order, except V2 (segments): the rule tests seed static segment members
     * without segment rows, so the fixture creates its own segment_member table instead.
     */
    static List<Path> migrations() throws Exception {
        Pattern name = Pattern.compile("V(\\d+)__.*\\.sql");
        try (Stream<Path> files = Files.list(Path.of("src/main/resources/db/migration"))) {
            return files.filter(f -> name.matcher(f.getFileName().toString()).matches())
                    .filter(f -> !f.getFileName().toString().equals("V2__segments.sql"))
                    .sorted(Comparator.comparingInt(f -> {
                        Matcher m = name.matcher(f.getFileName().toString());
                        m.matches();
                        return Integer.parseInt(m.group(1));
                    }))
                    .toList();
        }
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

    @Override
    public void close() throws Exception {
        pool.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        pg.close();
    }
}
