package dev.segments.segment;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import dev.segments.support.OperatorSettings;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.SqlConnection;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * A rule query that runs past {@code segments.query.statement-timeout} is cancelled by PostgreSQL and answered
 * with a 503 problem, not a 500, and the service keeps answering afterwards.
 */
@QuarkusTest
@TestProfile(OperatorSettings.class)
@WithTestResource(EmbeddedPostgresResource.class)
class QueryTimeoutTest {

    @Inject
    Pool pool;

    @Test
    void aSlowRuleQueryTimesOutAsA503Problem() {
        String key = Api.newTenant();
        Api.customer(key, "one", Map.of());
        // Another session holds the purchase table: a rule that reads purchases waits for it, and the wait counts
        // against the statement timeout (300 ms in OperatorSettings), as a slow plan would, without seeding data.
        SqlConnection holder = pool.getConnection().await().atMost(Duration.ofSeconds(10));
        try {
            holder.query("begin").execute().await().atMost(Duration.ofSeconds(10));
            holder.query("lock table purchase in access exclusive mode").execute().await().atMost(Duration.ofSeconds(10));
            slowRuleTimesOut(key);
        } finally {
            holder.query("rollback").execute().await().atMost(Duration.ofSeconds(10));
            holder.close().await().atMost(Duration.ofSeconds(10));
        }
        // the same rule answers once nothing holds the table: the timeout ended the statement, not the service
        as(key).body(SLOW_RULE).post("/segments/preview").then().statusCode(200).body("count", equalTo(0));
    }

    private static final String SLOW_RULE = """
            {"rule": {"aggregate": "avg", "of": "purchases", "field": "amount", "within": "P30D",
                      "op": "gt", "value": 12}}""";

    private static void slowRuleTimesOut(String key) {
        as(key).body(SLOW_RULE).post("/segments/preview").then().statusCode(503)
                .contentType("application/problem+json")
                .body("type", equalTo("/problems/query-timeout"))
                .body("detail", containsString("statement timeout"));

        // GraphQL answers the same problem type (not "System error", code pg)
        dev.segments.support.GraphQL.query(key, "query($r: JSON!) { previewSegment(rule: $r) { count } }",
                        Map.of("r", Map.of("aggregate", "avg", "of", "purchases", "field", "amount", "within", "P30D",
                                "op", "gt", "value", 12)))
                .statusCode(200)
                .body("errors[0].extensions.type", equalTo("/problems/query-timeout"))
                .body("errors[0].extensions.status", equalTo(503))
                .body("errors[0].message", containsString("statement timeout"));
    }
}
