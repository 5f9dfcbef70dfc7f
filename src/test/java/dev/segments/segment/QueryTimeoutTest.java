package dev.segments.segment;

import dev.segments.support.Api;
import dev.segments.support.EmbeddedPostgresResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static dev.segments.support.Api.as;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;

/**
 * A rule query that runs past {@code segments.query.statement-timeout} is cancelled by PostgreSQL and answered
 * with a 503 problem, not a 500, and the service keeps answering afterwards.
 */
@QuarkusTest
@TestProfile(QueryTimeoutTest.TinyTimeout.class)
@WithTestResource(EmbeddedPostgresResource.class)
class QueryTimeoutTest {

    public static class TinyTimeout implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("segments.query.statement-timeout", "5ms");
        }
    }

    @Inject
    Pool pool;

    @Test
    void aSlowRuleQueryTimesOutAsA503Problem() {
        String key = Api.newTenant();
        String seed = "seed-" + UUID.randomUUID();
        Api.customer(key, seed, Map.of());
        // 200k customers with two purchases each: far more than 20 ms of work for an aggregate over every customer
        pool.preparedQuery("""
                with t as (select tenant_id from customer where external_id = $1),
                     c as (insert into customer (tenant_id, external_id)
                           select t.tenant_id, $1 || '-' || g from t, generate_series(1, 200000) g
                           returning tenant_id, id)
                insert into purchase (tenant_id, customer_id, occurred_at, amount)
                select c.tenant_id, c.id, now() - (k || ' days')::interval, 10 * k from c, generate_series(1, 2) k""")
                .execute(Tuple.of(seed)).await().atMost(Duration.ofMinutes(2));

        String slowRule = """
                {"rule": {"aggregate": "avg", "of": "purchases", "field": "amount", "within": "P30D",
                          "op": "gt", "value": 12}}""";
        as(key).body(slowRule).post("/segments/preview").then().statusCode(503)
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

        // the same rule over a small tenant still answers
        String small = Api.newTenant();
        Api.customer(small, "one", Map.of());
        as(small).body(slowRule).post("/segments/preview").then().statusCode(200).body("count", equalTo(0));
    }
}
