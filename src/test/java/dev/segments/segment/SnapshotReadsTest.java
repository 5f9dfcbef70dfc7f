package dev.segments.segment;

import dev.segments.common.config.ServiceConfig;
import dev.segments.segment.persistence.MembershipRepository;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MembershipRepository#snapshot}, which every read of the materialization runs in, on real PostgreSQL: one
 * read-only repeatable-read transaction with the generic plans and the evaluation timeout, committed after the work
 * and rolled back after a failure, so that no connection goes back to the pool inside a transaction.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class SnapshotReadsTest {

    static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    MembershipRepository membership;

    @Inject
    Pool pool;

    @Inject
    ServiceConfig config;

    @Test
    void theWorkRunsInOneReadOnlyRepeatableReadSnapshotWithTheReadSettings() {
        pool.query("create table if not exists snapshot_probe (v int)").execute().await().atMost(WAIT);
        List<String> seen = membership.snapshot(conn -> conn.query("select current_setting('transaction_isolation') i,"
                        + " current_setting('transaction_read_only') r, current_setting('plan_cache_mode') p,"
                        + " (select setting from pg_settings where name = 'statement_timeout') t,"
                        + " (select count(*) from snapshot_probe) n").execute()
                .chain(first -> pool.query("insert into snapshot_probe values (1)").execute() // committed elsewhere
                        .chain(() -> conn.query("select (select count(*) from snapshot_probe) n").execute())
                        .map(second -> {
                            Row r = first.iterator().next();
                            return List.of(r.getString("i"), r.getString("r"), r.getString("p"), r.getString("t"),
                                    r.getLong("n") + "", second.iterator().next().getLong("n") + "");
                        }))).await().atMost(WAIT);
        assertEquals("repeatable read", seen.get(0));
        assertEquals("on", seen.get(1));
        assertEquals("force_generic_plan", seen.get(2));
        assertEquals(config.query().statementTimeout().toMillis() + "", seen.get(3), "ms");
        assertEquals(seen.get(4), seen.get(5), "the second statement reads the snapshot of the first");
        // committed: the next snapshots, on whichever connection, see every write made before them
        for (int i = 0; i < 10; i++) {
            long before = pool.query("insert into snapshot_probe values (1); select count(*) from snapshot_probe")
                    .execute().await().atMost(WAIT).next().iterator().next().getLong(0);
            long read = membership.snapshot(conn -> conn.query("select count(*) from snapshot_probe").execute())
                    .await().atMost(WAIT).iterator().next().getLong(0);
            assertEquals(before, read, "a snapshot begun after a write sees it");
        }
    }

    @Test
    void aFailedWorkIsRolledBackBeforeItsConnectionIsReused() {
        // fail on many connections at once, after a statement that succeeded, then read on as many: a connection given
        // back inside the failed transaction would fail every later statement ("current transaction is aborted")
        int n = 40;
        List<Uni<Object>> failing = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            failing.add(membership.snapshot(conn -> conn.query("select 1").execute()
                    .chain(() -> conn.query("select 1 / 0").execute())).map(x -> (Object) x)
                    .onFailure().recoverWithItem(f -> f));
        }
        List<?> failures = Uni.join().all(failing).andFailFast().await().atMost(WAIT);
        failures.forEach(f -> assertTrue(f instanceof Throwable && ((Throwable) f).getMessage().contains("division by zero"),
                () -> "the work's failure is answered: " + f));
        List<Uni<String>> reads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            reads.add(membership.snapshot(conn -> conn.query("select current_setting('transaction_isolation')").execute())
                    .map(rs -> rs.iterator().next().getString(0)));
        }
        Uni.join().all(reads).andFailFast().await().atMost(WAIT).forEach(i -> assertEquals("repeatable read", i));
        // a work that throws while it builds its statements, on more connections than the pool holds: each is given back
        for (int i = 0; i < 30; i++) {
            assertThrows(IllegalStateException.class, () -> membership.<Object>snapshot(conn -> {
                throw new IllegalStateException("built wrong");
            }).await().atMost(WAIT));
        }
        assertEquals("repeatable read", membership.snapshot(conn -> conn.query("select current_setting('transaction_isolation')")
                .execute()).await().atMost(Duration.ofSeconds(10)).iterator().next().getString(0));
        assertThrows(RuntimeException.class, () -> membership.snapshot(conn -> conn.query("create temp table w (v int)")
                .execute()).await().atMost(WAIT), "read only");
    }
}
