package dev.segments.common.db;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tenant's first imports leave the planner knowing the tenant (TenantStatistics): at 1M customers an activity
 * import planned on statistics from before its tenant's customer import took 90 s a chunk instead of 0.7 s.
 */
@QuarkusTest
@WithTestResource(EmbeddedPostgresResource.class)
class TenantStatisticsTest {

    static final int CUSTOMERS = 3_000;

    @Inject
    DataSource dataSource;

    @Inject
    TenantStatistics statistics;

    @Test
    void aTenantsFirstImportsAreAnalyzedSoTheNextStatementsPlanOnItsRealSize() throws SQLException {
        // statistics from before the tenant exists: it is a value they do not know
        sql("analyze customer");
        sql("analyze purchase");
        Api.Tenant created = Api.tenant();
        String key = created.key();
        long tenant = created.id();

        StringBuilder customers = new StringBuilder();
        StringBuilder purchases = new StringBuilder();
        for (int i = 0; i < CUSTOMERS; i++) {
            customers.append("{\"externalId\": \"c-").append(i).append("\", \"name\": \"C ").append(i).append("\"}\n");
            purchases.append("{\"customerExternalId\": \"c-").append(i).append("\", \"externalId\": \"p-").append(i)
                    .append("\", \"occurredAt\": \"2026-01-01T10:00:00Z\", \"amount\": 10}\n");
        }
        post(key, "/customers/import", customers.toString()).then().statusCode(200)
                .body("created", org.hamcrest.Matchers.equalTo(CUSTOMERS));
        assertTrue(estimate("customer", tenant) * 10 >= CUSTOMERS,
                "after the customer import the planner knows the tenant's customers: " + estimate("customer", tenant));

        post(key, "/purchases/import", purchases.toString()).then().statusCode(200)
                .body("stored", org.hamcrest.Matchers.equalTo(CUSTOMERS));
        assertTrue(estimate("purchase", tenant) * 10 >= CUSTOMERS,
                "after the purchase import the planner knows the tenant's purchases: " + estimate("purchase", tenant));

        // known now: no second analyze; a small tenant is never analyzed for
        assertFalse(statistics.refresh("customer", tenant));
        Api.Tenant small = Api.tenant();
        Api.customer(small.key(), "only", Map.of("name", "Only"));
        assertFalse(statistics.refresh("customer", small.id()));
        assertEquals(CUSTOMERS, scalar("select count(*) from customer where tenant_id = " + tenant));
    }

    @Test
    void aVacuumHoldingTheTableDelaysTheImportBoundedlyAndTheStatisticsAreLeftToIt() throws Exception {
        sql("analyze customer");
        Api.Tenant created = Api.tenant();
        String key = created.key();
        long tenant = created.id();
        StringBuilder customers = new StringBuilder();
        for (int i = 0; i < CUSTOMERS; i++) {
            customers.append("{\"externalId\": \"v-").append(i).append("\"}\n");
        }
        // the lock a vacuum holds (and ANALYZE takes): the import's writes pass it, its analyze does not
        try (Connection vacuum = dataSource.getConnection()) {
            vacuum.setAutoCommit(false);
            try (Statement s = vacuum.createStatement()) {
                s.execute("lock table customer in share update exclusive mode");
            }
            // should the analyze wait for good, the lock goes after 30 s and the time below says it
            java.util.concurrent.ScheduledExecutorService release = java.util.concurrent.Executors
                    .newSingleThreadScheduledExecutor();
            release.schedule(() -> {
                vacuum.rollback();
                return null;
            }, 30, java.util.concurrent.TimeUnit.SECONDS);
            long t0 = System.nanoTime();
            post(key, "/customers/import", customers.toString()).then().statusCode(200)
                    .body("created", org.hamcrest.Matchers.equalTo(CUSTOMERS));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            release.shutdownNow();
            vacuum.rollback();
            assertTrue(ms < TenantStatistics.LOCK_TIMEOUT_MS + 10_000, "the import waited " + ms + " ms");
            assertTrue(ms >= TenantStatistics.LOCK_TIMEOUT_MS, "the analyze waited for its lock: " + ms + " ms");
        }
        assertTrue(estimate("customer", tenant) * 10 < CUSTOMERS, "not analyzed under the lock");
        assertTrue(statistics.refresh("customer", tenant), "analyzed once the lock is gone");
        assertTrue(estimate("customer", tenant) * 10 >= CUSTOMERS);
    }

    @Test
    void anImportChecksAfter10kRowsAndThenAtEachFourfoldGrowth() {
        TenantStatistics.Growth growth = new TenantStatistics.Growth();
        java.util.List<Integer> checkedAfterChunk = new java.util.ArrayList<>();
        for (int chunk = 1; chunk <= 100; chunk++) { // 100 chunks of 5,000 rows: 500k
            if (growth.add(5_000)) {
                checkedAfterChunk.add(chunk);
            }
        }
        // 10k, 40k, 160k, 640k (not reached)
        assertEquals(java.util.List.of(2, 8, 32), checkedAfterChunk);
        TenantStatistics.Growth big = new TenantStatistics.Growth();
        assertTrue(big.add(1_000_000)); // one chunk past several thresholds: one check
        assertFalse(big.add(1_000_000));
    }

    private static io.restassured.response.Response post(String key, String path, String body) {
        return RestAssured.given().auth().oauth2(key).contentType("application/x-ndjson")
                .body(body.getBytes(StandardCharsets.UTF_8)).post(path);
    }

    private double estimate(String table, long tenant) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("explain select 1 from " + table + " where tenant_id = " + tenant)) {
            r.next();
            String line = r.getString(1); // "... (cost=a..b rows=N width=W)"
            return Double.parseDouble(line.replaceAll(".*rows=(\\d+).*", "$1"));
        }
    }

    private void sql(String statement) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.execute(statement);
        }
    }

    private long scalar(String query) throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery(query)) {
            r.next();
            return r.getLong(1);
        }
    }
}
