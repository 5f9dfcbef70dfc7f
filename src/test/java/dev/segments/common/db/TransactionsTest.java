package dev.segments.common.db;

import dev.segments.activity.persistence.ActivityRepository;
import dev.segments.segment.persistence.MembershipRepository;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link Transactions}, which the activity writes, the membership updates, the analytics runs and the snapshot reads
 * begin their transactions with, on real PostgreSQL: the settings are in force for the work, the work's writes are
 * committed together or rolled back together, a value cannot end the {@code set local} it is quoted in, and the
 * membership lock's wait is not cut by the timeout of the work behind it.
 * (The snapshot's own properties, and a work that throws while it builds its statements: SnapshotReadsTest.)
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class TransactionsTest {

    static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    Pool pool;

    @Inject
    ActivityRepository activity;

    @Inject
    MembershipRepository membership;

    @Test
    void theBeginQueryQuotesValuesSkipsNullsAndRefusesNamesThatAreNotSettings() {
        assertEquals("begin; set local statement_timeout = '5ms'; set local application_name = 'a''b'",
                Transactions.begin("begin", "statement_timeout", "5ms", "random_page_cost", null, "application_name", "a'b"));
        assertThrows(IllegalArgumentException.class, () -> Transactions.begin("begin", "work_mem; drop table x", "1MB"));
        assertThrows(IllegalArgumentException.class, () -> Transactions.begin("begin", "work_mem"));
    }

    @Test
    void theSettingsHoldForTheWorkAndEndWithTheTransaction() {
        Row r = Transactions.run(pool, Transactions.begin("begin", "statement_timeout", "1234ms",
                        "application_name", "x'; select 1; --"),
                conn -> conn.query("select current_setting('statement_timeout') t, current_setting('application_name') a,"
                        + " current_setting('transaction_read_only') ro").execute())
                .await().atMost(WAIT).iterator().next();
        assertEquals("1234ms", r.getString("t"));
        assertEquals("x'; select 1; --", r.getString("a"), "the quoted value is the setting, nothing runs from it");
        assertEquals("off", r.getString("ro"));
        // a setting outlives neither its transaction nor its connection's next user
        for (int i = 0; i < 25; i++) {
            assertFalse("1234ms".equals(pool.query("select current_setting('statement_timeout')").execute()
                    .await().atMost(WAIT).iterator().next().getString(0)));
        }
        // the timeout is in force: a statement longer than it is cancelled
        Throwable slow = assertThrows(RuntimeException.class, () -> Transactions.run(pool,
                Transactions.begin("begin", "statement_timeout", "50ms"),
                conn -> conn.query("select pg_sleep(2)").execute()).await().atMost(WAIT));
        assertTrue(slow.getMessage().contains("statement timeout"), slow::getMessage);
    }

    @Test
    void theWorkCommitsTogetherOrRollsBackTogether() {
        pool.query("create table if not exists transactions_probe (v int)").execute().await().atMost(WAIT);
        long before = count();
        Transactions.run(pool, "begin", conn -> conn.query("insert into transactions_probe values (1)").execute()
                .chain(() -> conn.query("insert into transactions_probe values (2)").execute())).await().atMost(WAIT);
        assertEquals(before + 2, count(), "both rows committed");
        assertThrows(RuntimeException.class, () -> Transactions.run(pool, "begin",
                conn -> conn.query("insert into transactions_probe values (3)").execute()
                        .chain(() -> conn.query("select 1 / 0").execute())).await().atMost(WAIT));
        assertEquals(before + 2, count(), "the row before the failure is rolled back with it");
        // a value that a set local refuses aborts the transaction: the work's statements do not run outside one
        assertThrows(RuntimeException.class, () -> Transactions.run(pool,
                Transactions.begin("begin", "plan_cache_mode", "sometimes"),
                conn -> conn.query("insert into transactions_probe values (4)").execute()).await().atMost(WAIT));
        assertEquals(before + 2, count(), "nothing written after a refused setting");
    }

    @Test
    void anActivityWriteAboutAFewCustomersReusesOneGenericPlanAndABatchIsPlannedWithItsIds() {
        // a single write (and a delete) plans its lookup and rollup update once per connection; a batch of many
        // customers is planned with its ids (a generic plan assumes about ten array elements: PreparedStatements)
        assertEquals("force_generic_plan", planMode(1));
        assertEquals("force_generic_plan", planMode(PreparedStatements.FEW_CUSTOMERS));
        assertEquals("force_custom_plan", planMode(PreparedStatements.FEW_CUSTOMERS + 1));
    }

    @Test
    void theMembershipTimeoutBoundsTheWorkButNotTheWaitForTheTenantsLock() {
        // a write's follow-up behind a long refresh waits for the lock instead of failing (and marking the tenant for
        // repair): the lock is taken by the statement that sets the timeout, so the timeout starts after it
        long tenant = 987_654L;
        var holder = pool.getConnection().await().atMost(WAIT);
        try {
            holder.query("begin").execute().await().atMost(WAIT);
            holder.preparedQuery("select pg_advisory_xact_lock($1, $2::int)")
                    .execute(Tuple.of(MembershipRepository.LOCK_NAMESPACE, tenant))
                    .await().atMost(WAIT);
            var waiting = membership.locked(tenant, "200ms", true, conn -> conn.query("select 'locked'").execute())
                    .subscribeAsCompletionStage();
            sleep(600); // three timeouts long
            assertFalse(waiting.isDone(), "still waiting for the lock, not timed out");
            holder.query("commit").execute().await().atMost(WAIT);
            assertEquals("locked", waiting.join().iterator().next().getString(0));
        } finally {
            holder.close().await().atMost(WAIT);
        }
        Throwable slow = assertThrows(RuntimeException.class, () -> membership.locked(tenant, "200ms", true,
                conn -> conn.query("select pg_sleep(2)").execute()).await().atMost(WAIT));
        assertTrue(slow.getMessage().contains("statement timeout"), slow::getMessage);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String planMode(int customers) {
        return activity.inTransaction(customers, conn -> conn.query("select current_setting('plan_cache_mode')")
                .execute()).await().atMost(WAIT).iterator().next().getString(0);
    }

    private long count() {
        return pool.query("select count(*) from transactions_probe").execute().await().atMost(WAIT)
                .iterator().next().getLong(0);
    }
}
